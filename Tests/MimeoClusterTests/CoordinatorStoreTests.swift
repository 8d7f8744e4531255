import Foundation
import GRDB
@testable import MimeoCluster
import MimeoWire
import Testing

@Suite struct CoordinatorStoreTests {
    @Test func openingSetsWALAndFullSynchronousAndMigrates() throws {
        let path = try temporaryStatePath()
        let store = try openStore(path)
        let (journal, synchronous, tables) = try store.read { tx in
            (try String.fetchOne(tx.db, sql: "PRAGMA journal_mode"), try Int.fetchOne(tx.db, sql: "PRAGMA synchronous"),
             try String.fetchAll(tx.db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"))
        }
        #expect(journal == "wal")
        #expect(synchronous == 2)  // FULL
        #expect(Set(tables).isSuperset(of: ["attempts", "jobs", "shards", "workers"]))
        let normal = try CoordinatorStore(path: path, options: .init(durability: .normal))
        #expect(try normal.read { try Int.fetchOne($0.db, sql: "PRAGMA synchronous") } == 1)
    }

    @Test func aNewerSchemaIsRefused() throws {
        let path = try temporaryStatePath()
        _ = try openStore(path)
        let queue = try DatabaseQueue(path: path)
        try queue.write { try $0.execute(sql: "INSERT INTO grdb_migrations VALUES ('v99: from the future')") }
        #expect(throws: StoreError.self) { try openStore(path) }
    }

    @Test func submitPlansShardsWithShardPlan() throws {
        let store = try openStore(try temporaryStatePath())
        let job = generateJob()
        let id = try store.submit(job, label: "adult", now: 100)
        #expect(id == 1)
        let status = try #require(try store.read { try $0.job(id) })
        #expect(status.state == .queued && status.shardCount == 5 && status.rows == 50_000 && status.label == "adult")
        #expect(status.seed == 7 && status.modelHash == testHash && status.maxAttempts == 5 && status.createdAt == 100)
        #expect(try store.read { try $0.generateJob(id) } == job)
        let plan = try ShardPlan(totalRows: 50_000, batchesPerShard: 3)
        for index in 0..<5 {
            let lease = try #require(try store.lease(to: "w1", now: 200))
            #expect(lease.shard == ShardID(job: id, index: index) && lease.attempt == 1 && lease.expiresAt == 1_200)
            let shard = try GenerateShard.decode(kind: lease.kind, version: lease.payloadVersion, payload: lease.payload)
            #expect(shard == plan.leasePayload(index, of: job))
        }
        #expect(try store.lease(to: "w1", now: 200) == nil)
        #expect(try store.read { try $0.job(id) }?.state == .running)
        #expect(try store.read { try $0.job(id) }?.startedAt == 200)
        #expect(throws: StoreError.self) { try store.submit(generateJob(rows: 0), now: 1) }
    }

    @Test func completeCountsOnlyTheCurrentAttemptOfItsHolder() throws {
        let store = try openStore(try temporaryStatePath())
        let id = try store.submit(generateJob(rows: 4_096 * 2, batchesPerShard: 1), now: 0)
        let first = try #require(try store.lease(to: "w1", now: 0))
        let second = try #require(try store.lease(to: "w2", now: 0))
        #expect(try !store.complete(shard: first.shard, attempt: 2, from: "w1", result: shardResult(first.shard), now: 1))
        #expect(try !store.complete(shard: first.shard, attempt: 1, from: "w2", result: shardResult(first.shard), now: 1))
        #expect(try !store.complete(shard: ShardID(job: id, index: 9), attempt: 1, from: "w1",
                                    result: shardResult(first.shard), now: 1))
        #expect(try store.complete(shard: first.shard, attempt: 1, from: "w1", result: shardResult(first.shard), now: 2))
        #expect(try !store.complete(shard: first.shard, attempt: 1, from: "w1", result: shardResult(first.shard), now: 3))
        #expect(try !store.renew(shard: first.shard, attempt: 1, from: "w1", now: 3))
        var status = try #require(try store.read { try $0.job(id) })
        #expect(status.shardsDone == 1 && status.shardsLeased == 1 && status.staleAnswers == 5 && status.state == .running)
        let ended = try store.write { tx in
            _ = try tx.complete(shard: second.shard, attempt: 1, from: "w2", result: shardResult(second.shard), now: 5)
            return tx.endedJobs
        }
        #expect(ended == [JobEnd(job: id, state: .done, reason: nil, holders: [])])
        status = try #require(try store.read { try $0.job(id) })
        #expect(status.state == .done && status.finishedAt == 5 && status.rowsDone == 8_192)
        let results = try store.read { try $0.results(of: id) }
        #expect(results.map(\.shard.index) == [0, 1] && results.map(\.worker) == ["w1", "w2"])
        #expect(results[0].result == shardResult(first.shard) && results[1].result == shardResult(second.shard))
        #expect(results[1].firstRow == 4_096 && results[1].rowCount == 4_096)
    }

