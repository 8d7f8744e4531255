import MimeoTestSupport
import Testing

@testable import MimeoWire

@Suite struct LeaseTableTests {
    typealias Table = LeaseTable<String>

    @Test func leasesInShardOrderAndCompletes() {
        var table = Table(shardCount: 3, maxAttempts: 3, leaseTimeoutMilliseconds: 1_000)
        #expect(table.lease(to: "a", now: 0) == Table.Grant(shard: 0, attempt: 1, expiresAt: 1_000))
        #expect(table.lease(to: "b", now: 5) == Table.Grant(shard: 1, attempt: 1, expiresAt: 1_005))
        #expect(table.lease(to: "a", now: 6)?.shard == 2)
        #expect(table.lease(to: "c", now: 7) == nil)
        #expect(table.leasedCount == 3)
        for (shard, worker) in [(1, "b"), (0, "a"), (2, "a")] {
            #expect(table.complete(shard: shard, attempt: 1, from: worker) == .accepted)
        }
        #expect(table.outcome == .completed && table.doneCount == 3 && table.retries == 0)
    }

    @Test func duplicateLateAndForeignAnswersAreStale() {
        var table = Table(shardCount: 2, maxAttempts: 5, leaseTimeoutMilliseconds: 100)
        _ = table.lease(to: "a", now: 0)
        #expect(table.complete(shard: 0, attempt: 1, from: "b") == .stale)     // not the holder
        #expect(table.complete(shard: 0, attempt: 2, from: "a") == .stale)     // not the attempt
        #expect(table.complete(shard: 7, attempt: 1, from: "a") == .stale)     // no such shard
        #expect(table.complete(shard: -1, attempt: 1, from: "a") == .stale)
        #expect(table.complete(shard: 0, attempt: 1, from: "a") == .accepted)
        #expect(table.complete(shard: 0, attempt: 1, from: "a") == .stale)     // duplicate
        // A lease that expires: its late result is ignored even before the shard is leased again.
        #expect(table.lease(to: "a", now: 10)?.shard == 1)
        #expect(table.expire(now: 109) == [])
        #expect(table.expire(now: 110) == [1])
        #expect(table.complete(shard: 1, attempt: 1, from: "a") == .stale)
        #expect(table.lease(to: "b", now: 120) == Table.Grant(shard: 1, attempt: 2, expiresAt: 220))
        #expect(table.complete(shard: 1, attempt: 1, from: "a") == .stale)
        #expect(table.complete(shard: 1, attempt: 2, from: "b") == .accepted)
        #expect(table.outcome == .completed)
        #expect(table.staleAnswers == 7 && table.retries == 1 && table.failedAttempts == 1)
    }

    @Test func progressRenewsTheLease() {
        var table = Table(shardCount: 1, maxAttempts: 2, leaseTimeoutMilliseconds: 100)
        _ = table.lease(to: "a", now: 0)
        #expect(table.renew(shard: 0, attempt: 1, from: "a", now: 90) == .accepted)
        #expect(table.renew(shard: 0, attempt: 1, from: "b", now: 90) == .stale)
        #expect(table.expire(now: 150) == [])
        #expect(table.expire(now: 190) == [0])
        #expect(table.renew(shard: 0, attempt: 1, from: "a", now: 191) == .stale)
    }

    @Test func retriesUntilAttemptsRunOut() {
        var table = Table(shardCount: 2, maxAttempts: 3, leaseTimeoutMilliseconds: 10)
        var now: UInt64 = 0
        for attempt: UInt32 in 1 ... 3 {
            let grant = table.lease(to: "w", now: now)
            #expect(grant?.shard == 0 && grant?.attempt == attempt)  // the lowest pending shard goes first
            #expect(table.fail(shard: 0, attempt: attempt, from: "w", isRetryable: true, reason: "disk full") == .accepted)
            now += 1
        }
        #expect(table.outcome == .failed(shard: 0, reason: "disk full on attempt 3 of 3"))
        #expect(table.lease(to: "w", now: now) == nil)
        #expect(table.retries == 2 && table.failedAttempts == 3)
    }

    @Test func aFailureThatIsNotRetryableFailsTheJob() {
        var table = Table(shardCount: 3, maxAttempts: 5, leaseTimeoutMilliseconds: 10)
        _ = table.lease(to: "a", now: 0)
        _ = table.lease(to: "b", now: 0)
        #expect(table.fail(shard: 1, attempt: 1, from: "b", isRetryable: false, reason: "bad --where") == .accepted)
        #expect(table.outcome == .failed(shard: 1, reason: "bad --where"))
        #expect(table.complete(shard: 0, attempt: 1, from: "a") == .stale)
        #expect(table.cancel() == ["a"])
        #expect(table.outcome == .failed(shard: 1, reason: "bad --where"))
    }

