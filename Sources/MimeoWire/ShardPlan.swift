/// How a generation job of `totalRows` rows is cut into shards of whole sampler batches (spec: Job kind 1).
///
/// Batch `b` covers rows `b · batchRows ..< min((b + 1) · batchRows, totalRows)`; shard `i` covers batches
/// `i · batchesPerShard ..< min((i + 1) · batchesPerShard, batchCount)`. Because every batch has its own random
/// stream, the parts in shard order hold exactly the rows one process writes.
///
/// ```swift
/// let plan = try ShardPlan(totalRows: 50_000, batchesPerShard: 3)   // 13 batches, 5 shards
/// plan.shard(4)!  // batch 12, rows 49,152 ..< 50,000
/// ```
public struct ShardPlan: Sendable, Equatable {
    /// One shard: a range of batches and the rows they hold.
    public struct Shard: Sendable, Equatable {
        public var index: Int
        public var firstBatch: UInt64
        public var batchCount: UInt32
        public var firstRow: UInt64
        public var rowCount: UInt64
    }

    /// Why a plan cannot be made.
    public struct PlanError: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    public let totalRows: UInt64
    public let batchRows: UInt32
    public let batchesPerShard: UInt32
    /// Batches in the job: ⌈totalRows / batchRows⌉.
    public let batchCount: UInt64
    /// Shards in the job: ⌈batchCount / batchesPerShard⌉.
    public let shardCount: Int

    /// Plans a job.
    ///
    /// - Parameters:
    ///   - totalRows: rows of the job (`-n`), at least 1.
    ///   - batchRows: rows per sampler batch (`Sampler.batchSize`, 4,096).
    ///   - batchesPerShard: batches per shard, at least 1.
    /// - Throws: `PlanError` for zero rows, batch rows or batches per shard, or more than 2³² − 1 shards.
    public init(totalRows: UInt64, batchRows: UInt32 = 4_096, batchesPerShard: UInt32) throws(PlanError) {
        guard totalRows >= 1 else { throw PlanError(description: "a job needs at least one row") }
        guard batchRows >= 1, batchesPerShard >= 1 else {
            throw PlanError(description: "batch rows and batches per shard must be at least 1")
        }
        let batchCount = (totalRows - 1) / UInt64(batchRows) + 1
        let shardCount = (batchCount - 1) / UInt64(batchesPerShard) + 1
        guard shardCount <= UInt64(UInt32.max) else {
            throw PlanError(description: "\(shardCount) shards; use more batches per shard (at most \(UInt32.max) shards)")
        }
        self.totalRows = totalRows
        self.batchRows = batchRows
        self.batchesPerShard = batchesPerShard
        self.batchCount = batchCount
        self.shardCount = Int(shardCount)
    }

    /// Batches per shard for a job when the client leaves it to the coordinator: about `shardsPerWorker` shards
    /// per worker so a slow worker gets less work, at most `maxBatchesPerShard` batches so a lost shard loses little,
    /// and at least one batch.
    public static func automaticBatchesPerShard(totalRows: UInt64, batchRows: UInt32 = 4_096, workers: Int,
                                                shardsPerWorker: Int = 8, maxBatchesPerShard: UInt32 = 256) -> UInt32 {
        guard totalRows > 0, batchRows > 0 else { return 1 }
        let batches = (totalRows - 1) / UInt64(batchRows) + 1
        let wanted = UInt64(max(1, workers)) * UInt64(max(1, shardsPerWorker))
        let perShard = (batches + wanted - 1) / wanted
        return UInt32(min(max(perShard, 1), UInt64(max(1, maxBatchesPerShard))))
    }

    /// Shard `index`, or nil outside `0 ..< shardCount`.
    public func shard(_ index: Int) -> Shard? {
        guard index >= 0, index < shardCount else { return nil }
        let firstBatch = UInt64(index) * UInt64(batchesPerShard)
        let batches = min(UInt64(batchesPerShard), batchCount - firstBatch)
        let firstRow = firstBatch * UInt64(batchRows)
        let rowCount = min(batches * UInt64(batchRows), totalRows - firstRow)
        return Shard(index: index, firstBatch: firstBatch, batchCount: UInt32(batches), firstRow: firstRow,
                     rowCount: rowCount)
    }

    /// The part file name of shard `index`: `part-NNNNN.csv`, with at least five digits and as many as the last
    /// shard needs, so names sort in shard order.
    public func partName(_ index: Int) -> String { Self.partName(index, shardCount: shardCount) }

    /// The part file name of shard `index` of a job of `shardCount` shards.
    public static func partName(_ index: Int, shardCount: Int) -> String {
        let width = max(5, String(max(0, shardCount - 1)).count)
        return "part-" + String(index).leftPadded(to: width) + ".csv"
    }

    /// The LEASE payload of shard `index` of `job`, writing into `job.output`; nil outside `0 ..< shardCount`.
    public func leasePayload(_ index: Int, of job: GenerateJob) -> GenerateShard? {
        guard let shard = shard(index) else { return nil }
        let folder = job.output.hasSuffix("/") || job.output.isEmpty ? job.output : job.output + "/"
        return GenerateShard(modelHash: job.modelHash, modelBytes: job.modelBytes, seed: job.seed, totalRows: totalRows,
                             batchRows: batchRows, firstBatch: shard.firstBatch, batchCount: shard.batchCount,
                             conditions: job.conditions, delimiter: job.delimiter, output: folder + partName(index),
                             realTable: job.realTable, sampling: job.sampling)
    }
}