    @Test func expiryRenewalAndRetriesFollowTheLeaseRules() throws {
        let store = try openStore(try temporaryStatePath(), leaseTimeout: 100, maxAttempts: 2)
        let id = try store.submit(generateJob(rows: 10, batchesPerShard: 1), now: 0)
        let lease = try #require(try store.lease(to: "w1", now: 0))
        #expect(try store.expire(now: 99).isEmpty)
        #expect(try store.renew(shard: lease.shard, attempt: 1, from: "w1", now: 50))
        #expect(try !store.renew(shard: lease.shard, attempt: 1, from: "w2", now: 50))
        #expect(try store.expire(now: 149).isEmpty)
        #expect(try store.expire(now: 150) == [LeaseRef(shard: lease.shard, attempt: 1, worker: "w1")])
        #expect(try !store.complete(shard: lease.shard, attempt: 1, from: "w1", result: shardResult(lease.shard), now: 151))
        let again = try #require(try store.lease(to: "w2", now: 200))
        #expect(again.attempt == 2 && again.expiresAt == 300)
        var status = try #require(try store.read { try $0.job(id) })
        #expect(status.retries == 1 && status.failedAttempts == 1 && status.staleAnswers == 2)
        let ended = try store.write { tx in (try tx.expire(now: 300), tx.endedJobs) }
        #expect(ended.0.count == 1)
        #expect(ended.1.map(\.state) == [.failed])
        status = try #require(try store.read { try $0.job(id) })
        #expect(status.state == .failed && status.failedAttempts == 2)
        #expect(status.failure == "shard 0: lease expired on attempt 2 of 2")
        #expect(try store.lease(to: "w1", now: 400) == nil)
        let outcomes = try store.read { try String.fetchAll($0.db, sql: "SELECT outcome FROM attempts ORDER BY attempt") }
        #expect(outcomes == ["expired", "expired"])
    }

    @Test func failRetryableRequeuesAndOtherwiseFailsTheJob() throws {
        let store = try openStore(try temporaryStatePath())
        let id = try store.submit(generateJob(rows: 4_096 * 3, batchesPerShard: 1), now: 0)
        let a = try #require(try store.lease(to: "w1", now: 0))
        let b = try #require(try store.lease(to: "w2", now: 0))
        #expect(try store.fail(shard: a.shard, attempt: 1, from: "w1", retryable: true, reason: "disk", now: 1))
        #expect(try !store.fail(shard: a.shard, attempt: 1, from: "w1", retryable: true, reason: "disk", now: 1))
        let retry = try #require(try store.lease(to: "w3", now: 2))
        #expect(retry.shard == a.shard && retry.attempt == 2)
        let ended = try store.write { tx in
            _ = try tx.fail(shard: b.shard, attempt: 1, from: "w2", retryable: false, reason: "bad model", now: 3)
            return tx.endedJobs
        }
        #expect(ended == [JobEnd(job: id, state: .failed, reason: "shard 1: bad model", holders: ["w3"])])
        #expect(try !store.complete(shard: retry.shard, attempt: 2, from: "w3", result: shardResult(retry.shard), now: 4))
        #expect(try store.lease(to: "w1", now: 5) == nil)
        #expect(try store.read { try $0.job(id) }?.shardsLeased == 0)
    }

