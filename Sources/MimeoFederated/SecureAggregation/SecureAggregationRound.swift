import Crypto
import Foundation

/// The coordinator's state for one attempt of a secure-aggregation round: pure, no clock, no I/O.
///
/// 1. Collect key advertisements from the expected sites (`receive(_: KeyAdvertisement)`); a site that
///    drops now is simply left out (`siteDropped`). 2. At the key deadline, `closeKeyCollection()`
///    returns the `KeyBundle` to broadcast (or throws `tooFewSites`). 3. Collect masked updates
///    (`receive(_: MaskedUpdate)`), summed mod 2³² as they arrive. 4. When every bundled site has sent
///    one, `outcome` is `.complete(SecureSum)`; if any bundled site drops before sending (`siteDropped`,
///    or `closeUpdateCollection()` at the deadline), the masks no longer cancel and `outcome` is
///    `.voided(droppedSites:)`: `nextAttempt()` is the rerun without them (fresh masks: attempt + 1).
public struct SecureAggregationRound: Sendable {
    /// Where the round stands.
    public enum Outcome: Sendable, Equatable {
        /// Waiting for keys from these sites.
        case collectingKeys(missing: [String])
        /// Waiting for masked updates from these sites.
        case collectingUpdates(missing: [String])
        /// Every bundled site's masked vector was summed.
        case complete(SecureSum)
        /// These bundled sites dropped out after the keys were relayed: the sum cannot be unmasked.
        case voided(droppedSites: [String])
    }

    /// The attempt.
    public let context: SecureAggregationContext
    /// The round's parameters.
    public let parameters: SecureAggregationParameters
    /// The sites asked to take part, in order.
    public let expectedSites: [String]

    private var advertisements: [String: KeyAdvertisement] = [:]
    private var droppedBeforeBundle: Set<String> = []
    private(set) public var bundle: KeyBundle?
    private var received: Set<String> = []
    private var dropped: Set<String> = []
    private var sum: [UInt32] = []

    /// A round for `expectedSites` (distinct, at least `minimumSites`, at most `maximumSites`).
    public init(context: SecureAggregationContext, parameters: SecureAggregationParameters, expectedSites: [String]) throws {
        try parameters.validate()
        let ordered = expectedSites.sorted(by: siteIDPrecedes)
        for (a, b) in zip(ordered, ordered.dropFirst()) where a == b { throw SecureAggregationError.duplicateSite(a) }
        if let bad = ordered.first(where: { !WireValidation.isValidIdentifier($0) }) { throw SecureAggregationError.invalidIdentifier(bad) }
        guard ordered.count >= parameters.minimumSites else {
            throw SecureAggregationError.tooFewSites(ordered.count, minimum: parameters.minimumSites)
        }
        guard ordered.count <= parameters.maximumSites else {
            throw SecureAggregationError.tooManySites(ordered.count, maximum: parameters.maximumSites)
        }
        self.context = context
        self.parameters = parameters
        self.expectedSites = ordered
    }

