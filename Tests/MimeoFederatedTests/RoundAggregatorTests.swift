import Foundation
import MimeoTestSupport
import Testing

@testable import MimeoFederated

func randomVector(_ count: Int, scale: Float, using random: inout SplitMix64) -> [Float] {
    (0..<count).map { _ in (Float(random.next() >> 40) / Float(1 << 24) * 2 - 1) * scale }
}

@Suite struct RoundAggregatorTests {
    static let sites = ["hospital-b", "hospital-a", "bank-c", "branch-d"]

    static func updates(parameterCount: Int, round: Int = 3, seed: UInt64 = 1) -> (global: [Float], updates: [SiteUpdate]) {
        var random = SplitMix64(seed: seed)
        let global = randomVector(parameterCount, scale: 2, using: &random)
        let counts = [1200, 35, 9001, 480]
        let updates = zip(sites, counts).map { site, count in
            SiteUpdate(siteID: site, round: round, exampleCount: count,
                       broadcast: global, local: zip(global, randomVector(parameterCount, scale: 0.05, using: &random)).map(+))
        }
        return (global, updates)
    }

    /// FedAvg over deltas equals the example-weighted mean of the sites' new weights, computed here
    /// independently (in Float80-free Double, weights first).
    @Test func fedAvgEqualsTheWeightedMeanOfTheNewWeights() throws {
        let (global, updates) = Self.updates(parameterCount: 5_000)
        let aggregator = try RoundAggregator(round: 3, expectedSites: Self.sites, minimumSites: 3, parameterCount: 5_000)
        guard case .aggregate(let round) = try aggregator.aggregate(global: global, updates: updates) else {
            Issue.record("expected an aggregate"); return
        }
        let total = Double(updates.reduce(0) { $0 + $1.exampleCount })
        #expect(round.totalExamples == Int(total))
        #expect(round.contributingSites == ["bank-c", "branch-d", "hospital-a", "hospital-b"])
        for i in stride(from: 0, to: 5_000, by: 7) {
            var expected = 0.0
            for update in updates {
                let local = Double(global[i] + update.delta[i])
                expected += Double(update.exampleCount) / total * local
            }
            #expect(abs(Double(round.weights[i]) - expected) <= 1e-6, "element \(i)")
        }
    }

