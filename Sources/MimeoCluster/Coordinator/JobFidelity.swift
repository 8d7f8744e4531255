import Foundation
import MimeoData
import MimeoEval
import MimeoWire

/// `out/_fidelity.json`: the fidelity of a finished generation job that named a real table (`mimeo generate
/// --real`), computed by the coordinator from the parts' merged `SyntheticSummary`s without reading the parts
/// (docs/cluster-generation.md, "The fidelity report").
///
/// `fidelity` is the object `mimeo evaluate --real TABLE --synthetic PARTS --json` writes under `fidelity` for the
/// parts concatenated in order (up to floating-point rounding of the pair correlations' merged moments). When a
/// part's result carried no summary (a worker dropped it over `PartSummaries.maximumBytes`, or it is unreadable),
/// `fidelity` is null and `missingParts` names the parts: a report over fewer rows than the job wrote is never
/// given as the job's.
public struct JobFidelity: Codable, Sendable, Equatable {
    /// The format version (1).
    public var format = 1
    public var job: UInt64
    /// The real table's SHA-256 and size, as the job named it.
    public var realSHA256: String
    public var realBytes: UInt64
    /// Rows the job wrote, and the rows the merged summary covers (equal when `fidelity` is given).
    public var rows: UInt64
    public var summarizedRows: UInt64
    /// The job's part files, and those whose summary is missing.
    public var parts: Int
    public var missingParts: [String]
    /// The fidelity report of all parts together, or nil when it cannot be made (see `note`).
    public var fidelity: FidelityReport?
    /// Why `fidelity` is nil.
    public var note: String?

    enum CodingKeys: String, CodingKey {
        case format, job, realSHA256 = "real_sha256", realBytes = "real_bytes", rows
        case summarizedRows = "summarized_rows", parts, missingParts = "missing_parts", fidelity, note
    }

    /// The file name, next to `_manifest.json`.
    public static let fileName = "_fidelity.json"

    /// Where a job writing into `output` keeps its fidelity report.
    public static func path(in output: String) -> String {
        (output as NSString).appendingPathComponent(fileName)
    }

    /// The fidelity of finished job `id` from its stored results and the real table in `blobs`; nil for a job
    /// without a real table. The real table is read as `mimeo evaluate --real` reads it
    /// (`EvaluationPipeline.prepareFidelity(realTableAt:)`); a table that cannot be read gives a nil `fidelity` with
    /// the reason in `note`.
    public static func make(job id: JobID, store: CoordinatorStore, blobs: BlobStore) throws -> JobFidelity? {
        let (job, status, results) = try store.read { tx in
            guard let status = try tx.job(id) else { throw StoreError.unknownJob(id) }
            return (try tx.generateJob(id), status, try tx.results(of: id))
        }
        guard let table = job.realTable else { return nil }
        var document = JobFidelity(job: id, realSHA256: table.hash.description, realBytes: table.bytes, rows: job.rows,
                                   summarizedRows: 0, parts: status.shardCount, missingParts: [], fidelity: nil,
                                   note: nil)
        var merged: SyntheticSummary?
        var mismatch = false
        let summarized = Set(results.map(\.shard.index))
        for index in 0..<status.shardCount where !summarized.contains(index) {
            document.missingParts.append(ShardPlan.partName(index, shardCount: status.shardCount))
        }
        for result in results {
            let name = ShardPlan.partName(result.shard.index, shardCount: status.shardCount)
            guard let summary = (try? PartSummaries.decode(result.result.summaries,
                                                           version: result.result.summaryVersion))?.summary else {
                document.missingParts.append(name)
                continue
            }
            document.summarizedRows += UInt64(summary.rowCount)
            if merged == nil {
                merged = summary
            } else if (try? merged!.merge(summary)) == nil {
                mismatch = true
            }
        }
        document.missingParts.sort()
        if !document.missingParts.isEmpty {
            document.note = "\(document.missingParts.count) of \(status.shardCount) parts sent no fidelity summary "
                + "(over the \(PartSummaries.maximumBytes)-byte cap, or unreadable): evaluate the parts with `mimeo evaluate`"
            return document
        }
        guard !mismatch, let merged else {
            document.note = "the parts' summaries were made against different real tables or options"
            return document
        }
        guard UInt64(merged.rowCount) == job.rows else {
            document.note = "the parts' summaries cover \(merged.rowCount) rows, not the job's \(job.rows)"
            return document
        }
        let path = blobs.path(for: table.hash)
        guard blobs.size(of: table.hash) == table.bytes else {
            document.note = "the coordinator no longer holds the real table \(table.hash)"
            return document
        }
        do {
            let prepared = try EvaluationPipeline.prepareFidelity(realTableAt: path)
            guard prepared.evaluator.profileID == merged.profileID else {
                document.note = "the parts' summaries were made against another reading of the real table"
                return document
            }
            document.fidelity = prepared.evaluator.report(for: merged)
        } catch {
            document.note = "the real table cannot be evaluated: \(error)"
        }
        return document
    }

    /// Writes the fidelity of finished job `job` into its output folder (through a temporary name) and returns its
    /// path; nil for a job without a real table.
    @discardableResult
    public static func write(job: JobID, store: CoordinatorStore, blobs: BlobStore) throws -> String? {
        guard let document = try make(job: job, store: store, blobs: blobs) else { return nil }
        let output = try store.read { try $0.generateJob(job) }.output
        let path = path(in: output)
        try document.write(to: path)
        return path
    }

    /// Writes the document as pretty JSON to `path` through a temporary name, with the encoding `mimeo evaluate
    /// --json` uses (sorted keys; infinities and NaN as strings).
    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf",
                                                                      nan: "nan")
        let bytes = [UInt8](try encoder.encode(self)) + [UInt8(ascii: "\n")]
        try AtomicFileOutput.write(bytes, toFileAt: path)
    }

    /// Reads a fidelity document.
    public static func read(from path: String) throws -> JobFidelity {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf",
                                                                        nan: "nan")
        return try decoder.decode(JobFidelity.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }
}
