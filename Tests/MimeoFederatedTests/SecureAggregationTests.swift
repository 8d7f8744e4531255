import Crypto
import Foundation
import MimeoTestSupport
import Testing

@testable import MimeoFederated

/// A site with a key made from fixed bytes, so every run masks identically.
func fixedSite(_ id: String, _ context: SecureAggregationContext, keyByte: UInt8) throws -> SecureAggregationSite {
    try SecureAggregationSite(siteID: id, context: context,
                              privateKey: Curve25519.KeyAgreement.PrivateKey(rawRepresentation: Data(repeating: keyByte, count: 32)))
}

/// Runs a whole attempt: keys, bundle, masked updates; returns the round and the masked vectors.
func runSecureRound(sites: [SecureAggregationSite], inputs: [String: (values: [Double], count: Int)],
                    parameters: SecureAggregationParameters) throws -> (SecureAggregationRound, [MaskedUpdate]) {
    var round = try SecureAggregationRound(context: sites[0].context, parameters: parameters, expectedSites: sites.map(\.siteID))
    for site in sites { try round.receive(site.advertisement) }
    let bundle = try round.closeKeyCollection()
    var masked: [MaskedUpdate] = []
    for site in sites {
        let input = inputs[site.siteID]!
        let update = try site.maskedUpdate(values: input.values, exampleCount: input.count, bundle: bundle)
        masked.append(update)
        try round.receive(update)
    }
    return (round, masked)
}

