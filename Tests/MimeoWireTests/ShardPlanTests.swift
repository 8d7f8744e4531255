import Testing

@testable import MimeoWire

@Suite struct ShardPlanTests {
    @Test func theSpecExampleJob() throws {
        let plan = try ShardPlan(totalRows: 50_000, batchesPerShard: 3)
        #expect(plan.batchCount == 13 && plan.shardCount == 5)
        #expect(plan.shard(4) == ShardPlan.Shard(index: 4, firstBatch: 12, batchCount: 1, firstRow: 49_152, rowCount: 848))
        #expect(plan.shard(5) == nil && plan.shard(-1) == nil)
        #expect(plan.leasePayload(4, of: SpecExamples.generateJob) == SpecExamples.generateShard)
        #expect(plan.partName(4) == "part-00004.csv")
    }

    @Test(arguments: [(UInt64(1), UInt32(1)), (4_095, 1), (4_096, 1), (4_097, 1), (50_000, 3), (1_000_000, 7),
                      (20_000_000, 256), (123_456_789, 5)])
    func shardsCoverEveryRowOnceInOrder(rows: UInt64, batchesPerShard: UInt32) throws {
        let plan = try ShardPlan(totalRows: rows, batchesPerShard: batchesPerShard)
        var nextRow: UInt64 = 0
        var nextBatch: UInt64 = 0
        for index in 0 ..< plan.shardCount {
            let shard = try #require(plan.shard(index))
            #expect(shard.firstRow == nextRow && shard.firstBatch == nextBatch)
            #expect(shard.firstRow == shard.firstBatch * 4_096)
            #expect(shard.rowCount > UInt64(shard.batchCount - 1) * 4_096 && shard.rowCount <= UInt64(shard.batchCount) * 4_096)
            if index < plan.shardCount - 1 { #expect(shard.batchCount == batchesPerShard) }
            nextRow += shard.rowCount
            nextBatch += UInt64(shard.batchCount)
            // Every lease payload passes the decoder's consistency check.
            let payload = try #require(plan.leasePayload(index, of: SpecExamples.generateJob))
            _ = try GenerateShard.decode(kind: .generate, version: 1, payload: payload.encoded())
        }
        #expect(nextRow == rows && nextBatch == plan.batchCount)
    }

    @Test func partNamesSortInShardOrder() throws {
        let plan = try ShardPlan(totalRows: 200_001 * 4_096, batchesPerShard: 1)
        #expect(plan.partName(0) == "part-000000.csv")
        #expect(plan.partName(200_000) == "part-200000.csv")
        #expect(plan.partName(99_999) < plan.partName(100_000))
        let small = try ShardPlan(totalRows: 10, batchesPerShard: 1)
        #expect(small.partName(0) == "part-00000.csv")
        var job = SpecExamples.generateJob
        job.output = "out/"
        #expect(small.leasePayload(0, of: job)?.output == "out/part-00000.csv")
    }

    @Test func invalidPlansAreErrors() {
        #expect(throws: ShardPlan.PlanError.self) { try ShardPlan(totalRows: 0, batchesPerShard: 1) }
        #expect(throws: ShardPlan.PlanError.self) { try ShardPlan(totalRows: 10, batchesPerShard: 0) }
        #expect(throws: ShardPlan.PlanError.self) { try ShardPlan(totalRows: 10, batchRows: 0, batchesPerShard: 1) }
        #expect(throws: ShardPlan.PlanError.self) { try ShardPlan(totalRows: .max, batchRows: 1, batchesPerShard: 1) }
        #expect(throws: Never.self) { try ShardPlan(totalRows: .max, batchesPerShard: .max) }
    }

    @Test func automaticShardSize() {
        #expect(ShardPlan.automaticBatchesPerShard(totalRows: 1, workers: 2) == 1)
        // 20,000,000 rows = 4,883 batches; 2 workers × 8 shards → 306 per shard, capped at 256.
        #expect(ShardPlan.automaticBatchesPerShard(totalRows: 20_000_000, workers: 2) == 256)
        #expect(ShardPlan.automaticBatchesPerShard(totalRows: 1_000_000, workers: 4) == 8)
        #expect(ShardPlan.automaticBatchesPerShard(totalRows: .max, workers: 0) == 256)
    }
}
