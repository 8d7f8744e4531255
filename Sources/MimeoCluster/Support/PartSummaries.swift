import Foundation
import MimeoEval
import MimeoTabular

/// The mergeable summaries of a part that a worker sends in `GenerateResult.summaries` (summary version 1: this
/// struct as JSON). The coordinator merges the parts' summaries into the job's manifest without reading the parts.
public struct PartSummaries: Codable, Sendable, Equatable {
    /// The summaries blob version this type reads and writes.
    public static let version: UInt16 = 1

    /// Per-column statistics of the rows (`TableStatistics.analyze` over the model's schema).
    public var statistics: TableStatistics?
    /// The fidelity summary of the rows, when the job named a real table to compare with.
    public var summary: SyntheticSummary?

    public init(statistics: TableStatistics?, summary: SyntheticSummary?) {
        self.statistics = statistics
        self.summary = summary
    }

    /// The blob's bytes.
    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return [UInt8](try encoder.encode(self))
    }

    /// Reads a blob of summary version `version`; an empty blob is no summaries.
    public static func decode(version: UInt16, bytes: [UInt8]) throws -> PartSummaries {
        guard version == Self.version else { throw ClusterError("summaries of version \(version) are not readable here") }
        return try JSONDecoder().decode(PartSummaries.self, from: Data(bytes))
    }

    /// Adds another part's summaries (the same schema and real table).
    public mutating func merge(_ other: PartSummaries) throws {
        if let theirs = other.statistics { statistics?.reduce(theirs) } else { statistics = nil }
        if let theirs = other.summary { try summary?.merge(theirs) } else { summary = nil }
    }
}
