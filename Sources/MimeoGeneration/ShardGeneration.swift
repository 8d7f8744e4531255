import CZlib
import Foundation
import MimeoData
import MimeoEval
import MimeoTabular
import MimeoWire

/// Why a shard cannot be generated.
public struct ShardGenerationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// What a worker reports for one written part (docs/cluster-generation.md).
public struct PartResult: Sendable, Equatable, Codable {
    /// Rows written (without the header line).
    public var rows: Int
    /// Bytes of the part file, header line included.
    public var bytes: Int
    /// zlib's CRC-32 of the part file's bytes, header line included.
    public var crc32: UInt32
    /// The fidelity summary of the part's rows, when an evaluator was given.
    public var summary: SyntheticSummary?
    /// The encoding statistics of the part's rows (`TableStatistics.analyze` over the model's schema).
    public var statistics: TableStatistics?
}

/// Generates one shard of a generation job: batches `firstBatch ..< firstBatch + batchCount` of the job's
/// `⌈totalRows / Sampler.batchSize⌉` sampler batches, each from its own random stream keyed by `(seed, batch)`,
/// so the parts' rows in part order are byte for byte the rows `GenerationRun` writes on one process.
///
/// ```swift
/// let plan = try ShardPlan(totalRows: 50_000, batchesPerShard: 3)
/// let part = try ShardGeneration(sampler: sampler, seed: 7, totalRows: 50_000, shard: plan.shard(2)!, threads: 4)
/// let result = try part.write(to: "out/" + plan.partName(2))   // header + rows 24,576 ..< 36,864
/// ```
public struct ShardGeneration {
    public var sampler: Sampler
    public var seed: UInt64
    /// Rows of the whole job (`-n`): the last batch of the job holds what is left.
    public var totalRows: Int
    public var firstBatch: Int
    public var batchCount: Int
    public var threads: Int
    /// The evaluator whose mergeable summary of the part's rows is returned (nil: no summary).
    public var evaluator: FidelityEvaluator?
    /// Cell spellings read as missing when summarising: the real schema's, as `mimeo evaluate` reads.
    public var missingValues: [String]
    /// Whether to return `TableStatistics` of the part's rows.
    public var computesStatistics: Bool

    /// Batches in a job of `totalRows` rows.
    public static func batchCount(totalRows: Int) -> Int {
        GenerationRun.batchCount(rowCount: totalRows)
    }

    /// A shard given as a batch range.
    ///
    /// - Throws: `ShardGenerationError` when the range is not inside the job's batches.
    public init(sampler: Sampler, seed: UInt64, totalRows: Int, firstBatch: Int, batchCount: Int, threads: Int,
                evaluator: FidelityEvaluator? = nil, missingValues: [String] = Schema.defaultMissingValues,
                computesStatistics: Bool = false) throws {
        let jobBatches = Self.batchCount(totalRows: totalRows)
        guard totalRows >= 0, firstBatch >= 0, batchCount >= 0, firstBatch <= jobBatches,
              batchCount <= jobBatches - firstBatch else {
            throw ShardGenerationError("batches \(firstBatch) ..< \(firstBatch) + \(batchCount) are not inside the "
                + "\(jobBatches) batches of a job of \(totalRows) rows")
        }
        self.sampler = sampler
        self.seed = seed
        self.totalRows = totalRows
        self.firstBatch = firstBatch
        self.batchCount = batchCount
        self.threads = max(1, min(threads, 1 << 16))
        self.evaluator = evaluator
        self.missingValues = missingValues
        self.computesStatistics = computesStatistics
    }

    /// Shard `shard` of a `ShardPlan` of `totalRows` rows.
    ///
    /// - Throws: `ShardGenerationError` when the plan's batch size is not `Sampler.batchSize` or the shard does
    ///   not fit the job.
    public init(sampler: Sampler, seed: UInt64, totalRows: Int, batchRows: UInt32 = UInt32(Sampler.batchSize),
                shard: ShardPlan.Shard, threads: Int, evaluator: FidelityEvaluator? = nil,
                missingValues: [String] = Schema.defaultMissingValues, computesStatistics: Bool = false) throws {
        guard batchRows == UInt32(Sampler.batchSize) else {
            throw ShardGenerationError("the plan's batches hold \(batchRows) rows; the sampler's hold \(Sampler.batchSize)")
        }
        guard shard.firstBatch <= UInt64(Int.max) else {
            throw ShardGenerationError("shard \(shard.index) starts at batch \(shard.firstBatch), beyond this machine")
        }
        try self.init(sampler: sampler, seed: seed, totalRows: totalRows, firstBatch: Int(shard.firstBatch),
                      batchCount: Int(shard.batchCount), threads: threads, evaluator: evaluator,
                      missingValues: missingValues, computesStatistics: computesStatistics)
        guard UInt64(rowCount) == shard.rowCount else {
            throw ShardGenerationError("shard \(shard.index) claims \(shard.rowCount) rows; its batches hold \(rowCount)")
        }
    }

