import Foundation
import MimeoData
import MimeoWire

/// `out/_manifest.json`: what a finished generation job wrote, written by the coordinator when the last shard's
/// result is accepted (docs/cluster.md, "The manifest").
///
/// It names the model by hash, the seed, `-n`, the `--where` conditions, and every part in order with its rows,
/// bytes, SHA-256, the worker and attempt that wrote it, and how long it took, so that a reader can check the
/// parts without asking the coordinator.
public struct JobManifest: Codable, Sendable, Equatable {
    public struct Part: Codable, Sendable, Equatable {
        public var index: Int
        public var file: String
        public var firstRow: UInt64
        public var rows: UInt64
        public var bytes: UInt64
        public var sha256: String
        public var worker: String
        public var attempt: UInt32
        public var elapsedMilliseconds: UInt64

        public init(index: Int, file: String, firstRow: UInt64, rows: UInt64, bytes: UInt64, sha256: String,
                    worker: String, attempt: UInt32, elapsedMilliseconds: UInt64) {
            self.index = index
            self.file = file
            self.firstRow = firstRow
            self.rows = rows
            self.bytes = bytes
            self.sha256 = sha256
            self.worker = worker
            self.attempt = attempt
            self.elapsedMilliseconds = elapsedMilliseconds
        }

        enum CodingKeys: String, CodingKey {
            case index, file, firstRow = "first_row", rows, bytes, sha256, worker, attempt
            case elapsedMilliseconds = "elapsed_milliseconds"
        }
    }

    public struct Condition: Codable, Sendable, Equatable {
        public var column: String
        public var value: String?

        public init(column: String, value: String?) {
            self.column = column
            self.value = value
        }
    }

    /// The manifest format version (1).
    public var format = 1
    public var job: UInt64
    public var label: String
    public var modelSHA256: String
    public var modelBytes: UInt64
    public var rows: UInt64
    public var seed: UInt64
    public var conditions: [Condition]
    public var delimiter: String
    public var batchRows: UInt32
    public var shardCount: Int
    public var parts: [Part]
    /// Attempts after the first, and attempts that ended without a result.
    public var retries: UInt32
    public var failedAttempts: UInt32
    /// Milliseconds since the Unix epoch.
    public var submittedAt: UInt64
    public var startedAt: UInt64?
    public var finishedAt: UInt64?
    /// Mergeable summaries of all parts together, when the workers sent them (see `PartSummaries`).
    public var summaries: PartSummaries?
    /// The job's real table (`--real`), and the name of its fidelity report next to the manifest
    /// (`JobFidelity.fileName`, written right after the manifest); nil for a job without one.
    public var realSHA256: String?
    public var fidelity: String?

    /// The JSON keys: snake_case, spelled out, because a key strategy would not survive the round trip for
    /// `modelSHA256` (written `model_sha256`, read back as `modelSha256`) nor for the summaries' own keys.
    enum CodingKeys: String, CodingKey {
        case format, job, label, modelSHA256 = "model_sha256", modelBytes = "model_bytes", rows, seed, conditions
        case delimiter, batchRows = "batch_rows", shardCount = "shard_count", parts, retries
        case failedAttempts = "failed_attempts", submittedAt = "submitted_at", startedAt = "started_at"
        case finishedAt = "finished_at", summaries, realSHA256 = "real_sha256", fidelity
    }

    public init(job: UInt64, label: String, modelSHA256: String, modelBytes: UInt64, rows: UInt64, seed: UInt64,
                conditions: [Condition], delimiter: String, batchRows: UInt32, shardCount: Int, parts: [Part],
                retries: UInt32, failedAttempts: UInt32, submittedAt: UInt64, startedAt: UInt64?,
                finishedAt: UInt64?, summaries: PartSummaries?, realSHA256: String? = nil, fidelity: String? = nil) {
        self.job = job
        self.label = label
        self.modelSHA256 = modelSHA256
        self.modelBytes = modelBytes
        self.rows = rows
        self.seed = seed
        self.conditions = conditions
        self.delimiter = delimiter
        self.batchRows = batchRows
        self.shardCount = shardCount
        self.parts = parts
        self.retries = retries
        self.failedAttempts = failedAttempts
        self.submittedAt = submittedAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.summaries = summaries
        self.realSHA256 = realSHA256
        self.fidelity = fidelity
    }

    /// Where a job writing into `output` keeps its manifest.
    public static func path(in output: String) -> String {
        (output as NSString).appendingPathComponent("_manifest.json")
    }

    /// The manifest of finished job `job`, from the store.
    public static func make(job id: JobID, store: CoordinatorStore) throws -> JobManifest {
        try store.read { tx in
            let job = try tx.generateJob(id)
            guard let status = try tx.job(id) else { throw StoreError.unknownJob(id) }
            let results = try tx.results(of: id)
            var merged: PartSummaries?
            for result in results {
                guard let part = try? PartSummaries.decode(result.result.summaries,
                                                          version: result.result.summaryVersion) else {
                    merged = nil
                    break
                }
                if merged == nil { merged = part } else { try merged!.merge(part) }
            }
            return JobManifest(
                job: id, label: status.label, modelSHA256: job.modelHash.description, modelBytes: job.modelBytes,
                rows: job.rows, seed: job.seed,
                conditions: job.conditions.map { Condition(column: $0.column, value: $0.value) },
                delimiter: String(decoding: [job.delimiter], as: UTF8.self),
                batchRows: UInt32(4_096), shardCount: status.shardCount,
                parts: results.map { result in
                    Part(index: result.shard.index,
                         file: ShardPlan.partName(result.shard.index, shardCount: status.shardCount),
                         firstRow: result.firstRow, rows: result.result.rows, bytes: result.result.bytes,
                         sha256: result.result.checksum.description, worker: result.worker, attempt: result.attempt,
                         elapsedMilliseconds: result.result.elapsedMilliseconds)
                },
                retries: status.retries, failedAttempts: status.failedAttempts, submittedAt: status.createdAt,
                startedAt: status.startedAt, finishedAt: status.finishedAt, summaries: results.isEmpty ? nil : merged,
                realSHA256: job.realTable?.hash.description, fidelity: job.realTable == nil ? nil : JobFidelity.fileName)
        }
    }

    /// Writes the manifest of finished job `job` into its output folder (through a temporary name) and returns
    /// its path.
    @discardableResult
    public static func write(job: JobID, store: CoordinatorStore) throws -> String {
        let manifest = try make(job: job, store: store)
        let output = try store.read { try $0.generateJob(job) }.output
        let path = path(in: output)
        try manifest.write(to: path)
        return path
    }

    /// Writes the manifest as pretty JSON to `path` through a temporary name.
    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let bytes = [UInt8](try encoder.encode(self)) + [UInt8(ascii: "\n")]
        try AtomicFileOutput.write(bytes, toFileAt: path)
    }

    /// Reads a manifest.
    public static func read(from path: String) throws -> JobManifest {
        try JSONDecoder().decode(JobManifest.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }
}
