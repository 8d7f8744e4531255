import Foundation

/// The coordinator's end of one round, as a pure function: which updates count, whether the quorum is
/// met, and the new weights.
///
/// Stragglers: the coordinator passes only the updates that arrived before the round's deadline; an
/// expected site without one is `missing`. Updates that cannot be used (an unexpected site, another
/// round, the wrong length, a non-finite value, a non-positive count, two different updates from one
/// site) are `rejected` with the reason and do not count towards the quorum. With fewer than
/// `minimumSites` usable updates the round is `.retry`; otherwise `.aggregate` with the new weights,
/// identical to the bit whatever order the updates are given in.
public struct RoundAggregator: Sendable {
    /// The round being aggregated.
    public let round: Int
    /// The sites the round was broadcast to, in `siteIDPrecedes` order.
    public let expectedSites: [String]
    /// The quorum: the fewest usable updates that make a round (`--min-sites`).
    public let minimumSites: Int
    /// The model's parameter count: every delta's length.
    public let parameterCount: Int

    /// Errors in the aggregator's own arguments (the coordinator's mistakes, not the sites').
    public enum ConfigurationError: Error, Equatable, Sendable {
        case noExpectedSites
        case duplicateExpectedSite(String)
        case invalidSiteID(String)
        case invalidMinimumSites(Int, expected: Int)
        case invalidParameterCount(Int)
        case globalWeightsWrongLength(Int, expected: Int)
    }

    /// Why one site's update was not used.
    public enum Rejection: Error, Equatable, Sendable {
        case unexpectedSite
        case wrongRound(Int)
        case wrongLength(Int)
        case nonFiniteValue(index: Int)
        case nonPositiveExampleCount(Int)
        case conflictingDuplicates
    }

    /// The updates that count, and what happened to the others.
    public struct Admission: Sendable, Equatable {
        /// Usable updates, one per site, in `siteIDPrecedes` order.
        public var accepted: [SiteUpdate]
        /// Sites whose update was unusable, with the reason.
        public var rejected: [String: Rejection]
        /// Expected sites that sent nothing (stragglers, dropped), in order.
        public var missing: [String]
    }

    /// A completed round.
    public struct AggregatedRound: Sendable, Equatable {
        /// The new global weights.
        public var weights: [Float]
        /// The sites whose updates were averaged, in order.
        public var contributingSites: [String]
        /// Σ examples over the contributing sites.
        public var totalExamples: Int
        /// Expected sites that sent nothing.
        public var missingSites: [String]
        /// Sites whose update was unusable.
        public var rejectedSites: [String: Rejection]
    }

    /// Why a round must be run again.
    public struct RetryReason: Sendable, Equatable, CustomStringConvertible {
        /// Usable updates received.
        public var usableUpdates: Int
        /// The quorum.
        public var minimumSites: Int
        /// Expected sites that sent nothing.
        public var missingSites: [String]
        /// Sites whose update was unusable.
        public var rejectedSites: [String: Rejection]

        public var description: String {
            var text = "\(usableUpdates) usable update(s), quorum \(minimumSites)"
            if !missingSites.isEmpty { text += "; missing: \(missingSites.joined(separator: ", "))" }
            if !rejectedSites.isEmpty {
                let rejected = rejectedSites.keys.sorted(by: siteIDPrecedes).map { "\($0) (\(rejectedSites[$0]!))" }
                text += "; rejected: \(rejected.joined(separator: ", "))"
            }
            return text
        }
    }

    /// The outcome of a round.
    public enum Outcome: Sendable, Equatable {
        case aggregate(AggregatedRound)
        case retry(RetryReason)
    }

    /// An aggregator for `round`, broadcast to `expectedSites`, needing `minimumSites` usable updates
    /// (1 ≤ minimumSites ≤ expected sites) of `parameterCount` elements.
    public init(round: Int, expectedSites: [String], minimumSites: Int, parameterCount: Int) throws {
        guard !expectedSites.isEmpty else { throw ConfigurationError.noExpectedSites }
        let ordered = expectedSites.sorted(by: siteIDPrecedes)
        for (a, b) in zip(ordered, ordered.dropFirst()) where a == b { throw ConfigurationError.duplicateExpectedSite(a) }
        if let bad = ordered.first(where: { !WireValidation.isValidIdentifier($0) }) { throw ConfigurationError.invalidSiteID(bad) }
        guard minimumSites >= 1, minimumSites <= ordered.count else {
            throw ConfigurationError.invalidMinimumSites(minimumSites, expected: ordered.count)
        }
        guard parameterCount >= 1, parameterCount <= VectorCoding.maximumElementCount else {
            throw ConfigurationError.invalidParameterCount(parameterCount)
        }
        self.round = round
        self.expectedSites = ordered
        self.minimumSites = minimumSites
        self.parameterCount = parameterCount
    }

