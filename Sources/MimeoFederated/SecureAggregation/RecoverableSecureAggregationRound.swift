import Crypto
import Foundation

/// The coordinator's state for one attempt of the recoverable protocol (see
/// `RecoverableSecureAggregation.swift`): sites that drop after sharing their keys no longer void the
/// round, as long as at least `threshold` sites send their masked vectors and answer the unmasking.
public struct RecoverableSecureAggregationRound: Sendable {
    /// Where the round stands.
    public enum Outcome: Sendable, Equatable {
        case collectingKeys(missing: [String])
        case collectingShares(missing: [String])
        case collectingUpdates(missing: [String])
        case collectingUnmasking(responses: Int, needed: Int)
        case complete(SecureSum)
        /// Fewer than `threshold` sites remain at some step: rerun (`nextAttempt()`).
        case voided(reason: String)
    }

    public let context: SecureAggregationContext
    public let parameters: SecureAggregationParameters
    public let threshold: Int
    public let expectedSites: [String]

    private var advertisements: [String: RecoverableKeyAdvertisement] = [:]
    private(set) public var bundle: RecoverableKeyBundle?
    private var shares: [String: [EncryptedShare]] = [:]
    private var sharingSites: [String]?
    private var sum: [UInt32] = []
    private var maskedSites: Set<String> = []
    private(set) public var unmaskingRequest: UnmaskingRequest?
    private var responses: [String: UnmaskingResponse] = [:]
    private var result: SecureSum?
    private var voidReason: String?
    private var gone: Set<String> = []

    /// A round for `expectedSites` with reconstruction threshold t (more than half of them, at least
    /// `minimumSites`; at most 255 sites).
    public init(context: SecureAggregationContext, parameters: SecureAggregationParameters, threshold: Int,
                expectedSites: [String]) throws {
        try parameters.validate()
        let ordered = expectedSites.sorted(by: siteIDPrecedes)
        for (a, b) in zip(ordered, ordered.dropFirst()) where a == b { throw SecureAggregationError.duplicateSite(a) }
        if let bad = ordered.first(where: { !WireValidation.isValidIdentifier($0) }) { throw SecureAggregationError.invalidIdentifier(bad) }
        guard ordered.count <= min(parameters.maximumSites, 255) else {
            throw SecureAggregationError.tooManySites(ordered.count, maximum: min(parameters.maximumSites, 255))
        }
        guard threshold >= parameters.minimumSites, threshold <= ordered.count, 2 * threshold > ordered.count else {
            throw SecureAggregationError.invalidParameters("threshold \(threshold) for \(ordered.count) sites")
        }
        self.context = context
        self.parameters = parameters
        self.threshold = threshold
        self.expectedSites = ordered
    }