    /// The shard a LEASE payload describes, with `sampler` built from the model `payload.modelHash` names, with
    /// `ShardGeneration.conditions(of: payload)` and `payload.delimiter`; write it to `payload.output`.
    ///
    /// - Throws: `ShardGenerationError` when the payload's batch size, delimiter or row range disagree with the
    ///   sampler and the job, or its numbers do not fit this machine.
    public init(sampler: Sampler, payload: GenerateShard, threads: Int, evaluator: FidelityEvaluator? = nil,
                missingValues: [String] = Schema.defaultMissingValues, computesStatistics: Bool = false) throws {
        guard payload.batchRows == UInt32(Sampler.batchSize) else {
            throw ShardGenerationError("the lease's batches hold \(payload.batchRows) rows; the sampler's hold \(Sampler.batchSize)")
        }
        guard payload.delimiter == sampler.delimiter else {
            throw ShardGenerationError("the lease asks for delimiter byte \(payload.delimiter); the sampler writes \(sampler.delimiter)")
        }
        guard payload.totalRows <= UInt64(GenerationRun.maximumRowCount), payload.firstBatch <= UInt64(Int.max) else {
            throw ShardGenerationError("the lease's job of \(payload.totalRows) rows from batch \(payload.firstBatch) does not fit")
        }
        try self.init(sampler: sampler, seed: payload.seed, totalRows: Int(payload.totalRows),
                      firstBatch: Int(payload.firstBatch), batchCount: Int(payload.batchCount), threads: threads,
                      evaluator: evaluator, missingValues: missingValues, computesStatistics: computesStatistics)
        guard UInt64(rows.lowerBound) == payload.firstRow || rowCount == 0, UInt64(rowCount) == payload.rowCount else {
            throw ShardGenerationError("the lease claims rows \(payload.firstRow) + \(payload.rowCount); its batches hold "
                + "\(rows.lowerBound) + \(rowCount)")
        }
    }

    /// The `--where` conditions of a LEASE payload, for the `Sampler`.
    public static func conditions(of payload: GenerateShard) -> [Condition] {
        payload.conditions.map { Condition(column: $0.column, value: $0.value) }
    }

    /// The job rows this shard covers.
    public var rows: Range<Int> {
        let lower = min(firstBatch * Sampler.batchSize, totalRows)
        return lower ..< min((firstBatch + batchCount) * Sampler.batchSize, totalRows)
    }

    /// Rows this shard writes.
    public var rowCount: Int { rows.count }

    /// Generates the part and hands its bytes to `write` in order (the header line first); returns the result.
    /// `progress` receives the rows written so far after each group of batches (at most `2 · threads`).
    public func run(write: ([UInt8]) throws -> Void, progress: (Int) -> Void = { _ in }) throws -> PartResult {
        let header = sampler.headerBytes()
        var result = PartResult(rows: 0, bytes: 0, crc32: 0, summary: evaluator?.makeSummary(),
                                statistics: computesStatistics ? TableStatistics.analyze(
                                    try parse(header), schema: sampler.encoder.schema) : nil)
        var crc: UInt = CZlib.crc32(0, nil, 0)
        func emit(_ bytes: [UInt8]) throws {
            try write(bytes)
            crc = bytes.withUnsafeBufferPointer { buffer in
                var crc = crc, offset = 0
                while offset < buffer.count {
                    let length = min(buffer.count - offset, 1 << 30)
                    crc = CZlib.crc32(crc, buffer.baseAddress! + offset, UInt32(length))
                    offset += length
                }
                return crc
            }
            result.bytes += bytes.count
        }
        try emit(header)

        let evaluator = self.evaluator, missingValues = self.missingValues, computesStatistics = self.computesStatistics
        let schema = sampler.encoder.schema, delimiter = sampler.delimiter
        // The job's batches in this shard's range: the same bytes as on one process (GenerationRun).
        try GenerationRun(sampler: sampler, rowCount: totalRows, seed: seed, threads: threads).run(
            batches: firstBatch..<(firstBatch + batchCount),
            process: { index, count, bytes -> Batch in
                guard evaluator != nil || computesStatistics else { return Batch(bytes: bytes, rows: count) }
                let table = try TableLoader(delimiter: delimiter, missingValues: missingValues)
                    .load(from: CSVReader(bytes: header + bytes, delimiter: delimiter))
                guard table.rowCount == count else {
                    throw ShardGenerationError("batch \(index) parsed back as \(table.rowCount) rows, not \(count)")
                }
                return Batch(bytes: bytes, rows: count, summary: try evaluator?.summarize(table),
                             statistics: computesStatistics ? TableStatistics.analyze(table, schema: schema) : nil)
            },
            consume: { batches in
                for batch in batches {
                    try emit(batch.bytes)
                    result.rows += batch.rows
                    if let summary = batch.summary { try result.summary?.merge(summary) }
                    if let statistics = batch.statistics { result.statistics?.reduce(statistics) }
                }
                progress(result.rows)
            })
        result.crc32 = UInt32(truncatingIfNeeded: crc)
        return result
    }

    /// Writes the part to `path` through a temporary file renamed into place only once it is complete, so that a
    /// failed or interrupted part never appears under its final name.
    ///
    /// - Throws: `DataError` when the output cannot be created, written, synced or renamed (the temporary file is
    ///   removed); any error of generation.
    public func write(to path: String) throws -> PartResult {
        let output = try AtomicFileOutput(path: path)
        do {
            let result = try run { try output.write($0) }
            try output.commit()
            return result
        } catch {
            output.discard()
            throw error
        }
    }

    private func parse(_ bytes: [UInt8]) throws -> Table {
        try TableLoader(delimiter: sampler.delimiter, missingValues: missingValues)
            .load(from: CSVReader(bytes: bytes, delimiter: sampler.delimiter))
    }
}

/// One generated batch and what was computed from it.
private struct Batch: Sendable {
    var bytes: [UInt8]
    var rows: Int
    var summary: SyntheticSummary? = nil
    var statistics: TableStatistics? = nil
}
