import Foundation
import GRDB
@testable import MimeoCluster
import MimeoTestSupport
import MimeoWire
import Testing

/// A federated job of `rounds` rounds over at least 2 sites, with a 1,000 ms round timeout and 2 attempts.
func trainJob(rounds: UInt32 = 5, secureAggregation: Bool = false) -> TrainJob {
    TrainJob(mode: .federated, rounds: rounds, localEpochs: 1, minSites: 2, roundTimeoutMilliseconds: 1_000,
             roundAttempts: 2, seed: 7, rareThreshold: 20, keyID: "k", secureAggregation: secureAggregation,
             settings: Array(#"{"width":2}"#.utf8))
}

/// Phase-4 lease payloads of `round` for `sites` (each a participant), from a global model named by `round`.
func roundTasks(_ round: UInt32, sites: [String]) -> [TrainTask] {
    let model = BlobReference(hash: ContentHash(bytes: [UInt8](repeating: UInt8(round), count: 32))!, bytes: 100)
    return sites.map { site in
        TrainTask(round: round, site: site, work: .trainRound(TrainRoundWork(
            model: model, localEpochs: 1, localSteps: 0, strategy: .fedAvg, proximalMu: 0, clip: nil, masking: nil,
            participants: sites.map { TrainParticipant(site: $0) }, seed: UInt64(round))))
    }
}

func countsTask(_ site: String) -> TrainTask {
    TrainTask(round: 0, site: site, work: .analyzeCounts(TrainAnalyzeCounts(rareThreshold: 20, keyID: "k",
                                                                            sendPublicKey: false)))
}

/// A site's phase-4 result: its update's values and losses derive from the site and round.
func roundResult(_ round: UInt32, site: String, examples: UInt64 = 100) -> TrainTaskResult {
    let seed = Float(site.utf8.reduce(0) { $0 + Int($1) } % 17)
    return TrainTaskResult(outcome: .round(TrainRoundResult(
        round: round, examples: examples, trainLoss: Double(seed) / 10, validationExamples: 10,
        validationLoss: Double(seed) / 8, elapsedMilliseconds: 5,
        update: .binary32([seed, -seed, Float(round)]))))
}

func checkpoint(_ job: JobID, round: UInt32, sites: [String], now: UInt64) -> TrainCheckpoint {
    TrainCheckpoint(job: job, round: round, weights: [UInt8](repeating: UInt8(round), count: 4_096) + [0xFF],
                    trainLoss: round == 0 ? nil : 1 / Double(round), validationLoss: round == 0 ? nil : 2 / Double(round),
                    siteLosses: round == 0 ? [] : sites.map {
                        SiteRoundLoss(site: $0, examples: 100, trainLoss: 0.5, validationExamples: 10,
                                      validationLoss: $0 == "site-b" ? nil : 0.25)
                    },
                    epsilon: Double(round) * 0.5, participants: sites, createdAt: now)
}

@Suite struct TrainStoreTests {
    /// A state file written by a coordinator of schema v1 (generation only), with a job half done, is brought up to
    /// v2 when a newer coordinator opens it: its job, shards, attempts and workers are kept, and the job runs on.
    @Test func aVersion1StoreIsMigratedAndKeepsItsJobs() throws {
        let path = try temporaryStatePath()
        let queue = try DatabaseQueue(path: path)
        try StoreSchema.migrator.migrate(queue, upTo: "v1: jobs, shards, attempts, workers")
        let options = CoordinatorStore.Options(leaseTimeoutMilliseconds: 1_000)
        let (job, first) = try queue.write { db in
            let tx = StoreTransaction(db: db, options: options, plans: JobPlanCache())
            try tx.join(worker: "w1", address: "tcp://127.0.0.1:1", threads: 1, slots: 1, now: 0)
            let job = try tx.submit(generateJob(rows: 4_096 * 3, batchesPerShard: 1), label: "old", now: 0)
            let first = try #require(try tx.lease(to: "w1", now: 10))
            #expect(try tx.complete(shard: first.shard, attempt: 1, from: "w1", result: shardResult(first.shard),
                                    now: 20))
            _ = try #require(try tx.lease(to: "w1", now: 30))
            return (job, first)
        }
        let before = try queue.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        }
        #expect(!before.contains("train_jobs"))
        try queue.close()

        let store = try openStore(path)
        let (tables, migrations) = try store.read { tx in
            (try String.fetchAll(tx.db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"),
             try String.fetchAll(tx.db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier"))
        }
        #expect(Set(tables).isSuperset(of: ["jobs", "shards", "attempts", "workers", "train_jobs", "train_tasks",
                                            "train_rounds"]))
        #expect(migrations == ["v1: jobs, shards, attempts, workers", "v2: train jobs, tasks and rounds"])
        let status = try #require(try store.read { try $0.job(job) })
        #expect(status.label == "old" && status.state == .running && status.shardsDone == 1 && status.shardCount == 3)
        #expect(try store.read { try $0.results(of: job) }.map(\.shard) == [first.shard])
        // The old run's lease is recovered as any other; the job completes under the new schema.
        let recovery = try store.recover(now: 40)
        #expect(recovery.resumedJobs == [job] && recovery.endedLeases.count == 1)
        for _ in 0..<2 {
            let lease = try #require(try store.lease(to: "w1", now: 50))
            #expect(try store.complete(shard: lease.shard, attempt: lease.attempt, from: "w1",
                                       result: shardResult(lease.shard), now: 60))
        }
        #expect(try store.read { try $0.job(job) }?.state == .done)
        // A train job gets the next job id: kinds share one id space.
        #expect(try store.submitTrain(trainJob(), now: 70) == job + 1)
    }

    @Test func aTrainJobIsStoredWithItsOptions() throws {
        let store = try openStore(try temporaryStatePath())
        let submitted = trainJob(rounds: 40)
        let id = try store.submitTrain(submitted, label: "adult 3 sites", now: 5)
        let record = try #require(try store.trainJob(id))
        #expect(record.job == submitted && record.state == .queued && record.phase == .enrolling)
        #expect(record.round == 0 && record.participants.isEmpty && record.finalModel == nil)
        #expect(record.maxAttempts == 2 && record.leaseTimeoutMilliseconds == 1_000)
        let options = try store.read { try String.fetchOne($0.db, sql: "SELECT options FROM train_jobs") }
        #expect(options == #"{"width":2}"#)
        // STATUS shows its rounds as units; the coordinator chooses what the job leaves to it.
        let status = try #require(try store.read { try $0.job(id) })
        #expect(status.kind == .train && status.rows == 40 && status.rowsDone == 0 && status.label == "adult 3 sites")
        var defaults = trainJob()
        defaults.roundAttempts = 0
        defaults.roundTimeoutMilliseconds = 0
        let other = try #require(try store.trainJob(try store.submitTrain(defaults, now: 6)))
        #expect(other.maxAttempts == StoreTransaction.defaultRoundAttempts)
        #expect(other.leaseTimeoutMilliseconds == StoreTransaction.defaultRoundTimeoutMilliseconds)
        #expect(try store.trainJob(99) == nil)
        // A generation job is not a train job.
        #expect(try store.trainJob(try store.submit(generateJob(), now: 7)) == nil)
    }

    /// A task goes only to the worker whose name is its site, and only that worker's answer counts.
    @Test func tasksAreLeasedToTheirSiteOnly() throws {
        let store = try openStore(try temporaryStatePath())
        let id = try store.submitTrain(trainJob(), now: 0)
        let tasks = try store.write { try $0.addTrainTasks(job: id, [countsTask("site-a"), countsTask("site-b")]) }
        #expect(tasks == [ShardID(job: id, index: 0), ShardID(job: id, index: 1)])
        #expect(try store.leaseTrainTask(to: "site-c", now: 1) == nil)
        #expect(try store.lease(to: "site-a", now: 1) == nil)  // no generation shard either
        let b = try #require(try store.leaseTrainTask(to: "site-b", now: 2))
        #expect(b.shard == tasks[1] && b.attempt == 1 && b.kind == .train && b.expiresAt == 1_002)
        #expect(try TrainTask.decode(kind: b.kind, version: b.payloadVersion, payload: b.payload) == countsTask("site-b"))
        #expect(try store.leaseTrainTask(to: "site-b", now: 2) == nil)
        let a = try #require(try store.leaseTrainTask(to: "site-a", now: 3))
        #expect(a.shard == tasks[0])
        #expect(try store.trainJob(id)?.state == .running)

        let summary = TrainTaskResult(outcome: .counts(summaryVersion: 1, summary: [1, 2, 3], publicKey: nil))
        #expect(try !store.completeTrainTask(b.shard, attempt: 1, from: "site-a", result: summary, now: 4))
        #expect(try !store.completeTrainTask(b.shard, attempt: 2, from: "site-b", result: summary, now: 4))
        // A result of another phase is refused too.
        #expect(try !store.completeTrainTask(b.shard, attempt: 1, from: "site-b",
                                             result: TrainTaskResult(outcome: .loaded(rows: 1)), now: 4))
        #expect(try store.completeTrainTask(b.shard, attempt: 1, from: "site-b", result: summary, now: 4))
        #expect(try !store.completeTrainTask(b.shard, attempt: 1, from: "site-b", result: summary, now: 5))
        let stored = try #require(try store.read { try $0.trainTask(b.shard) })
        #expect(stored.state == .done && stored.result == summary && stored.site == "site-b" && stored.worker == nil)
        #expect(try store.read { try $0.job(id) }?.staleAnswers == 4)
    }

    /// An analysis task whose lease ends without a result is leased again, to its site, up to the job's attempts;
    /// then the job fails. A training round's task is not: its site is a straggler of the round.
    @Test func expiredAnalysisTasksRetryAndRoundTasksAreDropped() throws {
        let store = try openStore(try temporaryStatePath())
        let id = try store.submitTrain(trainJob(), now: 0)
        let tasks = try store.write { tx in
            try tx.addTrainTasks(job: id, roundTasks(1, sites: ["site-a", "site-b"]) + [countsTask("site-c")])
        }
        _ = try #require(try store.leaseTrainTask(to: "site-a", now: 0))
        let c1 = try #require(try store.leaseTrainTask(to: "site-c", now: 0))
        let expired = try store.expire(now: 1_000)
        #expect(Set(expired.map(\.shard)) == [tasks[0], tasks[2]])
        #expect(try store.read { try $0.trainTask(tasks[0]) }?.state == .dropped)
        #expect(try store.leaseTrainTask(to: "site-a", now: 1_001) == nil)
        let c2 = try #require(try store.leaseTrainTask(to: "site-c", now: 1_001))
        #expect(c2.shard == c1.shard && c2.attempt == 2)
        // The late answer of attempt 1 is stale.
        let summary = TrainTaskResult(outcome: .counts(summaryVersion: 1, summary: [9], publicKey: nil))
        #expect(try !store.completeTrainTask(c1.shard, attempt: 1, from: "site-c", result: summary, now: 1_002))
        // The worker of site c dies on its last attempt: the job fails and the other holders are told.
        let b = try #require(try store.leaseTrainTask(to: "site-b", now: 1_003))
        let ended = try store.write { tx -> [JobEnd] in
            _ = try tx.release(worker: "site-c", now: 1_004)
            return tx.endedJobs
        }
        #expect(ended.count == 1 && ended[0].state == .failed && ended[0].holders == ["site-b"])
        #expect(ended[0].reason?.contains("attempt 2 of 2") == true)
        #expect(try store.read { try $0.trainTask(b.shard) }?.state == .void)
        #expect(try store.trainJob(id)?.phase == .finished)
    }

    /// Round 2 checkpointed, round 3 in flight, the coordinator killed: reopened, the job resumes in round 3 from
    /// round 2's weights, round 3's tasks are leased again to their sites with the next attempt numbers, and the
    /// old process's leases' answers are stale.
    @Test func aCheckpointedRoundSurvivesAReopenAndTheJobResumesAtTheNextRound() throws {
        let path = try temporaryStatePath()
        let sites = ["site-a", "site-b", "site-c"]
        let id: JobID
        var oldLeases: [MimeoCluster.Lease] = []
        do {
            let store = try openStore(path)
            id = try store.submitTrain(trainJob(), now: 0)
            try store.write { tx in
                try tx.checkpoint(checkpoint(id, round: 0, sites: sites, now: 1), bestRound: nil, patienceLeft: nil)
                try tx.setTrainPhase(job: id, phase: .trainRound, round: 1, roundAttempt: 1, participants: sites)
            }
            for round: UInt32 in 1...2 {
                _ = try store.write { try $0.addTrainTasks(job: id, roundTasks(round, sites: sites)) }
                for site in sites {
                    let lease = try #require(try store.leaseTrainTask(to: site, now: 10))
                    #expect(try store.completeTrainTask(lease.shard, attempt: lease.attempt, from: site,
                                                        result: roundResult(round, site: site), now: 20))
                }
                let done = try store.read { try $0.trainTasks(job: id, phase: .trainRound, round: round) }
                #expect(done.count == 3 && done.allSatisfy { $0.state == .done })
                try store.write { tx in
                    try tx.checkpoint(checkpoint(id, round: round, sites: sites, now: 30), bestRound: round,
                                      patienceLeft: 4)
                    try tx.setTrainPhase(job: id, phase: .trainRound, round: round + 1, roundAttempt: 1,
                                         participants: sites)
                }
            }
            _ = try store.write { try $0.addTrainTasks(job: id, roundTasks(3, sites: sites)) }
            for site in sites.prefix(2) { oldLeases.append(try #require(try store.leaseTrainTask(to: site, now: 40))) }
            // One site answered round 3 before the kill.
            let third = try #require(try store.leaseTrainTask(to: "site-c", now: 40))
            #expect(try store.completeTrainTask(third.shard, attempt: third.attempt, from: "site-c",
                                                result: roundResult(3, site: "site-c"), now: 41))
        }

        let store = try openStore(path)
        let recovery = try store.recover(now: 100)
        #expect(recovery.resumedJobs == [id])
        #expect(Set(recovery.endedLeases.map(\.shard)) == Set(oldLeases.map(\.shard)))
        let record = try #require(try store.trainJob(id))
        #expect(record.phase == .trainRound && record.round == 3 && record.participants == sites)
        #expect(record.bestRound == 2 && record.patienceLeft == 4 && record.epsilonSpent == 1.0)
        let last = try #require(try store.lastCheckpoint(job: id))
        #expect(last == checkpoint(id, round: 2, sites: sites, now: 30))
        #expect(try store.read { try $0.checkpoint(job: id, round: 0) }?.weights.count == 4_097)
        #expect(try store.read { try $0.roundLosses(job: id) }
                == [TrainRoundLoss(round: 1, validationLoss: 2), TrainRoundLoss(round: 2, validationLoss: 1)])
        #expect(try store.read { try $0.job(id) }?.rowsDone == 2)

        // The answered task keeps its result; the others go out again with the next attempt.
        let round3 = try store.read { try $0.trainTasks(job: id, round: 3) }
        #expect(round3.map(\.state) == [.pending, .pending, .done])
        for old in oldLeases {
            #expect(try !store.completeTrainTask(old.shard, attempt: old.attempt, from: old.worker,
                                                 result: roundResult(3, site: old.worker), now: 101))
            let again = try #require(try store.leaseTrainTask(to: old.worker, now: 102))
            #expect(again.shard == old.shard && again.attempt == old.attempt + 1)
            #expect(try !store.completeTrainTask(old.shard, attempt: old.attempt, from: old.worker,
                                                 result: roundResult(3, site: old.worker), now: 103))
            #expect(try store.completeTrainTask(again.shard, attempt: again.attempt, from: old.worker,
                                                result: roundResult(3, site: old.worker), now: 104))
        }
        #expect(try store.read { try $0.job(id) }?.staleAnswers == 4)
        // A result for the wrong round is stale even from the holder.
        _ = try store.write { try $0.addTrainTasks(job: id, roundTasks(4, sites: ["site-a", "site-b"])) }
        let four = try #require(try store.leaseTrainTask(to: "site-a", now: 110))
        #expect(try !store.completeTrainTask(four.shard, attempt: four.attempt, from: "site-a",
                                             result: roundResult(3, site: "site-a"), now: 111))
    }

    /// A retried or voided round: the old tasks become void, answers to them are stale, and the rerun's tasks have
    /// new indices; a checkpoint voids its round's stragglers.
    @Test func voidedRoundsAndCheckpointsMakeLateAnswersStale() throws {
        let store = try openStore(try temporaryStatePath())
        let id = try store.submitTrain(trainJob(secureAggregation: true), now: 0)
        let first = try store.write { try $0.addTrainTasks(job: id, roundTasks(1, sites: ["site-a", "site-b", "site-c"])) }
        let a = try #require(try store.leaseTrainTask(to: "site-a", now: 1))
        _ = try #require(try store.leaseTrainTask(to: "site-b", now: 1))
        #expect(try store.completeTrainTask(a.shard, attempt: 1, from: "site-a", result: roundResult(1, site: "site-a"),
                                            now: 2))
        // site-c never asks: the masked round is voided and rerun without it.
        let (holders, rerun) = try store.write { tx in
            let holders = try tx.voidTrainTasks(job: id, round: 1)
            try tx.setTrainPhase(job: id, phase: .trainRound, round: 1, roundAttempt: 2,
                                 participants: ["site-b", "site-a"])
            return (holders, try tx.addTrainTasks(job: id, roundTasks(1, sites: ["site-a", "site-b"])))
        }
        #expect(holders == ["site-b"])
        #expect(rerun == [ShardID(job: id, index: 3), ShardID(job: id, index: 4)])
        let states = try store.read { try $0.trainTasks(job: id, round: 1) }.map(\.state)
        #expect(states == [.done, .void, .void, .pending, .pending])
        #expect(try !store.completeTrainTask(first[1], attempt: 1, from: "site-b",
                                             result: roundResult(1, site: "site-b"), now: 3))
        #expect(try store.trainJob(id)?.participants == ["site-a", "site-b"])
        #expect(try store.trainJob(id)?.roundAttempt == 2)

        let b = try #require(try store.leaseTrainTask(to: "site-b", now: 4))
        #expect(b.shard == rerun[1])
        #expect(try store.completeTrainTask(b.shard, attempt: 1, from: "site-b", result: roundResult(1, site: "site-b"),
                                            now: 5))
        let a2 = try #require(try store.leaseTrainTask(to: "site-a", now: 6))
        // The round is checkpointed without site-a's rerun answer (the deadline passed): it is void, and late.
        try store.write { tx in
            try tx.checkpoint(checkpoint(id, round: 1, sites: ["site-b"], now: 7), bestRound: 1, patienceLeft: 5)
        }
        #expect(try store.read { try $0.trainTask(a2.shard) }?.state == .void)
        #expect(try !store.completeTrainTask(a2.shard, attempt: 1, from: "site-a",
                                             result: roundResult(1, site: "site-a"), now: 8))
        #expect(try store.trainJob(id)?.round == 2)
        // The same round cannot be checkpointed twice, and a failed checkpoint leaves nothing behind.
        #expect(throws: (any Error).self) {
            try store.write { tx in
                try tx.checkpoint(checkpoint(id, round: 2, sites: ["site-b"], now: 9), bestRound: 2, patienceLeft: 5)
                try tx.checkpoint(checkpoint(id, round: 1, sites: ["site-b"], now: 9), bestRound: 2, patienceLeft: 5)
            }
        }
        #expect(try store.lastCheckpoint(job: id)?.round == 1 && store.trainJob(id)?.round == 2)
    }

    @Test func cancellingAndCompletingATrainJob() throws {
        let store = try openStore(try temporaryStatePath())
        let id = try store.submitTrain(trainJob(), now: 0)
        _ = try store.write { try $0.addTrainTasks(job: id, roundTasks(1, sites: ["site-a", "site-b"])) }
        let a = try #require(try store.leaseTrainTask(to: "site-a", now: 1))
        #expect(try store.cancel(job: id, now: 2) == ["site-a"])
        #expect(try store.trainJob(id)?.state == .cancelled && store.trainJob(id)?.phase == .finished)
        #expect(try !store.completeTrainTask(a.shard, attempt: 1, from: "site-a", result: roundResult(1, site: "site-a"),
                                             now: 3))
        #expect(try store.leaseTrainTask(to: "site-b", now: 3) == nil)

        let other = try store.submitTrain(trainJob(), now: 4)
        _ = try store.write { try $0.addTrainTasks(job: other, roundTasks(1, sites: ["site-a"])) }
        _ = try #require(try store.leaseTrainTask(to: "site-a", now: 5))
        let model = BlobReference(hash: testHash, bytes: 12_345)
        let ended = try store.write { tx -> [JobEnd] in
            try tx.completeTrain(job: other, finalModel: model, now: 6)
            return tx.endedJobs
        }
        #expect(ended == [JobEnd(job: other, state: .done, reason: nil, holders: ["site-a"])])
        let record = try #require(try store.trainJob(other))
        #expect(record.state == .done && record.finalModel == model && record.phase == .finished)
    }
}

