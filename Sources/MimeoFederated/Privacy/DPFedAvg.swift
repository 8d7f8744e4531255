import Foundation

/// The parameters of client-level DP-FedAvg, as the coordinator announces them and checkpoints them.
///
/// One round: every participating site's delta is clipped to L2 norm `clipNorm` (C); the clipped
/// deltas are summed; N(0, (z·C)²) is added to each element of the sum, z = `noiseMultiplier`; the
/// sum is divided by `expectedSites` (the fixed denominator q·W of McMahan et al.: the expected number
/// of participating sites, so the division does not depend on who took part). Each site joins each round
/// with probability `samplingRate` (q; 1 when every site trains every round). Neighbouring datasets
/// differ by one whole site (client-level DP): the guarantee covers everything a site holds.
public struct DPFedAvgConfiguration: Sendable, Equatable, Codable {
    /// C: the L2 norm every site's delta is clipped to (the sum's sensitivity).
    public var clipNorm: Double
    /// z: noise standard deviation / C.
    public var noiseMultiplier: Double
    /// q: the probability that a site takes part in a round (Poisson sampling by the coordinator).
    public var samplingRate: Double
    /// The fixed denominator: q × (number of sites).
    public var expectedSites: Double
    /// The ε budget: no round starts that would take the accountant's ε above it.
    public var targetEpsilon: Double
    /// δ of the (ε, δ) guarantee.
    public var delta: Double

    /// Errors from parameters outside their domains.
    public enum ConfigurationError: Error, Equatable, Sendable {
        case invalid(String)
    }

    /// A configuration; every value must be finite and in its domain (see `validate()`).
    public init(clipNorm: Double, noiseMultiplier: Double, samplingRate: Double, expectedSites: Double,
                targetEpsilon: Double, delta: Double) throws {
        self.clipNorm = clipNorm
        self.noiseMultiplier = noiseMultiplier
        self.samplingRate = samplingRate
        self.expectedSites = expectedSites
        self.targetEpsilon = targetEpsilon
        self.delta = delta
        try validate()
    }

    /// The configuration for a budget: the noise multiplier is calibrated so that `rounds` rounds at
    /// sampling rate q over `siteCount` sites spend exactly (at most) (`targetEpsilon`, `delta`).
    public static func calibrated(targetEpsilon: Double, delta: Double, rounds: Int, siteCount: Int,
                                  samplingRate: Double = 1, clipNorm: Double) throws -> DPFedAvgConfiguration {
        guard siteCount >= 1 else { throw ConfigurationError.invalid("at least one site") }
        let z = try NoiseCalibration.noiseMultiplier(targetEpsilon: targetEpsilon, delta: delta, rounds: rounds,
                                                     samplingRate: samplingRate)
        return try DPFedAvgConfiguration(clipNorm: clipNorm, noiseMultiplier: z, samplingRate: samplingRate,
                                         expectedSites: samplingRate * Double(siteCount),
                                         targetEpsilon: targetEpsilon, delta: delta)
    }

    /// Checks every field: C in (0, 1e6], z in (0, 1e6], q in (0, 1], expected sites in (0, 1e9],
    /// ε in (0, 1e4], δ in (0, 1).
    public func validate() throws {
        func check(_ value: Double, _ name: String, _ range: ClosedRange<Double>, openLow: Bool = true) throws {
            guard value.isFinite, range.contains(value), !(openLow && value == range.lowerBound) else {
                let low = openLow ? "(" : "["
                throw ConfigurationError.invalid("\(name) = \(value) is outside \(low)\(range.lowerBound), \(range.upperBound)]")
            }
        }
        try check(clipNorm, "clipNorm", 0...1e6)
        try check(noiseMultiplier, "noiseMultiplier", 0...1e6)
        try check(samplingRate, "samplingRate", 0...1)
        try check(expectedSites, "expectedSites", 0...1e9)
        try check(targetEpsilon, "targetEpsilon", 0...1e4)
        try check(delta, "delta", 0...1)
        guard delta < 1 else { throw ConfigurationError.invalid("delta must be < 1") }
    }

    /// The noise standard deviation added to each element of the sum: z·C.
    public var noiseStandardDeviation: Double { noiseMultiplier * clipNorm }

    private enum CodingKeys: String, CodingKey {
        case clipNorm, noiseMultiplier, samplingRate, expectedSites, targetEpsilon, delta
    }

