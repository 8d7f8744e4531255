import Foundation

/// One site's contribution to a round: the change it made to the broadcast weights.
///
/// Updates are **deltas** (`local weights − broadcast weights`), not new weights: FedAvg over deltas
/// followed by `global + mean delta` is the same arithmetic as averaging new weights, but deltas are
/// what DP clipping bounds (a site's influence on the sum) and what secure aggregation quantises (small
/// values near zero, so a tight fixed-point range).
public struct SiteUpdate: Sendable, Equatable, Codable {
    /// The site's name, as the worker registered it.
    public var siteID: String
    /// The round this update answers.
    public var round: Int
    /// The number of training examples the site used this round (the FedAvg weight).
    public var exampleCount: Int
    /// `local weights − broadcast weights`, one element per model parameter.
    public var delta: [Float]

    /// An update from `siteID` for `round`.
    public init(siteID: String, round: Int, exampleCount: Int, delta: [Float]) {
        self.siteID = siteID
        self.round = round
        self.exampleCount = exampleCount
        self.delta = delta
    }

    /// The delta of a site that trained `broadcast` into `local` (same length).
    public init(siteID: String, round: Int, exampleCount: Int, broadcast: [Float], local: [Float]) {
        precondition(broadcast.count == local.count, "the local model has the broadcast model's shape")
        self.init(siteID: siteID, round: round, exampleCount: exampleCount,
                  delta: zip(local, broadcast).map { $0 - $1 })
    }

    /// The Euclidean norm of `delta`, accumulated in Double.
    public var l2Norm: Double { FederatedAveraging.l2Norm(delta) }

    private enum CodingKeys: String, CodingKey { case siteID, round, exampleCount, delta }

    /// Decodes and validates: a site id of 1–256 bytes, round ≥ 0, 1 ≤ examples ≤ 2⁴⁰, a delta of at
    /// most `VectorCoding.maximumElementCount` finite Float32 values. The length against the model is the
    /// aggregator's check (`RoundAggregator`).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        siteID = try WireValidation.identifier(container, .siteID)
        round = try WireValidation.integer(container, .round, in: 0...Int(Int32.max))
        exampleCount = try WireValidation.integer(container, .exampleCount, in: 1...(1 << 40))
        delta = try WireValidation.vector(container, .delta) { try VectorCoding.decodeFloats($0) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(siteID, forKey: .siteID)
        try container.encode(round, forKey: .round)
        try container.encode(exampleCount, forKey: .exampleCount)
        try container.encode(VectorCoding.encode(delta), forKey: .delta)
    }
}
