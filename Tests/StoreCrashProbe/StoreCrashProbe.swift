import Foundation
import MimeoCluster
import MimeoWire

/// A process for the crash-safety test (Tests/MimeoClusterTests/CrashSafetyTests.swift): it opens the store at
/// `argv[1]` and runs the coordinator's operations in a loop, printing one line per committed transaction, until it
/// is killed (SIGKILL) or has printed `argv[2]` lines. The test then checks that every printed step is in the file.
///
/// Lines: `submitted JOB`, `leased JOB SHARD ATTEMPT`, `completed JOB SHARD ATTEMPT`, `expired JOB SHARD ATTEMPT`.
@main
struct StoreCrashProbe {
    static func main() throws {
        let arguments = CommandLine.arguments
        guard arguments.count == 3, let limit = Int(arguments[2]) else {
            FileHandle.standardError.write(Data("usage: StoreCrashProbe STATE.db STEPS\n".utf8))
            exit(2)
        }
        let store = try CoordinatorStore(path: arguments[1],
                                         options: .init(leaseTimeoutMilliseconds: 50, defaultMaxAttempts: 1_000))
        var printed = 0
        func say(_ line: String) {
            // Written with write(2), unbuffered: a line on stdout means its transaction was committed first.
            let bytes = Array((line + "\n").utf8)
            bytes.withUnsafeBytes { _ = write(1, $0.baseAddress, $0.count) }
            printed += 1
            if printed >= limit { exit(0) }
        }
        var now: UInt64 = 1_000_000
        for lease in try store.recover(now: now).endedLeases {
            say("expired \(lease.shard.job) \(lease.shard.index) \(lease.attempt)")
        }
        let hash = ContentHash(bytes: [UInt8](repeating: 7, count: 32))!
        var step = 0
        while true {
            step += 1
            now += 10
            let worker = "w\(step % 3)"
            let job = GenerateJob(modelHash: hash, modelBytes: 1, rows: 40 * 4_096, seed: UInt64(step), batchesPerShard: 1,
                                  conditions: [], delimiter: 44, output: "out", maxAttempts: 0)
            let events = try store.write { tx -> [String] in
                var lines: [String] = []
                if try tx.lease(to: "probe", now: now).map({ lease in
                    lines.append("leased \(lease.shard.job) \(lease.shard.index) \(lease.attempt)")
                    // Every third lease is abandoned to expire; the rest complete in the same transaction.
                    if step % 3 != 0 {
                        let result = GenerateResult(rows: 4_096, bytes: 100, checksum: hash, elapsedMilliseconds: 1,
                                                    summaryVersion: 1, summaries: [UInt8](repeating: 1, count: 64))
                        if try tx.complete(shard: lease.shard, attempt: lease.attempt, from: "probe", result: result,
                                           now: now) {
                            lines.append("completed \(lease.shard.job) \(lease.shard.index) \(lease.attempt)")
                        }
                    }
                    return true
                }) == nil {
                    lines.append("submitted \(try tx.submit(job, label: worker, now: now))")
                }
                for lease in try tx.expire(now: now) {
                    lines.append("expired \(lease.shard.job) \(lease.shard.index) \(lease.attempt)")
                }
                return lines
            }
            for line in events { say(line) }
        }
    }
}