@Suite struct TrainDetailTests {
    /// The detail of a job in round 3 with rounds 0 to 2 checkpointed 1 s apart and one site answered in round 3.
    @Test func theDetailIsReadFromTheStoredState() throws {
        let store = try openStore(try temporaryStatePath())
        var submitted = trainJob(rounds: 10)
        submitted.privacy = DifferentialPrivacySettings(epsilon: 4, delta: 1e-6, clip: 1)
        let id = try store.submitTrain(submitted, now: 0)
        let sites = ["site-b", "site-a"]
        try store.write { tx in
            try tx.checkpoint(checkpoint(id, round: 0, sites: sites, now: 1_000), bestRound: nil, patienceLeft: nil)
        }
        for round: UInt32 in 1...2 {
            _ = try store.write { try $0.addTrainTasks(job: id, roundTasks(round, sites: ["site-a", "site-b"])) }
            for site in ["site-a", "site-b"] {
                let lease = try #require(try store.leaseTrainTask(to: site, now: 0))
                _ = try store.completeTrainTask(lease.shard, attempt: lease.attempt, from: site,
                                                result: roundResult(round, site: site, examples: site == "site-a" ? 300 : 100),
                                                now: 0)
            }
            try store.write { tx in
                var saved = checkpoint(id, round: round, sites: sites, now: 1_000 + UInt64(round) * 1_000)
                saved.siteLosses[1].examples = 300  // site-a, which sorts second in `sites`
                try tx.checkpoint(saved, bestRound: round, patienceLeft: 5)
                try tx.setTrainPhase(job: id, phase: .trainRound, round: round + 1, roundAttempt: 1,
                                     participants: sites + ["site-c"])
            }
        }
        let detail = try #require(try store.read { try $0.trainDetail(id) })
        #expect(detail.phase == .trainRound && detail.round == 3 && detail.roundsPlanned == 10)
        #expect(detail.sites.map(\.name) == ["site-a", "site-b", "site-c"])
        let a = roundResult(2, site: "site-a"), b = roundResult(2, site: "site-b")
        guard case let .round(ra) = a.outcome, case let .round(rb) = b.outcome else { return }
        #expect(detail.sites[0] == TrainSiteDetail(name: "site-a", examples: 300, trainLoss: ra.trainLoss,
                                                   validationLoss: ra.validationLoss, contribution: 0.75, lastRound: 2))
        #expect(detail.sites[1] == TrainSiteDetail(name: "site-b", examples: 100, trainLoss: rb.trainLoss,
                                                   validationLoss: rb.validationLoss, contribution: 0.25, lastRound: 2))
        #expect(detail.sites[2] == TrainSiteDetail(name: "site-c", examples: 0, trainLoss: nil, validationLoss: nil,
                                                   contribution: 0, lastRound: nil))
        #expect(detail.losses == [TrainRoundLoss(round: 1, validationLoss: 2), TrainRoundLoss(round: 2, validationLoss: 1)])
        #expect(detail.privacy == TrainPrivacySpent(epsilon: 1, delta: 1e-6))
        // Two rounds in 2,000 ms, 8 to go.
        #expect(detail.etaMilliseconds == 8_000 && detail.finalModel == nil)
        // The detail is a valid wire body.
        #expect(try TrainDetail.decode(kind: .train, version: 1, detail: detail.encoded()) == detail)
        #expect(try store.read { try $0.trainDetail(id + 1) } == nil)
    }

    /// JOB-DETAIL at a running coordinator: the detail of a train job from its state file, 415 for a generation job,
    /// 404 for no job.
    @Test func theCoordinatorAnswersJobDetail() throws {
        let folder = try TemporaryDirectory(prefix: "mimeo-detail")
        let configuration = testConfiguration(folder)
        let (train, generate, expected): (JobID, JobID, TrainDetail)
        do {
            let store = try openStore(configuration.statePath)
            generate = try store.submit(generateJob(), now: 0)
            train = try store.submitTrain(trainJob(), now: 0)
            try store.write { tx in
                // Weights that read back (binary32 values), so that the coordinator can resume the job.
                var zero = checkpoint(train, round: 0, sites: ["site-a"], now: 0)
                zero.weights = [UInt8](repeating: 0, count: 4_096)
                try tx.checkpoint(zero, bestRound: nil, patienceLeft: nil)
                try tx.setTrainPhase(job: train, phase: .trainRound, round: 1, roundAttempt: 1, participants: ["site-a"])
                // The coordinator resumes the job from its stored model template (no site joins, so it waits and
                // the detail stays as stored); a job without one could not resume and would fail.
                try tx.setTrainEncoding(job: train, encoding: WorkerNodeTests.model.bytes)
            }
            expected = try #require(try store.read { try $0.trainDetail(train) })
        }
        let coordinator = try CoordinatorHarness(configuration)
        let client = try Peer(coordinator.endpoint)
        try client.send(.jobDetail(JobDetailQuery(job: train)))
        guard case let .jobDetailReply(reply)? = try client.next() else {
            Issue.record("no JOB-DETAIL-REPLY")
            return
        }
        #expect(reply.job == train && reply.kind == .train && reply.version == 1)
        #expect(try reply.body(as: TrainDetail.self) == expected)
        try client.send(.jobDetail(JobDetailQuery(job: generate)))
        guard case let .error(refusal)? = try client.next() else {
            Issue.record("no ERROR for a generation job")
            return
        }
        #expect(refusal.code == .unsupportedKind && refusal.command == WireCommand.jobDetail.rawValue)
        try client.send(.jobDetail(JobDetailQuery(job: 77)))
        guard case let .error(unknown)? = try client.next() else {
            Issue.record("no ERROR for an unknown job")
            return
        }
        #expect(unknown.code == .unknownJob)
        // The same through ClusterClient.
        let cluster = try ClusterClient(endpoint: coordinator.endpoint)
        #expect(try cluster.detail(job: train).body(as: TrainDetail.self) == expected)
        #expect(throws: ClusterError.self) { try cluster.detail(job: generate) }
        #expect(coordinator.stop())
    }
}