    @Test func aLostWorkerGivesItsShardsBack() {
        var table = Table(shardCount: 4, maxAttempts: 5, leaseTimeoutMilliseconds: 1_000)
        _ = table.lease(to: "a", now: 0)
        _ = table.lease(to: "b", now: 0)
        _ = table.lease(to: "a", now: 0)
        #expect(table.release(worker: "a") == [0, 2])
        #expect(table.lease(to: "b", now: 1) == Table.Grant(shard: 0, attempt: 2, expiresAt: 1_001))
        #expect(table.lease(to: "b", now: 1) == Table.Grant(shard: 2, attempt: 2, expiresAt: 1_001))
        #expect(table.lease(to: "b", now: 1) == Table.Grant(shard: 3, attempt: 1, expiresAt: 1_001))
    }

    @Test func cancelEndsTheJobAndNamesTheHolders() {
        var table = Table(shardCount: 3, maxAttempts: 5, leaseTimeoutMilliseconds: 1_000)
        _ = table.lease(to: "a", now: 0)
        _ = table.lease(to: "b", now: 0)
        #expect(table.cancel() == ["a", "b"])
        #expect(table.outcome == .cancelled)
        #expect(table.lease(to: "c", now: 1) == nil)
        #expect(table.complete(shard: 0, attempt: 1, from: "a") == .stale)
    }

    @Test func emptyJobAndExtremeTimes() {
        let empty = Table(shardCount: 0, maxAttempts: 1, leaseTimeoutMilliseconds: 1)
        #expect(empty.outcome == .completed)
        var table = Table(shardCount: 1, maxAttempts: 1, leaseTimeoutMilliseconds: .max)
        #expect(table.lease(to: "a", now: .max)?.expiresAt == .max)
        #expect(table.expire(now: .max - 1) == [])
    }

    /// Random leases, progress, results, failures, expiries and worker losses: every shard is accepted exactly
    /// once, by the attempt that held its lease, and attempt numbers only grow.
    @Test func randomSchedulesKeepEveryShardExactlyOnce() {
        var random = SplitMix64(seed: 7)
        var retries: UInt32 = 0
        var staleAnswers: UInt64 = 0
        for _ in 0 ..< 200 {
            let shardCount = Int.random(in: 1 ... 40, using: &random)
            var table = Table(shardCount: shardCount, maxAttempts: 1_000, leaseTimeoutMilliseconds: 50)
            var held: [(shard: Int, attempt: UInt32, worker: String)] = []
            var accepted = Set<Int>()
            var lastAttempt = [UInt32](repeating: 0, count: shardCount)
            var now: UInt64 = 0
            var steps = 0
            while table.outcome == .running, steps < 100_000 {
                steps += 1
                now += UInt64.random(in: 0 ... 5, using: &random)
                let worker = ["w1", "w2", "w3"].randomElement(using: &random)!
                // Mostly a recent attempt answers; sometimes any attempt ever leased (late or duplicate).
                let recent = held.suffix(4)
                let answer = Int.random(in: 0 ..< 5, using: &random) == 0 ? held.randomElement(using: &random)
                    : recent.randomElement(using: &random)
                switch Int.random(in: 0 ..< 20, using: &random) {
                case 0 ..< 6:
                    if let grant = table.lease(to: worker, now: now) {
                        #expect(grant.attempt > lastAttempt[grant.shard])
                        lastAttempt[grant.shard] = grant.attempt
                        held.append((grant.shard, grant.attempt, worker))
                    }
                case 6 ..< 13:
                    guard let answer else { break }
                    if table.complete(shard: answer.shard, attempt: answer.attempt, from: answer.worker) == .accepted {
                        #expect(!accepted.contains(answer.shard))
                        #expect(answer.attempt == lastAttempt[answer.shard])
                        accepted.insert(answer.shard)
                    }
                case 13:
                    guard let answer else { break }
                    table.fail(shard: answer.shard, attempt: answer.attempt, from: answer.worker, isRetryable: true,
                               reason: "x")
                case 14:
                    _ = table.expire(now: now)
                case 15:
                    _ = table.release(worker: worker)
                default:
                    if let answer {
                        table.renew(shard: answer.shard, attempt: answer.attempt, from: answer.worker, now: now)
                    }
                }
            }
            #expect(table.outcome == .completed)
            #expect(accepted.count == shardCount && table.doneCount == shardCount)
            retries += table.retries
            staleAnswers += table.staleAnswers
        }
        // The schedules did exercise retries and stale answers.
        #expect(retries > 100 && staleAnswers > 100)
    }
}