    /// Step 1: a site's keys (refused: another attempt, unknown site, twice, invalid or reused keys).
    public mutating func receive(_ advertisement: RecoverableKeyAdvertisement) throws {
        guard bundle == nil else { throw SecureAggregationError.wrongPhase("the keys were already relayed") }
        guard advertisement.context == context else { throw SecureAggregationError.contextMismatch }
        let site = advertisement.siteID
        guard expectedSites.contains(site), !gone.contains(site) else { throw SecureAggregationError.unknownSite(site) }
        guard advertisements[site] == nil else { throw SecureAggregationError.duplicateSite(site) }
        for key in [advertisement.encryptionKey, advertisement.maskingKey] {
            guard (try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: key)) != nil, key.contains(where: { $0 != 0 }) else {
                throw SecureAggregationError.invalidPublicKey(site: site)
            }
        }
        let used = advertisements.values.flatMap { [$0.encryptionKey, $0.maskingKey] }
        if used.contains(advertisement.encryptionKey) || used.contains(advertisement.maskingKey)
            || advertisement.encryptionKey == advertisement.maskingKey {
            throw SecureAggregationError.duplicatePublicKey(site: site)
        }
        advertisements[site] = advertisement
    }

    /// Ends step 1: the bundle to relay (throws when fewer than t sites advertised).
    public mutating func closeKeyCollection() throws -> RecoverableKeyBundle {
        if let bundle { return bundle }
        let ordered = advertisements.values.sorted { siteIDPrecedes($0.siteID, $1.siteID) }
        guard ordered.count >= threshold else { throw SecureAggregationError.tooFewSites(ordered.count, minimum: threshold) }
        let bundle = try RecoverableKeyBundle(context: context, parameters: parameters, threshold: threshold, advertisements: ordered)
        self.bundle = bundle
        return bundle
    }

    /// Step 2: one site's encrypted shares, one for every other bundled site.
    public mutating func receive(shares list: [EncryptedShare], from site: String) throws {
        guard let bundle, sharingSites == nil else { throw SecureAggregationError.wrongPhase("not collecting shares") }
        guard bundle.siteIDs.contains(site), !gone.contains(site) else { throw SecureAggregationError.siteNotInBundle(site) }
        guard shares[site] == nil else { throw SecureAggregationError.duplicateSite(site) }
        let recipients = list.map(\.to)
        guard list.allSatisfy({ $0.context == context && $0.from == site }),
              recipients.sorted(by: siteIDPrecedes) == bundle.siteIDs.filter({ $0 != site }) else {
            throw SecureAggregationError.invalidParameters("one share for every other site of the bundle")
        }
        shares[site] = list
    }

    /// Ends step 2: U2, and for each site of U2 the shares addressed to it by the rest of U2.
    public mutating func closeShareCollection() -> [String: [EncryptedShare]] {
        guard let bundle, voidReason == nil else { return [:] }
        let u2 = sharingSites ?? bundle.siteIDs.filter { shares[$0] != nil && !gone.contains($0) }
        sharingSites = u2
        guard u2.count >= threshold else {
            voidReason = "\(u2.count) site(s) shared their keys, threshold \(threshold)"
            return [:]
        }
        sum = [UInt32](repeating: 0, count: parameters.wordCount)
        var deliveries: [String: [EncryptedShare]] = [:]
        for recipient in u2 {
            deliveries[recipient] = u2.filter { $0 != recipient }.compactMap { sender in shares[sender]!.first { $0.to == recipient } }
        }
        return deliveries
    }

    /// Step 3: a site's masked vector (refused from sites outside U2, twice, wrong length or context).
    public mutating func receive(_ update: MaskedUpdate) throws {
        guard let u2 = sharingSites, voidReason == nil, unmaskingRequest == nil else {
            throw SecureAggregationError.wrongPhase("not collecting masked vectors")
        }
        guard update.context == context else { throw SecureAggregationError.contextMismatch }
        guard u2.contains(update.siteID), !gone.contains(update.siteID) else { throw SecureAggregationError.siteNotInBundle(update.siteID) }
        guard !maskedSites.contains(update.siteID) else { throw SecureAggregationError.duplicateSite(update.siteID) }
        guard update.words.count == parameters.wordCount else {
            throw SecureAggregationError.wrongLength(update.words.count, expected: parameters.wordCount)
        }
        for i in sum.indices { sum[i] &+= update.words[i] }
        maskedSites.insert(update.siteID)
    }

    /// Ends step 3 (every site of U2 sent, or the deadline): the request to send to the survivors U3.
    public mutating func closeUpdateCollection() -> UnmaskingRequest? {
        if let unmaskingRequest { return unmaskingRequest }
        guard let u2 = sharingSites, voidReason == nil else { return nil }
        let survivors = u2.filter { maskedSites.contains($0) }
        guard survivors.count >= threshold else {
            voidReason = "\(survivors.count) masked vector(s), threshold \(threshold)"
            return nil
        }
        let request = UnmaskingRequest(context: context, survivors: survivors, dropped: u2.filter { !maskedSites.contains($0) })
        unmaskingRequest = request
        return request
    }

    /// Step 4: a survivor's shares (refused: not a survivor, twice, not exactly the shares asked for).
    public mutating func receive(_ response: UnmaskingResponse) throws {
        guard let request = unmaskingRequest, voidReason == nil else { throw SecureAggregationError.wrongPhase("not unmasking") }
        // Answers beyond the t-th are not needed: accepted and ignored.
        if result != nil { return }
        guard response.context == context else { throw SecureAggregationError.contextMismatch }
        guard request.survivors.contains(response.siteID) else { throw SecureAggregationError.siteNotInBundle(response.siteID) }
        guard responses[response.siteID] == nil else { throw SecureAggregationError.duplicateSite(response.siteID) }
        guard Set(response.selfMaskShares.keys) == Set(request.survivors), Set(response.maskingKeyShares.keys) == Set(request.dropped),
              response.selfMaskShares.values.allSatisfy({ $0.count == 33 }),
              response.maskingKeyShares.values.allSatisfy({ $0.count == 33 }) else {
            throw SecureAggregationError.invalidParameters("one 33-byte share per site asked about")
        }
        responses[response.siteID] = response
        // The t-th answer completes the round: unmask once, here, not on every read of `outcome`.
        let answering = request.survivors.filter { responses[$0] != nil }
        if result == nil, answering.count == threshold, let bundle {
            do { result = try unmaskedSum(bundle: bundle, request: request, answering: answering) } catch {
                voidReason = "unmasking failed: \(error)"
            }
        }
    }

    /// A site is gone: before the bundle it is left out; later it simply sends nothing more, and the
    /// round goes on while at least t sites remain.
    public mutating func siteDropped(_ siteID: String) {
        if bundle == nil { advertisements[siteID] = nil }
        gone.insert(siteID)
    }

    /// Where the round stands; `.complete` once t survivors have answered (the round unmasks with the
    /// first t answers to arrive: any t shares rebuild the same secrets, so the sum does not depend on
    /// which).
    public var outcome: Outcome {
        if let voidReason { return .voided(reason: voidReason) }
        guard let bundle else {
            return .collectingKeys(missing: expectedSites.filter { advertisements[$0] == nil && !gone.contains($0) })
        }
        guard let u2 = sharingSites else { return .collectingShares(missing: bundle.siteIDs.filter { shares[$0] == nil }) }
        guard let request = unmaskingRequest else { return .collectingUpdates(missing: u2.filter { !maskedSites.contains($0) }) }
        if let result { return .complete(result) }
        let answering = request.survivors.filter { responses[$0] != nil }
        if request.survivors.filter({ !gone.contains($0) || responses[$0] != nil }).count < threshold {
            return .voided(reason: "fewer than \(threshold) survivors can answer the unmasking")
        }
        return .collectingUnmasking(responses: answering.count, needed: threshold)
    }

    private func unmaskedSum(bundle: RecoverableKeyBundle, request: UnmaskingRequest, answering: [String]) throws -> SecureSum {
        var total = sum
        func secret(of owner: String, _ pick: (UnmaskingResponse) -> Data?) throws -> [UInt8] {
            let shares = try answering.map { site -> ShamirSecretSharing.Share in
                guard let data = pick(responses[site]!) else { throw SecureAggregationError.siteNotInBundle(owner) }
                return try ShamirSecretSharing.Share(encoded: data, secretLength: 32)
            }
            return try ShamirSecretSharing.combine(shares)
        }
        for survivor in request.survivors {
            let seed = try secret(of: survivor) { $0.selfMaskShares[survivor] }
            let mask = try RecoverableSecureAggregationSite.selfMask(seed: Data(seed), context: context, wordCount: parameters.wordCount)
            for i in total.indices { total[i] &-= mask[i] }
        }
        for droppedSite in request.dropped {
            let keyBytes = try secret(of: droppedSite) { $0.maskingKeyShares[droppedSite] }
            let key = try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: Data(keyBytes))
            let advertised = bundle.advertisements.first { $0.siteID == droppedSite }!
            guard key.publicKey.rawRepresentation == advertised.maskingKey else {
                throw SecureAggregationError.publicKeyMismatch(site: droppedSite)
            }
            for survivor in request.survivors {
                let peer = bundle.advertisements.first { $0.siteID == survivor }!
                let seed = try PairwiseMask.seed(privateKey: key, peerPublicKey: peer.maskingKey, context: context,
                                                 ownSite: droppedSite, peerSite: survivor)
                let mask = try PairwiseMask.expand(seed: seed, wordCount: parameters.wordCount)
                // The survivor added +m if it precedes the dropped site, −m otherwise: undo that.
                if siteIDPrecedes(survivor, droppedSite) { for i in total.indices { total[i] &-= mask[i] } }
                else { for i in total.indices { total[i] &+= mask[i] } }
            }
        }
        let quantizer = parameters.quantizer
        return SecureSum(sites: request.survivors, values: total[0..<parameters.vectorLength].map(quantizer.dequantizeSum),
                         exampleCount: Int(total[parameters.vectorLength]),
                         maximumAbsoluteError: quantizer.maximumSumError(summands: request.survivors.count))
    }

    /// The rerun of a voided attempt (attempt + 1) with the sites not known to be gone.
    public func nextAttempt() throws -> RecoverableSecureAggregationRound {
        let next = try SecureAggregationContext(jobID: context.jobID, round: context.round, attempt: context.attempt + 1)
        let remaining = expectedSites.filter { !gone.contains($0) }
        return try RecoverableSecureAggregationRound(context: next, parameters: parameters,
                                                     threshold: max(parameters.minimumSites, remaining.count / 2 + 1),
                                                     expectedSites: remaining)
    }
}