    /// Sorts `updates` into usable, rejected and missing. A site that sent the same update twice
    /// counts once; one that sent two different updates is rejected.
    public func admit(_ updates: [SiteUpdate]) -> Admission {
        let expected = Set(expectedSites)
        var bySite: [String: [SiteUpdate]] = [:]
        for update in updates { bySite[update.siteID, default: []].append(update) }
        var accepted: [SiteUpdate] = []
        var rejected: [String: Rejection] = [:]
        for (site, copies) in bySite {
            let first = copies[0]
            if !expected.contains(site) {
                rejected[site] = .unexpectedSite
            } else if !copies.dropFirst().allSatisfy({ Self.identical($0, first) }) {
                rejected[site] = .conflictingDuplicates
            } else if let problem = problem(with: first) {
                rejected[site] = problem
            } else {
                accepted.append(first)
            }
        }
        accepted.sort { siteIDPrecedes($0.siteID, $1.siteID) }
        return Admission(accepted: accepted, rejected: rejected,
                         missing: expectedSites.filter { bySite[$0] == nil })
    }

    /// FedAvg: the new weights are `global` plus the example-weighted mean of the usable deltas.
    public func aggregate(global: [Float], updates: [SiteUpdate]) throws -> Outcome {
        try checkGlobal(global)
        let admission = admit(updates)
        if let retry = retryReason(admission) { return .retry(retry) }
        let mean = FederatedAveraging.weightedMeanDelta(of: admission.accepted)
        return .aggregate(aggregated(FederatedAveraging.apply(meanDelta: mean, to: global), admission))
    }

    /// DP-FedAvg (McMahan et al., ICLR 2018): every usable delta is clipped to L2 norm C, the clipped
    /// deltas are summed (unweighted), N(0, (zC)²) is added to every element of the sum, and the sum is
    /// divided by the fixed denominator `privacy.expectedSites`; the result is added to `global`. Clipping
    /// happens here, so a site that did not clip cannot exceed the sensitivity the accountant assumes.
    /// The caller composes one round into its `RDPAccountant` for every `.aggregate`.
    public func aggregate<Generator: RandomNumberGenerator>(
        global: [Float], updates: [SiteUpdate], privacy: DPFedAvgConfiguration, noise: inout Generator
    ) throws -> Outcome {
        try checkGlobal(global)
        let admission = admit(updates)
        if let retry = retryReason(admission) { return .retry(retry) }
        var sum = [Double](repeating: 0, count: parameterCount)
        for update in admission.accepted { DPFedAvg.addClipped(update.delta, clipNorm: privacy.clipNorm, to: &sum) }
        let mean = DPFedAvg.noisyMean(ofClippedSum: sum, configuration: privacy, using: &noise)
        return .aggregate(aggregated(FederatedAveraging.apply(meanDelta: mean, to: global), admission))
    }

    /// `.retry` when the usable updates are below the quorum, else nil.
    public func retryReason(_ admission: Admission) -> RetryReason? {
        guard admission.accepted.count < minimumSites else { return nil }
        return RetryReason(usableUpdates: admission.accepted.count, minimumSites: minimumSites,
                           missingSites: admission.missing, rejectedSites: admission.rejected)
    }

    private func aggregated(_ weights: [Float], _ admission: Admission) -> AggregatedRound {
        AggregatedRound(weights: weights, contributingSites: admission.accepted.map(\.siteID),
                        totalExamples: admission.accepted.reduce(0) { $0 + $1.exampleCount },
                        missingSites: admission.missing, rejectedSites: admission.rejected)
    }

    private func checkGlobal(_ global: [Float]) throws {
        guard global.count == parameterCount else {
            throw ConfigurationError.globalWeightsWrongLength(global.count, expected: parameterCount)
        }
    }

    private func problem(with update: SiteUpdate) -> Rejection? {
        if update.round != round { return .wrongRound(update.round) }
        if update.exampleCount <= 0 { return .nonPositiveExampleCount(update.exampleCount) }
        if update.delta.count != parameterCount { return .wrongLength(update.delta.count) }
        if let index = update.delta.firstIndex(where: { !$0.isFinite }) { return .nonFiniteValue(index: index) }
        return nil
    }

    private static func identical(_ a: SiteUpdate, _ b: SiteUpdate) -> Bool {
        a.round == b.round && a.exampleCount == b.exampleCount && a.delta.count == b.delta.count
            && zip(a.delta, b.delta).allSatisfy { $0.bitPattern == $1.bitPattern }
    }
}