    @Test func cancelEndsLeasesAndMakesLaterAnswersStale() throws {
        let store = try openStore(try temporaryStatePath())
        let first = try store.submit(generateJob(), now: 0)
        let second = try store.submit(generateJob(rows: 10), now: 0)
        let a = try #require(try store.lease(to: "w1", now: 0))
        _ = try store.lease(to: "w2", now: 0)
        #expect(try store.cancel(job: first, now: 1) == ["w1", "w2"])
        #expect(try store.cancel(job: first, now: 2) == [])
        #expect(try !store.complete(shard: a.shard, attempt: 1, from: "w1", result: shardResult(a.shard), now: 3))
        let next = try #require(try store.lease(to: "w1", now: 4))
        #expect(next.shard == ShardID(job: second, index: 0))
        let status = try #require(try store.read { try $0.job(first) })
        #expect(status.state == .cancelled && status.shardsLeased == 0 && status.finishedAt == 1)
        #expect(throws: StoreError.unknownJob(99)) { try store.cancel(job: 99, now: 5) }
    }

    @Test func workersAndStatusSnapshot() throws {
        let store = try openStore(try temporaryStatePath())
        try store.write { tx in
            try tx.join(worker: "w1", address: "tcp://127.0.0.2:1", threads: 2, slots: 1, now: 10)
            try tx.join(worker: "w2", address: "tcp://127.0.0.3:1", threads: 4, slots: 2, now: 10)
        }
        #expect(try store.write { try $0.heartbeat(worker: "w1", now: 20) })
        #expect(try !store.write { try $0.heartbeat(worker: "nobody", now: 20) })
        let id = try store.submit(generateJob(rows: 4_096 * 2, batchesPerShard: 1), now: 30)
        let a = try #require(try store.lease(to: "w1", now: 30))
        let b = try #require(try store.lease(to: "w2", now: 30))
        #expect(try store.complete(shard: a.shard, attempt: 1, from: "w1", result: shardResult(a.shard), now: 40))
        var snapshot = try store.status()
        #expect(snapshot.workers.map(\.name) == ["w1", "w2"])
        #expect(snapshot.workers[0].lastHeartbeat == 20 && snapshot.workers[0].shardsDone == 1 && snapshot.workers[0].leases.isEmpty)
        #expect(snapshot.workers[1].leases == [LeaseRef(shard: b.shard, attempt: 1, worker: "w2")])
        #expect(snapshot.workers[1].threads == 4 && snapshot.workers[1].address == "tcp://127.0.0.3:1")
        #expect(snapshot.jobs.count == 1 && snapshot.jobs[0].id == id && snapshot.jobs[0].rowsDone == 4_096)
        #expect(try store.write { try $0.release(worker: "w2", now: 50) } == [LeaseRef(shard: b.shard, attempt: 1, worker: "w2")])
        snapshot = try store.status()
        #expect(snapshot.workers[1].state == .gone && snapshot.jobs[0].failedAttempts == 1)
        #expect(try !store.write { try $0.heartbeat(worker: "w2", now: 60) })
    }

