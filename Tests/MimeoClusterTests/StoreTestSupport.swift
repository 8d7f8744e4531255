import Foundation
@testable import MimeoCluster
import MimeoWire

/// A fresh state file path in a new temporary folder.
func temporaryStatePath() throws -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mimeo-store-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder.appendingPathComponent("coordinator.db").path
}

let testHash = ContentHash(bytes: (0..<32).map { UInt8($0) })!

/// A generation job of `rows` rows in shards of `batchesPerShard` batches of 4,096 rows.
func generateJob(rows: UInt64 = 50_000, batchesPerShard: UInt32 = 3, maxAttempts: UInt16 = 0,
                 seed: UInt64 = 7) -> GenerateJob {
    GenerateJob(modelHash: testHash, modelBytes: 1_234, rows: rows, seed: seed, batchesPerShard: batchesPerShard,
                conditions: [WireCondition(column: "sex", value: "Female")], delimiter: 44, output: "out",
                maxAttempts: maxAttempts)
}

/// A result whose fields all derive from `shard`, so a stored result can be checked against what was sent.
func shardResult(_ shard: ShardID, attempt: UInt32 = 1) -> GenerateResult {
    GenerateResult(rows: UInt64(shard.index) * 10 + 1, bytes: UInt64(shard.index) * 100 + 7,
                   checksum: ContentHash(bytes: [UInt8](repeating: UInt8(truncatingIfNeeded: shard.index), count: 32))!,
                   elapsedMilliseconds: UInt64(attempt), summaryVersion: 1,
                   summaries: [UInt8](repeating: UInt8(truncatingIfNeeded: shard.index &+ 3), count: 16))
}

/// A small job store with a short lease timeout.
func openStore(_ path: String, leaseTimeout: UInt32 = 1_000, maxAttempts: UInt32 = 5) throws -> CoordinatorStore {
    try CoordinatorStore(path: path, options: .init(leaseTimeoutMilliseconds: leaseTimeout,
                                                    defaultMaxAttempts: maxAttempts))
}
