import Foundation
import MimeoEval
import MimeoTabular
import MimeoWire

/// The mergeable summaries of one part: what a GenerateResult's `summaries` bytes hold (JSON of this struct),
/// with `summaryVersion` = `PartSummaries.version`. The worker writes them; the coordinator's merge step reads
/// them (docs/cluster-generation.md, "What a part's result carries").
///
/// ```swift
/// let bytes = try PartSummaries(statistics: part.statistics, summary: part.summary).encoded()
/// let back = try PartSummaries.decode(bytes, version: result.summaryVersion)
/// ```
public struct PartSummaries: Codable, Sendable, Equatable {
    /// The format version this type reads and writes (GenerateResult's `summaryVersion`).
    public static let version: UInt16 = 1
    /// The largest summaries a worker sends (1 MiB); larger statistics are left out of the result.
    public static let maximumBytes = 1 << 20

    /// `TableStatistics` of the part's rows over the model's schema, when the worker computed them.
    public var statistics: TableStatistics?
    /// The fidelity summary of the part's rows, when the worker had an evaluator (MWP-1 leases carry none).
    public var summary: SyntheticSummary?

    public init(statistics: TableStatistics?, summary: SyntheticSummary?) {
        self.statistics = statistics
        self.summary = summary
    }

    /// The summaries as JSON (keys sorted, so the same summaries give the same bytes).
    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return [UInt8](try encoder.encode(self))
    }

    /// Reads summaries written with format `version`.
    ///
    /// - Throws: `PartSummariesError` for another version or bytes that are not this JSON.
    public static func decode(_ bytes: [UInt8], version: UInt16) throws -> PartSummaries {
        guard version == Self.version else {
            throw PartSummariesError("part summaries of format version \(version); this node reads version \(Self.version)")
        }
        do {
            return try JSONDecoder().decode(PartSummaries.self, from: Data(bytes))
        } catch {
            throw PartSummariesError("part summaries are not readable: \(error)")
        }
    }
}

extension PartSummaries {
    /// Adds another part's summaries (same schema and real table); a part without a kind of summary leaves the
    /// merge without it.
    public mutating func merge(_ other: PartSummaries) throws {
        if let theirs = other.statistics { statistics?.reduce(theirs) } else { statistics = nil }
        if let theirs = other.summary { try summary?.merge(theirs) } else { summary = nil }
    }
}

/// Why a part's summaries cannot be read.
public struct PartSummariesError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
