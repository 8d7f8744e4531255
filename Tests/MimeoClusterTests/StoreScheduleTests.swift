import Foundation
@testable import MimeoCluster
import MimeoWire
import MimeoTestSupport
import Testing

/// The store against `LeaseTable`, the protocol's reference state machine: the same random schedule of leases,
/// renewals, results (current and stale), failures, expiries and lost workers is applied to both, with the database
/// closed and opened again between random steps, and every answer must agree.
@Suite struct StoreScheduleTests {
    static let shardCount = 12
    static let timeout: UInt64 = 100
    static let maxAttempts: UInt32 = 5

    @Test(arguments: 1...16 as ClosedRange<UInt64>)
    func storeAgreesWithLeaseTableAndCompletesEachShardOnce(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let path = try temporaryStatePath()
        func open() throws -> CoordinatorStore {
            try openStore(path, leaseTimeout: UInt32(Self.timeout), maxAttempts: Self.maxAttempts)
        }
        var store = try open()
        var table = LeaseTable<String>(shardCount: Self.shardCount, maxAttempts: Self.maxAttempts,
                                       leaseTimeoutMilliseconds: Self.timeout)
        let id = try store.submit(generateJob(rows: UInt64(Self.shardCount) * 4_096, batchesPerShard: 1), now: 0)
        let workers = ["w1", "w2", "w3"]
        var now: UInt64 = 0
        var granted: [(shard: Int, attempt: UInt32, worker: String)] = []
        var accepted: [Int: UInt32] = [:]
        var reopens = 0

        for step in 0..<600 {
            let context = Comment(rawValue: "seed \(seed) step \(step)")
            now += UInt64.random(in: 0...(Self.timeout / 8), using: &random)
            let wasRunning = table.outcome == .running
            // Mostly a lease held now; sometimes any attempt ever granted (most of those are stale by now).
            let held: [(shard: Int, attempt: UInt32, worker: String)] = table.shards.enumerated().compactMap {
                if case let .leased(attempt, worker, _) = $0.element { ($0.offset, attempt, worker) } else { nil }
            }
            let fromHeld = !held.isEmpty && Int.random(in: 0..<10, using: &random) < 7
            let pool = fromHeld ? held : granted
            let pick = pool.isEmpty ? nil : pool[Int.random(in: 0..<pool.count, using: &random)]
            // A stale variant of a granted attempt: an older attempt number or another worker.
            func answer() -> (shard: Int, attempt: UInt32, worker: String)? {
                guard var chosen = pick else { return nil }
                switch Int.random(in: 0..<6, using: &random) {
                case 0: chosen.attempt = max(1, chosen.attempt - 1)
                case 1: chosen.worker = workers.randomElement(using: &random)!
                default: break
                }
                return chosen
            }
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<35:
                let worker = workers.randomElement(using: &random)!
                let expected = table.lease(to: worker, now: now)
                let lease = try store.lease(to: worker, now: now)
                #expect(lease?.shard.index == expected?.shard, context)
                #expect(lease?.attempt == expected?.attempt, context)
                #expect(lease?.expiresAt == expected?.expiresAt, context)
                if let expected { granted.append((expected.shard, expected.attempt, worker)) }
            case 35..<45:
                guard let chosen = answer() else { continue }
                let expected = table.renew(shard: chosen.shard, attempt: chosen.attempt, from: chosen.worker, now: now)
                let counted = try store.renew(shard: ShardID(job: id, index: chosen.shard), attempt: chosen.attempt,
                                              from: chosen.worker, now: now)
                #expect(counted == (expected == .accepted), context)
            case 45..<75:
                guard let chosen = answer() else { continue }
                let shard = ShardID(job: id, index: chosen.shard)
                let expected = table.complete(shard: chosen.shard, attempt: chosen.attempt, from: chosen.worker)
                let counted = try store.complete(shard: shard, attempt: chosen.attempt, from: chosen.worker,
                                                 result: shardResult(shard, attempt: chosen.attempt), now: now)
                #expect(counted == (expected == .accepted), context)
                if counted {
                    #expect(accepted[chosen.shard] == nil, "shard \(chosen.shard) completed twice; \(context)")
                    accepted[chosen.shard] = chosen.attempt
                }
            case 75..<80:
                guard let chosen = answer() else { continue }
                let retryable = Int.random(in: 0..<10, using: &random) != 0
                let expected = table.fail(shard: chosen.shard, attempt: chosen.attempt, from: chosen.worker,
                                          isRetryable: retryable, reason: "test")
                let counted = try store.fail(shard: ShardID(job: id, index: chosen.shard), attempt: chosen.attempt,
                                             from: chosen.worker, retryable: retryable, reason: "test", now: now)
                #expect(counted == (expected == .accepted), context)
            case 80..<89:
                let expected = table.expire(now: now)
                let expired = try store.expire(now: now)
                if wasRunning && table.outcome == .running {
                    #expect(expired.map(\.shard.index) == expected, context)
                }
            case 89..<91:
                let worker = workers.randomElement(using: &random)!
                let expected = table.release(worker: worker)
                let released = try store.write { try $0.release(worker: worker, now: now) }
                if wasRunning && table.outcome == .running {
                    #expect(released.map(\.shard.index) == expected, context)
                }
            default:
                store = try open()
                reopens += 1
            }

            let status = try #require(try store.read { try $0.job(id) })
            #expect(status.shardsDone == table.doneCount, context)
            #expect(status.retries == table.retries, context)
            #expect(status.staleAnswers == table.staleAnswers, context)
            switch table.outcome {
            case .running: #expect(status.state == .running || (status.state == .queued && granted.isEmpty), context)
            case .completed: #expect(status.state == .done, context)
            case .failed: #expect(status.state == .failed, context)
            case .cancelled: Issue.record("the schedule never cancels; \(context)")
            }
            if table.outcome == .running {
                #expect(status.failedAttempts == table.failedAttempts, context)
                #expect(status.shardsLeased == table.leasedCount, context)
            } else {
                break
            }
        }
        #expect(reopens > 0 || table.outcome != .running)

        let results = try store.read { try $0.results(of: id) }
        #expect(results.count == accepted.count)
        for result in results {
            #expect(accepted[result.shard.index] == result.attempt)
            #expect(result.result == shardResult(result.shard, attempt: result.attempt))
        }
        if table.outcome == .completed {
            #expect(results.map(\.shard.index) == Array(0..<Self.shardCount))
        }
    }
}