/// Pearson's χ² of the byte histogram against the uniform distribution (255 degrees of freedom).
func byteChiSquare(_ words: [UInt32]) -> Double {
    var histogram = [Int](repeating: 0, count: 256)
    for word in words { for shift in stride(from: 0, to: 32, by: 8) { histogram[Int((word >> UInt32(shift)) & 0xFF)] += 1 } }
    let expected = Double(words.count * 4) / 256
    return histogram.reduce(0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
}

@Suite struct SecureAggregationTests {
    static let context = try! SecureAggregationContext(jobID: "job-42", round: 7)

    /// Five sites, 100,000 random values each: the unmasked sum equals the plain Double sum within the
    /// stated quantisation bound, the example counts sum exactly, and nothing else comes out.
    @Test func secureSumEqualsThePlainSumWithinTheQuantisationError() throws {
        let length = 100_000
        let parameters = try SecureAggregationParameters(vectorLength: length, clipBound: 1, maximumSites: 8, minimumSites: 3)
        let ids = ["site-e", "site-a", "site-c", "site-b", "site-d"]
        let sites = try ids.enumerated().map { try fixedSite($1, Self.context, keyByte: UInt8($0 + 1)) }
        var random = SplitMix64(seed: 21)
        var inputs: [String: (values: [Double], count: Int)] = [:]
        for (index, id) in ids.enumerated() {
            inputs[id] = (randomVector(length, scale: 0.9, using: &random).map(Double.init), 1000 * (index + 1))
        }
        let (round, _) = try runSecureRound(sites: sites, inputs: inputs, parameters: parameters)
        guard case .complete(let sum) = round.outcome else { Issue.record("expected a complete round: \(round.outcome)"); return }
        #expect(sum.sites == ["site-a", "site-b", "site-c", "site-d", "site-e"])
        #expect(sum.exampleCount == 15_000)
        let bound = parameters.quantizer.maximumSumError(summands: 5)
        #expect(sum.maximumAbsoluteError == bound)
        #expect(bound < 1e-8, "k = 5 sites, n = 8, B = 1: k / (2s) = 5 · 8 / 2³² ≈ 9.3e-9")
        var worst = 0.0
        for i in 0..<length {
            let plain = ids.reduce(0.0) { $0 + inputs[$1]!.values[i] }
            worst = max(worst, abs(sum.values[i] - plain))
        }
        #expect(worst <= bound, "worst error \(worst), bound \(bound)")
        #expect(worst > 0, "quantisation is not free: the bound is not vacuous")
    }

    /// Example-weighted FedAvg through secure aggregation agrees with plain FedAvg within the bound.
    @Test func secureFedAvgAgreesWithPlainFedAvg() throws {
        let length = 10_000
        var random = SplitMix64(seed: 8)
        let global = randomVector(length, scale: 1, using: &random)
        let counts = ["a": 120, "b": 3_000, "c": 45]
        let updates = counts.keys.sorted().map {
            SiteUpdate(siteID: $0, round: 7, exampleCount: counts[$0]!, delta: randomVector(length, scale: 0.2, using: &random))
        }
        let weightCap = 5_000
        let parameters = try SecureAggregationParameters(vectorLength: length, clipBound: 0.25, maximumSites: 3, minimumSites: 2)
        let sites = try updates.enumerated().map { try fixedSite($1.siteID, Self.context, keyByte: UInt8(10 + $0)) }
        var inputs: [String: (values: [Double], count: Int)] = [:]
        for update in updates {
            let input = FederatedAveraging.secureAggregationInput(delta: update.delta, exampleCount: update.exampleCount, weightCap: weightCap)
            inputs[update.siteID] = (input.values, input.weight)
        }
        let (round, _) = try runSecureRound(sites: sites, inputs: inputs, parameters: parameters)
        guard case .complete(let sum) = round.outcome else { Issue.record("expected a complete round"); return }
        let secure = FederatedAveraging.apply(meanDelta: FederatedAveraging.meanDelta(fromSecureSum: sum, weightCap: weightCap), to: global)
        let plain = FederatedAveraging.apply(meanDelta: FederatedAveraging.weightedMeanDelta(of: updates), to: global)
        let bound = sum.maximumAbsoluteError * Double(weightCap) / Double(sum.exampleCount) + 1.2e-7  // + one Float rounding
        for i in 0..<length { #expect(abs(Double(secure[i]) - Double(plain[i])) <= bound) }
    }

    /// One masked vector alone looks uniform (χ² on its bytes), while the same values unmasked do not:
    /// the check can fail.
    @Test func aMaskedVectorAloneIsIndistinguishableFromUniform() throws {
        let length = 100_000
        let parameters = try SecureAggregationParameters(vectorLength: length, clipBound: 1, maximumSites: 4, minimumSites: 2)
        let sites = try ["x", "y", "z"].enumerated().map { try fixedSite($1, Self.context, keyByte: UInt8(40 + $0)) }
        var random = SplitMix64(seed: 2)
        var inputs: [String: (values: [Double], count: Int)] = [:]
        for site in sites { inputs[site.siteID] = (randomVector(length, scale: 0.01, using: &random).map(Double.init), 77) }
        let (_, masked) = try runSecureRound(sites: sites, inputs: inputs, parameters: parameters)
        // 255 degrees of freedom: P(χ² > 341) ≈ 2.5e-4 under uniformity.
        for update in masked { #expect(byteChiSquare(update.words) < 341, "\(update.siteID)") }
        let unmasked = inputs["x"]!.values.map(parameters.quantizer.quantize)
        #expect(byteChiSquare(unmasked) > 10_000)
    }

    @Test func aSiteThatDropsAfterTheKeysVoidsTheRoundAndTheRerunExcludesIt() throws {
        let parameters = try SecureAggregationParameters(vectorLength: 50, clipBound: 1, maximumSites: 4, minimumSites: 2)
        let ids = ["a", "b", "c"]
        let sites = try ids.enumerated().map { try fixedSite($1, Self.context, keyByte: UInt8(60 + $0)) }
        var round = try SecureAggregationRound(context: Self.context, parameters: parameters, expectedSites: ids)
        #expect(round.outcome == .collectingKeys(missing: ["a", "b", "c"]))
        for site in sites { try round.receive(site.advertisement) }
        let bundle = try round.closeKeyCollection()
        let values = [Double](repeating: 0.5, count: 50)
        try round.receive(sites[0].maskedUpdate(values: values, exampleCount: 1, bundle: bundle))
        try round.receive(sites[2].maskedUpdate(values: values, exampleCount: 1, bundle: bundle))
        #expect(round.outcome == .collectingUpdates(missing: ["b"]))
        round.siteDropped("b")
        #expect(round.outcome == .voided(droppedSites: ["b"]))
        #expect(throws: SecureAggregationError.self) { try round.receive(sites[1].maskedUpdate(values: values, exampleCount: 1, bundle: bundle)) }

        var rerun = try round.nextAttempt()
        #expect(rerun.context.attempt == 1 && rerun.expectedSites == ["a", "c"])
        let again = try ["a", "c"].enumerated().map { try fixedSite($1, rerun.context, keyByte: UInt8(60 + 2 * $0)) }
        for site in again { try rerun.receive(site.advertisement) }
        let newBundle = try rerun.closeKeyCollection()
        // A vector masked for the voided attempt is refused by the rerun.
        #expect(throws: SecureAggregationError.contextMismatch) {
            try rerun.receive(sites[0].maskedUpdate(values: values, exampleCount: 1, bundle: bundle))
        }
        for site in again { try rerun.receive(site.maskedUpdate(values: values, exampleCount: 1, bundle: newBundle)) }
        guard case .complete(let sum) = rerun.outcome else { Issue.record("expected a complete rerun"); return }
        #expect(sum.sites == ["a", "c"] && sum.exampleCount == 2)
        #expect(sum.values.allSatisfy { abs($0 - 1) <= sum.maximumAbsoluteError })

        // The deadline does the same as a detected drop; a site gone before the bundle is just left out.
        var late = try SecureAggregationRound(context: Self.context, parameters: parameters, expectedSites: ids)
        for site in sites.prefix(2) { try late.receive(site.advertisement) }
        late.siteDropped("c")
        let lateBundle = try late.closeKeyCollection()
        #expect(lateBundle.siteIDs == ["a", "b"])
        try late.receive(sites[0].maskedUpdate(values: values, exampleCount: 1, bundle: lateBundle))
        late.closeUpdateCollection()
        #expect(late.outcome == .voided(droppedSites: ["b"]))
        #expect(throws: SecureAggregationError.tooFewSites(1, minimum: 2)) { try late.nextAttempt() }
    }

    @Test func shortTamperedAndMisaddressedVectorsAreRejected() throws {
        let parameters = try SecureAggregationParameters(vectorLength: 20, clipBound: 1, maximumSites: 3, minimumSites: 2)
        let sites = try ["a", "b"].enumerated().map { try fixedSite($1, Self.context, keyByte: UInt8(80 + $0)) }
        var round = try SecureAggregationRound(context: Self.context, parameters: parameters, expectedSites: ["a", "b"])
        #expect(throws: SecureAggregationError.self) { try round.receive(MaskedUpdate(context: Self.context, siteID: "a", words: [])) }
        try round.receive(sites[0].advertisement)
        #expect(throws: SecureAggregationError.duplicateSite("a")) { try round.receive(sites[0].advertisement) }
        let stolen = try KeyAdvertisement(context: Self.context, siteID: "b", publicKey: sites[0].advertisement.publicKey)
        #expect(throws: SecureAggregationError.duplicatePublicKey(site: "b")) { try round.receive(stolen) }
        let zero = try KeyAdvertisement(context: Self.context, siteID: "b", publicKey: Data(count: 32))
        #expect(throws: SecureAggregationError.invalidPublicKey(site: "b")) { try round.receive(zero) }
        let stranger = try fixedSite("mallory", Self.context, keyByte: 99)
        #expect(throws: SecureAggregationError.unknownSite("mallory")) { try round.receive(stranger.advertisement) }
        try round.receive(sites[1].advertisement)
        let bundle = try round.closeKeyCollection()

        let values = [Double](repeating: 0.1, count: 20)
        let good = try sites[0].maskedUpdate(values: values, exampleCount: 3, bundle: bundle)
        var short = good; short.words.removeLast()
        #expect(throws: SecureAggregationError.wrongLength(20, expected: 21)) { try round.receive(short) }
        var long = good; long.words.append(0)
        #expect(throws: SecureAggregationError.wrongLength(22, expected: 21)) { try round.receive(long) }
        var renamed = good; renamed.siteID = "mallory"
        #expect(throws: SecureAggregationError.siteNotInBundle("mallory")) { try round.receive(renamed) }
        var otherRound = good; otherRound.context = try SecureAggregationContext(jobID: "job-42", round: 8)
        #expect(throws: SecureAggregationError.contextMismatch) { try round.receive(otherRound) }
        try round.receive(good)
        #expect(throws: SecureAggregationError.duplicateSite("a")) { try round.receive(good) }

        // The site refuses inputs it cannot sum and bundles it should not trust.
        #expect(throws: SecureAggregationError.wrongLength(19, expected: 20)) {
            try sites[1].maskedUpdate(values: Array(values.dropLast()), exampleCount: 1, bundle: bundle)
        }
        #expect(throws: SecureAggregationError.nonFiniteValue(index: 4)) {
            var bad = values; bad[4] = .infinity
            return try sites[1].maskedUpdate(values: bad, exampleCount: 1, bundle: bundle)
        }
        #expect(throws: SecureAggregationError.self) { try sites[1].maskedUpdate(values: values, exampleCount: Int(UInt32.max), bundle: bundle) }
        #expect(throws: SecureAggregationError.siteNotInBundle("mallory")) { try stranger.maskedUpdate(values: values, exampleCount: 1, bundle: bundle) }
        let impostor = try fixedSite("b", Self.context, keyByte: 7)
        #expect(throws: SecureAggregationError.publicKeyMismatch(site: "b")) { try impostor.maskedUpdate(values: values, exampleCount: 1, bundle: bundle) }
        var isolating = bundle; isolating.advertisements = [bundle.advertisements[1]]
        #expect(throws: SecureAggregationError.tooFewSites(1, minimum: 2)) { try sites[1].maskedUpdate(values: values, exampleCount: 1, bundle: isolating) }
    }

    /// Fixed keys give the same bytes on every run, and the masks match an independent derivation with
    /// Python's `cryptography` (X25519, HKDF-SHA256, ChaCha20-Poly1305) of the scheme in `PairwiseMask`.
    @Test func masksAreDeterministicAndMatchAnIndependentDerivation() throws {
        let context = try SecureAggregationContext(jobID: "job-7", round: 3, attempt: 1)
        let parameters = try SecureAggregationParameters(vectorLength: 7, clipBound: 1, maximumSites: 2, minimumSites: 2)
        let a = try fixedSite("site-a", context, keyByte: 1)
        let b = try fixedSite("site-b", context, keyByte: 2)
        #expect(a.advertisement.publicKey.map { String(format: "%02x", $0) }.joined()
            == "a4e09292b651c278b9772c569f5fa9bb13d906b46ab68c9df9dc2b4409f8a209")
        let bundle = try KeyBundle(context: context, parameters: parameters, advertisements: [a.advertisement, b.advertisement])
        let zeros = [Double](repeating: 0, count: 7)
        let maskA = try a.maskedUpdate(values: zeros, exampleCount: 0, bundle: bundle)
        let reference: [UInt32] = [2323404678, 291704092, 1783801735, 2493528187, 3108981328, 1374284539, 634065857, 426065526]
        #expect(maskA.words == reference)
        let maskB = try b.maskedUpdate(values: zeros, exampleCount: 0, bundle: bundle)
        #expect(maskB.words == reference.map { 0 &- $0 })
        #expect(try a.maskedUpdate(values: zeros, exampleCount: 0, bundle: bundle) == maskA)
        // RFC 8439 A.1 test vector #2: the keystream of the zero key, zero nonce, from block counter 1.
        let keystream = try PairwiseMask.expand(seed: SymmetricKey(data: Data(count: 32)), wordCount: 2)
        #expect(keystream == [0xbee7079f, 0x7a385155])
        // Another attempt gives other masks.
        let next = try SecureAggregationContext(jobID: "job-7", round: 3, attempt: 2)
        let a2 = try fixedSite("site-a", next, keyByte: 1), b2 = try fixedSite("site-b", next, keyByte: 2)
        let bundle2 = try KeyBundle(context: next, parameters: parameters, advertisements: [a2.advertisement, b2.advertisement])
        #expect(try a2.maskedUpdate(values: zeros, exampleCount: 0, bundle: bundle2).words != reference)
    }

    @Test func quantiserNeverOverflowsAtTheBound() throws {
        let quantizer = FixedPointQuantizer(clipBound: 3, maximumSummands: 7)
        var sum: UInt32 = 0
        for _ in 0..<7 { sum &+= quantizer.quantize(1e9) }                    // clipped to +B
        #expect(abs(quantizer.dequantizeSum(sum) - 21) <= quantizer.maximumSumError(summands: 7))
        sum = 0
        for _ in 0..<7 { sum &+= quantizer.quantize(-3) }
        #expect(abs(quantizer.dequantizeSum(sum) + 21) <= quantizer.maximumSumError(summands: 7))
        #expect(Int64(quantizer.limit) * 7 <= Int64(Int32.max))
    }
}