    /// Decodes and runs `validate()`: a hostile configuration is a decoding error.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        clipNorm = try container.decode(Double.self, forKey: .clipNorm)
        noiseMultiplier = try container.decode(Double.self, forKey: .noiseMultiplier)
        samplingRate = try container.decode(Double.self, forKey: .samplingRate)
        expectedSites = try container.decode(Double.self, forKey: .expectedSites)
        targetEpsilon = try container.decode(Double.self, forKey: .targetEpsilon)
        delta = try container.decode(Double.self, forKey: .delta)
        do { try validate() } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\(error)"))
        }
    }
}

/// DP-FedAvg's steps, for the coordinator and (under secure aggregation) the sites.
public enum DPFedAvg {
    /// `delta` scaled to L2 norm at most `clipNorm` (unchanged when already within it), and its norm
    /// before clipping. A site clips before masking under secure aggregation; the plain coordinator
    /// clips again anyway (`RoundAggregator.aggregate(global:updates:privacy:noise:)`).
    public static func clip(_ delta: [Float], clipNorm: Double) -> (clipped: [Double], norm: Double) {
        let norm = FederatedAveraging.l2Norm(delta)
        let factor = norm > clipNorm ? clipNorm / norm : 1
        return (delta.map { Double($0) * factor }, norm)
    }

    /// Adds `delta` clipped to `clipNorm` into `sum` (Double throughout).
    public static func addClipped(_ delta: [Float], clipNorm: Double, to sum: inout [Double]) {
        precondition(delta.count == sum.count, "the delta has the sum's shape")
        let norm = FederatedAveraging.l2Norm(delta)
        let factor = norm > clipNorm ? clipNorm / norm : 1
        for i in sum.indices { sum[i] += Double(delta[i]) * factor }
    }

    /// (clipped sum + N(0, (zC)²)) / expected sites: the private mean delta of a round.
    public static func noisyMean<Generator: RandomNumberGenerator>(
        ofClippedSum sum: [Double], configuration: DPFedAvgConfiguration, using generator: inout Generator
    ) -> [Double] {
        var noisy = sum
        GaussianNoise.add(standardDeviation: configuration.noiseStandardDeviation, to: &noisy, using: &generator)
        for i in noisy.indices { noisy[i] /= configuration.expectedSites }
        return noisy
    }

    /// The sites taking part in a round under Poisson sampling: each of `sites` independently with
    /// probability q (the sampling the accountant's amplification assumes; q = 1 takes every site).
    public static func poissonSample<Generator: RandomNumberGenerator>(
        _ sites: [String], samplingRate q: Double, using generator: inout Generator
    ) -> [String] {
        if q >= 1 { return sites.sorted(by: siteIDPrecedes) }
        return sites.sorted(by: siteIDPrecedes).filter { _ in Double(generator.next() >> 11) * 0x1p-53 < q }
    }
}

/// The coordinator's privacy ledger for a DP-FedAvg job: the accountant plus the budget check that
/// stops training before a round would overspend. Codable, to checkpoint with each round's weights.
public struct PrivacyLedger: Sendable, Equatable, Codable {
    /// The job's DP parameters.
    public private(set) var configuration: DPFedAvgConfiguration
    /// The RDP curve spent so far.
    public private(set) var accountant: RDPAccountant

    /// A ledger with nothing spent.
    public init(configuration: DPFedAvgConfiguration) throws {
        try configuration.validate()
        self.configuration = configuration
        self.accountant = try RDPAccountant()
    }

    /// Rounds spent so far.
    public var roundsSpent: Int { accountant.composedEvents }

    /// ε spent so far at the configured δ.
    public func epsilonSpent() throws -> Double { try accountant.epsilon(delta: configuration.delta).epsilon }

    /// Whether one more round keeps ε within the target: check before broadcasting a round, stop
    /// training when false.
    public func canAffordNextRound() throws -> Bool {
        try accountant.epsilon(afterAdditionalRounds: 1, samplingRate: configuration.samplingRate,
                               noiseMultiplier: configuration.noiseMultiplier, delta: configuration.delta)
            <= configuration.targetEpsilon
    }

    /// Records one aggregated (noised) round; returns ε spent after it. Call once per `.aggregate`,
    /// never for a `.retry` or a voided round (nothing derived from the data was released).
    @discardableResult
    public mutating func recordRound() throws -> Double {
        try accountant.compose(samplingRate: configuration.samplingRate, noiseMultiplier: configuration.noiseMultiplier)
        return try epsilonSpent()
    }
}