    @Test func resultIsBitIdenticalWhateverTheArrivalOrder() throws {
        let (global, updates) = Self.updates(parameterCount: 20_000)
        let aggregator = try RoundAggregator(round: 3, expectedSites: Self.sites, minimumSites: 4, parameterCount: 20_000)
        var reference: Data?
        var random = SplitMix64(seed: 9)
        for _ in 0..<8 {
            let shuffled = updates.shuffled(using: &random)
            guard case .aggregate(let round) = try aggregator.aggregate(global: global, updates: shuffled) else {
                Issue.record("expected an aggregate"); return
            }
            let bytes = VectorCoding.encode(round.weights)
            if let reference { #expect(bytes == reference) } else { reference = bytes }
        }
        // The arithmetic really depends on order (so the test could fail): summing in arrival order
        // in Float gives different bits.
        let floatSums = [updates, updates.reversed()].map { list -> Data in
            var sum = [Float](repeating: 0, count: 20_000)
            for update in list { for i in sum.indices { sum[i] += Float(update.exampleCount) * update.delta[i] } }
            return VectorCoding.encode(sum)
        }
        #expect(floatSums[0] != floatSums[1])
    }

    @Test func belowQuorumRetriesAndNamesTheStragglers() throws {
        let (global, updates) = Self.updates(parameterCount: 100)
        let aggregator = try RoundAggregator(round: 3, expectedSites: Self.sites, minimumSites: 3, parameterCount: 100)
        let arrived = updates.filter { $0.siteID == "bank-c" || $0.siteID == "hospital-a" }
        guard case .retry(let reason) = try aggregator.aggregate(global: global, updates: arrived) else {
            Issue.record("expected a retry"); return
        }
        #expect(reason.usableUpdates == 2 && reason.minimumSites == 3)
        #expect(reason.missingSites == ["branch-d", "hospital-b"])
        // The quorum met with one straggler: aggregated, the straggler listed.
        guard case .aggregate(let round) = try aggregator.aggregate(global: global, updates: Array(updates.prefix(3))) else {
            Issue.record("expected an aggregate"); return
        }
        #expect(round.missingSites == ["branch-d"])
        #expect(round.contributingSites.count == 3)
    }

    @Test func unusableUpdatesAreRejectedAndDoNotCountTowardsTheQuorum() throws {
        let (global, updates) = Self.updates(parameterCount: 100)
        var bad = updates
        bad[0].delta[17] = .nan                                            // hospital-b
        bad[1].delta.removeLast()                                          // hospital-a
        bad[2].round = 2                                                   // bank-c
        var conflicting = bad[3]; conflicting.delta[0] += 1                // branch-d twice, differently
        bad.append(conflicting)
        bad.append(SiteUpdate(siteID: "intruder", round: 3, exampleCount: 10, delta: [Float](repeating: 0, count: 100)))
        let aggregator = try RoundAggregator(round: 3, expectedSites: Self.sites, minimumSites: 1, parameterCount: 100)
        let admission = aggregator.admit(bad)
        #expect(admission.accepted.isEmpty)
        #expect(admission.rejected["hospital-b"] == .nonFiniteValue(index: 17))
        #expect(admission.rejected["hospital-a"] == .wrongLength(99))
        #expect(admission.rejected["bank-c"] == .wrongRound(2))
        #expect(admission.rejected["branch-d"] == .conflictingDuplicates)
        #expect(admission.rejected["intruder"] == .unexpectedSite)
        guard case .retry = try aggregator.aggregate(global: global, updates: bad) else { Issue.record("expected a retry"); return }
        // A retransmitted identical update counts once.
        let twice = aggregator.admit(updates + [updates[0]])
        #expect(twice.accepted.count == 4 && twice.rejected.isEmpty)
        #expect(throws: RoundAggregator.ConfigurationError.self) { try aggregator.aggregate(global: [1, 2], updates: updates) }
        #expect(throws: RoundAggregator.ConfigurationError.self) {
            try RoundAggregator(round: 0, expectedSites: ["a", "a"], minimumSites: 1, parameterCount: 3)
        }
        #expect(throws: RoundAggregator.ConfigurationError.self) {
            try RoundAggregator(round: 0, expectedSites: ["a", "b"], minimumSites: 3, parameterCount: 3)
        }
    }

    /// DP-FedAvg: clipping bounds each site, the noise has the calibrated standard deviation, the
    /// denominator is fixed, and the same seed gives the same bits.
    @Test func dpFedAvgClipsAddsCalibratedNoiseAndDividesByTheFixedDenominator() throws {
        let count = 50_000
        let global = [Float](repeating: 0.25, count: count)
        // Site a: norm 10 (clipped to 1); site b: norm 0.5 (kept).
        let a = SiteUpdate(siteID: "a", round: 0, exampleCount: 10, delta: [Float](repeating: Float(10 / Double(count).squareRoot()), count: count))
        let b = SiteUpdate(siteID: "b", round: 0, exampleCount: 99, delta: [Float](repeating: Float(0.5 / Double(count).squareRoot()), count: count))
        let aggregator = try RoundAggregator(round: 0, expectedSites: ["a", "b", "c"], minimumSites: 2, parameterCount: count)
        let noiseless = try DPFedAvgConfiguration(clipNorm: 1, noiseMultiplier: 1e-12, samplingRate: 1, expectedSites: 3,
                                                  targetEpsilon: 1, delta: 1e-6)
        var random = SplitMix64(seed: 3)
        guard case .aggregate(let clean) = try aggregator.aggregate(global: global, updates: [a, b], privacy: noiseless, noise: &random) else {
            Issue.record("expected an aggregate"); return
        }
        // (1 + 0.5) / √L per element, over a denominator of 3 (not 2 sites, not the example counts).
        let expected = 0.25 + 1.5 / Double(count).squareRoot() / 3
        #expect(clean.weights.allSatisfy { abs(Double($0) - expected) < 1e-6 })

        let noisy = try DPFedAvgConfiguration(clipNorm: 1, noiseMultiplier: 2, samplingRate: 1, expectedSites: 3,
                                              targetEpsilon: 1, delta: 1e-6)
        var first = SplitMix64(seed: 4), second = SplitMix64(seed: 4)
        guard case .aggregate(let one) = try aggregator.aggregate(global: global, updates: [a, b], privacy: noisy, noise: &first),
              case .aggregate(let two) = try aggregator.aggregate(global: global, updates: [b, a], privacy: noisy, noise: &second) else {
            Issue.record("expected aggregates"); return
        }
        #expect(VectorCoding.encode(one.weights) == VectorCoding.encode(two.weights))
        // The noise on the mean: N(0, (zC / 3)²) per element.
        let residuals = one.weights.map { (Double($0) - expected) * 3 }
        let mean = residuals.reduce(0, +) / Double(count)
        let sd = (residuals.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(count - 1)).squareRoot()
        #expect(abs(mean) < 0.05)
        #expect(abs(sd - 2) < 0.03, "standard deviation \(sd), expected zC = 2")
    }

    @Test func gaussianNoiseHasUnitVarianceAndNormalTails() {
        var random = SplitMix64(seed: 11)
        let draws = (0..<200_000).map { _ in GaussianNoise.standardNormal(using: &random) }
        let mean = draws.reduce(0, +) / Double(draws.count)
        let variance = draws.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(draws.count - 1)
        #expect(abs(mean) < 0.01)
        #expect(abs(variance - 1) < 0.01)
        let beyondTwo = Double(draws.filter { abs($0) > 2 }.count) / Double(draws.count)
        #expect(abs(beyondTwo - 0.0455) < 0.003)
    }

    @Test func poissonSamplingTakesEachSiteWithTheRate() {
        var random = SplitMix64(seed: 5)
        let sites = (0..<100).map { "site-\($0)" }
        var total = 0
        for _ in 0..<200 { total += DPFedAvg.poissonSample(sites, samplingRate: 0.3, using: &random).count }
        #expect(abs(Double(total) / 20_000 - 0.3) < 0.01)
        #expect(DPFedAvg.poissonSample(sites, samplingRate: 1, using: &random).count == 100)
    }
}