    @Test func progressCountsTheRowsOfDoneShardsWithAShortLastShard() throws {
        let store = try openStore(try temporaryStatePath())
        // Shards of 8,192, 8,192 and 100 rows.
        let id = try store.submit(generateJob(rows: 4_096 * 4 + 100, batchesPerShard: 2), now: 0)
        var leases: [MimeoCluster.Lease] = []
        for _ in 0..<3 { leases.append(try #require(try store.lease(to: "w1", now: 1))) }
        #expect(try store.read { try $0.job(id) }?.shardsLeased == 3)
        #expect(try store.complete(shard: leases[2].shard, attempt: 1, from: "w1", result: shardResult(leases[2].shard), now: 2))
        var job = try #require(try store.read { try $0.job(id) })
        #expect(job.rowsDone == 100 && job.shardsLeased == 2)
        #expect(try store.complete(shard: leases[0].shard, attempt: 1, from: "w1", result: shardResult(leases[0].shard), now: 3))
        job = try #require(try store.status().jobs.first)
        #expect(job.rowsDone == 8_292 && job.shardsLeased == 1 && job.shardsDone == 2)
        #expect(try store.complete(shard: leases[1].shard, attempt: 1, from: "w1", result: shardResult(leases[1].shard), now: 4))
        job = try #require(try store.read { try $0.job(id) })
        #expect(job.rowsDone == 16_484 && job.shardsLeased == 0 && job.state == .done)
    }

    @Test func aRolledBackSubmissionLeavesNoPlanBehind() throws {
        let store = try openStore(try temporaryStatePath())
        struct Abort: Error {}
        #expect(throws: Abort.self) {
            try store.write { tx in
                _ = try tx.submit(generateJob(rows: 4_096 * 3, batchesPerShard: 1), now: 0)
                _ = try tx.lease(to: "w1", now: 0)
                throw Abort()
            }
        }
        // The next job takes the same id; its leases carry its own rows and output.
        var job = generateJob(rows: 50_000, batchesPerShard: 3)
        job.output = "elsewhere"
        _ = try store.submit(job, now: 1)
        let lease = try #require(try store.lease(to: "w1", now: 1))
        let shard = try GenerateShard.decode(kind: lease.kind, version: lease.payloadVersion, payload: lease.payload)
        #expect(shard.totalRows == 50_000 && shard.batchCount == 3 && shard.output.hasPrefix("elsewhere/"))
    }

    @Test func groupCommitKeepsAllOrNothing() throws {
        let path = try temporaryStatePath()
        let store = try openStore(path)
        struct Abort: Error {}
        #expect(throws: Abort.self) {
            try store.write { tx in
                _ = try tx.submit(generateJob(), now: 0)
                _ = try tx.lease(to: "w1", now: 0)
                throw Abort()
            }
        }
        #expect(try store.status().jobs.isEmpty)
        let leases = try store.write { tx in
            _ = try tx.submit(generateJob(), now: 0)
            return try (0..<3).compactMap { _ in try tx.lease(to: "w1", now: 0) }
        }
        #expect(leases.map(\.shard.index) == [0, 1, 2])
        let reopened = try openStore(path)
        #expect(try reopened.status().jobs.first?.shardsLeased == 3)
    }

    @Test func recoverExpiresThePreviousRunsLeases() throws {
        let path = try temporaryStatePath()
        let (id, a, b) = try {
            let store = try openStore(path, maxAttempts: 2)
            let id = try store.submit(generateJob(rows: 4_096 * 3, batchesPerShard: 1), now: 0)
            try store.write { try $0.join(worker: "w1", address: "", threads: 1, slots: 2, now: 0) }
            let a = try #require(try store.lease(to: "w1", now: 0))
            let b = try #require(try store.lease(to: "w1", now: 0))
            #expect(try store.complete(shard: b.shard, attempt: 1, from: "w1", result: shardResult(b.shard), now: 1))
            return (id, a, b)
        }()
        #expect(b.shard.index == 1)
        let restarted = try openStore(path, maxAttempts: 2)
        let recovery = try restarted.recover(now: 10)
        #expect(recovery.endedLeases == [LeaseRef(shard: a.shard, attempt: 1, worker: "w1")])
        #expect(recovery.resumedJobs == [id] && recovery.endedJobs.isEmpty)
        #expect(try restarted.status().workers.map(\.state) == [.gone])
        #expect(try !restarted.complete(shard: a.shard, attempt: 1, from: "w1", result: shardResult(a.shard), now: 11))
        let again = try #require(try restarted.lease(to: "w2", now: 12))
        #expect(again.shard == a.shard && again.attempt == 2)
        // A second restart finds attempt 2 of 2 outstanding: the shard is out of attempts and the job fails.
        let second = try restarted.recover(now: 20)
        #expect(second.endedJobs.map(\.state) == [.failed] && second.resumedJobs.isEmpty)
    }
}