@Suite struct SecureDifferentialPrivacyTests {
    /// DP-FedAvg under secure aggregation: sites clip to C (so B = C bounds every element), the
    /// coordinator noises the secure sum; with negligible noise it equals the plain DP aggregate.
    @Test func clippedSecureSumGivesThePlainDPAggregate() throws {
        let length = 2_000
        var random = SplitMix64(seed: 31)
        let global = randomVector(length, scale: 1, using: &random)
        let updates = ["a", "b", "c"].map {
            SiteUpdate(siteID: $0, round: 1, exampleCount: 50, delta: randomVector(length, scale: 0.5, using: &random))
        }
        let privacy = try DPFedAvgConfiguration(clipNorm: 2, noiseMultiplier: 1e-12, samplingRate: 1, expectedSites: 3,
                                                targetEpsilon: 4, delta: 1e-6)
        let context = try SecureAggregationContext(jobID: "dp", round: 1)
        let parameters = try SecureAggregationParameters(vectorLength: length, clipBound: privacy.clipNorm, maximumSites: 3, minimumSites: 2)
        let sites = try updates.enumerated().map { try fixedSite($1.siteID, context, keyByte: UInt8(100 + $0)) }
        var inputs: [String: (values: [Double], count: Int)] = [:]
        for update in updates { inputs[update.siteID] = (DPFedAvg.clip(update.delta, clipNorm: privacy.clipNorm).clipped, 1) }
        let (round, _) = try runSecureRound(sites: sites, inputs: inputs, parameters: parameters)
        guard case .complete(let sum) = round.outcome else { Issue.record("expected a complete round"); return }
        var noise = SplitMix64(seed: 1)
        let secure = FederatedAveraging.apply(meanDelta: DPFedAvg.noisyMean(ofClippedSum: sum.values, configuration: privacy, using: &noise),
                                              to: global)
        let aggregator = try RoundAggregator(round: 1, expectedSites: ["a", "b", "c"], minimumSites: 2, parameterCount: length)
        var plainNoise = SplitMix64(seed: 1)
        guard case .aggregate(let plain) = try aggregator.aggregate(global: global, updates: updates, privacy: privacy, noise: &plainNoise) else {
            Issue.record("expected an aggregate"); return
        }
        let bound = sum.maximumAbsoluteError / 3 + 2.4e-7
        for i in 0..<length { #expect(abs(Double(secure[i]) - Double(plain.weights[i])) <= bound) }
    }
}