    /// Records a site's key. Throws for another attempt, an unknown or dropped site, a second
    /// advertisement from one site, a key that is not a valid X25519 point or that another site sent.
    public mutating func receive(_ advertisement: KeyAdvertisement) throws {
        guard bundle == nil else { throw SecureAggregationError.wrongPhase("the keys were already relayed") }
        guard advertisement.context == context else { throw SecureAggregationError.contextMismatch }
        let site = advertisement.siteID
        guard expectedSites.contains(site), !droppedBeforeBundle.contains(site) else { throw SecureAggregationError.unknownSite(site) }
        guard advertisements[site] == nil else { throw SecureAggregationError.duplicateSite(site) }
        guard (try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: advertisement.publicKey)) != nil,
              advertisement.publicKey.contains(where: { $0 != 0 }) else {
            throw SecureAggregationError.invalidPublicKey(site: site)
        }
        if advertisements.values.contains(where: { $0.publicKey == advertisement.publicKey }) {
            throw SecureAggregationError.duplicatePublicKey(site: site)
        }
        advertisements[site] = advertisement
    }

    /// Ends key collection: the bundle of every site that advertised a key, to relay to those sites.
    /// Throws `tooFewSites` when fewer than `minimumSites` did (the coordinator retries the round).
    public mutating func closeKeyCollection() throws -> KeyBundle {
        if let bundle { return bundle }
        let ordered = advertisements.values.sorted { siteIDPrecedes($0.siteID, $1.siteID) }
        let bundle = try KeyBundle(context: context, parameters: parameters, advertisements: ordered)
        self.bundle = bundle
        sum = [UInt32](repeating: 0, count: parameters.wordCount)
        return bundle
    }

    /// Adds a site's masked vector to the sum. Throws, leaving the state unchanged, for another attempt,
    /// a site not in the bundle, a second vector from one site, the wrong length, before the bundle, or
    /// once the attempt is voided (the coordinator drops such late vectors).
    public mutating func receive(_ update: MaskedUpdate) throws {
        guard let bundle else { throw SecureAggregationError.wrongPhase("the keys have not been relayed yet") }
        guard dropped.isEmpty else { throw SecureAggregationError.wrongPhase("the round is voided") }
        guard update.context == context else { throw SecureAggregationError.contextMismatch }
        guard bundle.advertisements.contains(where: { $0.siteID == update.siteID }) else {
            throw SecureAggregationError.siteNotInBundle(update.siteID)
        }
        guard !received.contains(update.siteID) else { throw SecureAggregationError.duplicateSite(update.siteID) }
        guard update.words.count == parameters.wordCount else {
            throw SecureAggregationError.wrongLength(update.words.count, expected: parameters.wordCount)
        }
        for i in sum.indices { sum[i] &+= update.words[i] }
        received.insert(update.siteID)
    }

    /// Records that a site is gone (its connection died, it missed a deadline). Before the bundle it
    /// is left out; after, if it has not sent its masked vector, the attempt is voided.
    public mutating func siteDropped(_ siteID: String) {
        guard expectedSites.contains(siteID) else { return }
        if let bundle {
            if bundle.siteIDs.contains(siteID), !received.contains(siteID) { dropped.insert(siteID) }
        } else {
            droppedBeforeBundle.insert(siteID)
            advertisements[siteID] = nil
        }
    }

    /// The update deadline passed: every bundled site that has not sent its vector has dropped out.
    public mutating func closeUpdateCollection() {
        guard let bundle else { return }
        for site in bundle.siteIDs where !received.contains(site) { dropped.insert(site) }
    }

    /// Where the round stands.
    public var outcome: Outcome {
        guard let bundle else {
            return .collectingKeys(missing: expectedSites.filter { advertisements[$0] == nil && !droppedBeforeBundle.contains($0) })
        }
        if !dropped.isEmpty { return .voided(droppedSites: dropped.sorted(by: siteIDPrecedes)) }
        let missing = bundle.siteIDs.filter { !received.contains($0) }
        if !missing.isEmpty { return .collectingUpdates(missing: missing) }
        let quantizer = parameters.quantizer
        let values = sum[0..<parameters.vectorLength].map(quantizer.dequantizeSum)
        return .complete(SecureSum(sites: bundle.siteIDs, values: values, exampleCount: Int(sum[parameters.vectorLength]),
                                   maximumAbsoluteError: quantizer.maximumSumError(summands: bundle.siteIDs.count)))
    }

    /// The rerun of a voided attempt: the same round, attempt + 1, without the dropped sites (and
    /// without those that never sent a key). Throws `tooFewSites` when too few remain.
    public func nextAttempt() throws -> SecureAggregationRound {
        let remaining = (bundle?.siteIDs ?? expectedSites).filter { !dropped.contains($0) && !droppedBeforeBundle.contains($0) }
        let next = try SecureAggregationContext(jobID: context.jobID, round: context.round, attempt: context.attempt + 1)
        return try SecureAggregationRound(context: next, parameters: parameters, expectedSites: remaining)
    }
}
