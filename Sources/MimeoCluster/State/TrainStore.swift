import Foundation
import GRDB
import MimeoWire

/// The stored state of a train job (kind 2): `train_jobs` joined with its `jobs` row (docs/cluster-state.md: Train
/// jobs).
public struct TrainJobRecord: Sendable, Equatable {
    public var id: JobID
    /// The SUBMIT payload as received.
    public var job: TrainJob
    public var state: JobState
    public var phase: TrainJobPhase
    /// The round in progress (the one after the last checkpoint); 0 before the rounds.
    public var round: UInt32
    /// Attempts made at `round` so far (a retried or voided round counts one more).
    public var roundAttempt: UInt32
    /// The sites of the current round, in increasing byte order.
    public var participants: [String]
    /// The reduced encoding, once phase 3 is over.
    public var encoding: [UInt8]?
    public var bestRound: UInt32?
    public var patienceLeft: Int?
    public var epsilonSpent: Double?
    public var finalModel: BlobReference?
    /// The attempts a round or an analysis task gets (`jobs.max_attempts`).
    public var maxAttempts: UInt32
    /// The lease timeout of the job's tasks: the round deadline.
    public var leaseTimeoutMilliseconds: UInt32
}

/// The state of a train task.
public enum TrainTaskState: String, Sendable, CaseIterable {
    /// Waiting for its site to ask.
    case pending
    /// Leased to its site's worker.
    case leased
    /// Its result was accepted.
    case done
    /// Its lease ended without a result and it will not be leased again: a straggler of a round, or an analysis
    /// task out of attempts.
    case dropped
    /// Superseded: its round was checkpointed, retried or voided, or its job ended; answers to it are stale.
    case void
}

/// One task of a train job: one (phase, round, site), leased only to the worker named `site`.
public struct TrainTaskRecord: Sendable, Equatable {
    /// The job and the task's index, the wire's `shard`.
    public var task: ShardID
    public var phase: TrainPhase
    public var round: UInt32
    public var site: String
    public var state: TrainTaskState
    /// The highest attempt number so far (0 before the first lease).
    public var attempt: UInt32
    /// While leased.
    public var worker: String?
    public var leaseExpiresAt: UInt64?
    /// The LEASE payload.
    public var payload: TrainTask
    /// Once done.
    public var result: TrainTaskResult?
}

/// One site's losses in a checkpointed round, as stored in `train_rounds.site_losses` (JSON).
public struct SiteRoundLoss: Sendable, Equatable, Codable {
    public var site: String
    public var examples: UInt64
    public var trainLoss: Double
    public var validationExamples: UInt64
    public var validationLoss: Double?
    public init(site: String, examples: UInt64, trainLoss: Double, validationExamples: UInt64,
                validationLoss: Double?) {
        self.site = site
        self.examples = examples
        self.trainLoss = trainLoss
        self.validationExamples = validationExamples
        self.validationLoss = validationLoss
    }
}

/// A round's checkpoint: the weights after aggregating round `round` (round 0: the initial weights), its losses
/// and the privacy spent so far.
public struct TrainCheckpoint: Sendable, Equatable {
    public var job: JobID
    public var round: UInt32
    /// The model's weights (the training code's serialisation, opaque here).
    public var weights: [UInt8]
    /// Aggregate training loss (weighted by examples); nil for round 0.
    public var trainLoss: Double?
    /// Aggregate validation loss (weighted by validation examples); nil when no site kept validation rows.
    public var validationLoss: Double?
    public var siteLosses: [SiteRoundLoss]
    /// ε spent after this round (DP jobs).
    public var epsilon: Double?
    public var participants: [String]
    public var createdAt: UInt64
    public init(job: JobID, round: UInt32, weights: [UInt8], trainLoss: Double?, validationLoss: Double?,
                siteLosses: [SiteRoundLoss], epsilon: Double?, participants: [String], createdAt: UInt64) {
        self.job = job
        self.round = round
        self.weights = weights
        self.trainLoss = trainLoss
        self.validationLoss = validationLoss
        self.siteLosses = siteLosses
        self.epsilon = epsilon
        self.participants = participants
        self.createdAt = createdAt
    }
}

extension TrainJobPhase {
    /// The name stored in `train_jobs.phase`.
    var storedName: String {
        switch self {
        case .enrolling: "enrolling"
        case .load: "load"
        case .analyzeCounts: "analyze-counts"
        case .analyzeValues: "analyze-values"
        case .trainRound: "train-round"
        case .finished: "finished"
        }
    }

    init?(storedName: String) {
        guard let phase = Self.allCases.first(where: { $0.storedName == storedName }) else { return nil }
        self = phase
    }
}

extension TrainPhase {
    /// The name stored in `train_tasks.phase`.
    var storedName: String { TrainJobPhase(rawValue: rawValue)!.storedName }

    init?(storedName: String) {
        guard let phase = Self.allCases.first(where: { $0.storedName == storedName }) else { return nil }
        self = phase
    }
}

extension StoreTransaction {
    /// The attempts a round gets when the job leaves it to the coordinator (spec: TrainJob).
    public static let defaultRoundAttempts: UInt32 = 3
    /// The round timeout when the job leaves it to the coordinator, before a round has been measured.
    public static let defaultRoundTimeoutMilliseconds: UInt32 = 60_000

    // MARK: Train jobs

    /// Stores a train job: a `jobs` row of kind 2 (rounds planned as its units, the round attempts as its maximum
    /// attempts, the round timeout as its lease timeout) and its `train_jobs` row, in phase `enrolling`.
    public func submitTrain(_ job: TrainJob, label: String = "", now: UInt64) throws -> JobID {
        let attempts = job.roundAttempts == 0 ? Self.defaultRoundAttempts : UInt32(job.roundAttempts)
        let timeout = job.roundTimeoutMilliseconds == 0 ? Self.defaultRoundTimeoutMilliseconds
            : job.roundTimeoutMilliseconds
        // `model_hash` is the job's input blob: the uploaded table of a data-parallel job, 32 zero bytes otherwise.
        let input = job.table?.hash.bytes ?? [UInt8](repeating: 0, count: ContentHash.byteCount)
        try execute("""
            INSERT INTO jobs (kind, payload_version, payload, label, rows, seed, model_hash, output, batch_rows,
                              batches_per_shard, shard_count, max_attempts, lease_timeout_ms, state, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, '', 1, 1, ?, ?, ?, 'queued', ?)
            """, [TrainJob.kind.rawValue, job.payloadVersion, Data(job.encoded()), label, Int64(job.rounds),
                  Int64(bitPattern: job.seed), Data(input), Int64(job.rounds), attempts, timeout, stored(now)])
        let id = db.lastInsertedRowID
        guard let options = String(validating: job.settings, as: UTF8.self) else {
            throw StoreError.invalidJob("the train settings are not UTF-8")
        }
        try execute("""
            INSERT INTO train_jobs (job_id, mode, options, phase) VALUES (?, ?, ?, 'enrolling')
            """, [id, job.mode == .federated ? "federated" : "data-parallel", options])
        return JobID(id)
    }

    /// A train job's state, or nil when there is no train job `id`.
    public func trainJob(_ id: JobID) throws -> TrainJobRecord? {
        guard id <= UInt64(Int64.max), let row = try Row.fetchOne(statement("""
            SELECT t.*, j.payload, j.payload_version, j.state AS job_state, j.max_attempts, j.lease_timeout_ms
            FROM train_jobs t JOIN jobs j ON j.id = t.job_id WHERE t.job_id = ?
            """), arguments: [stored(id)]) else { return nil }
        let payload: Data = row["payload"]
        let job: TrainJob
        do {
            job = try TrainJob.decode(kind: .train, version: UInt16(clamping: row["payload_version"] as Int64),
                                      payload: [UInt8](payload))
        } catch {
            throw StoreError.corrupt("train job \(id)'s payload does not decode: \(error)")
        }
        let rawState: String = row["job_state"]
        let rawPhase: String = row["phase"]
        guard let state = JobState(rawValue: rawState), let phase = TrainJobPhase(storedName: rawPhase) else {
            throw StoreError.corrupt("train job \(id) has state \(rawState) and phase \(rawPhase)")
        }
        let finalHash: Data? = row["final_model_hash"]
        let finalBytes: Int64? = row["final_model_bytes"]
        var finalModel: BlobReference?
        if let finalHash, let finalBytes {
            guard let hash = ContentHash(bytes: [UInt8](finalHash)) else {
                throw StoreError.corrupt("train job \(id) has a final model hash of \(finalHash.count) bytes")
            }
            finalModel = BlobReference(hash: hash, bytes: unstored(finalBytes))
        }
        let encoding: Data? = row["encoding"]
        let best: Int64? = row["best_round"]
        let patience: Int64? = row["patience_left"]
        return TrainJobRecord(id: id, job: job, state: state, phase: phase,
                              round: UInt32(clamping: row["round"] as Int64),
                              roundAttempt: UInt32(clamping: row["round_attempt"] as Int64),
                              participants: try decodeNames(row["participants"], what: "train job \(id) participants"),
                              encoding: encoding.map { [UInt8]($0) }, bestRound: best.map { UInt32(clamping: $0) },
                              patienceLeft: patience.map { Int($0) }, epsilonSpent: row["epsilon_spent"],
                              finalModel: finalModel, maxAttempts: UInt32(clamping: row["max_attempts"] as Int64),
                              leaseTimeoutMilliseconds: UInt32(clamping: row["lease_timeout_ms"] as Int64))
    }

    /// Moves a train job to `phase` and `round`, with the round's participants (sorted here) and attempt number.
    public func setTrainPhase(job: JobID, phase: TrainJobPhase, round: UInt32, roundAttempt: UInt32,
                              participants: [String] = []) throws {
        try execute("""
            UPDATE train_jobs SET phase = ?, round = ?, round_attempt = ?, participants = ? WHERE job_id = ?
            """, [phase.storedName, Int64(round), Int64(roundAttempt), try encodeNames(sortedNames(participants)),
                  stored(job)])
        guard db.changesCount > 0 else { throw StoreError.unknownJob(job) }
    }

    /// Stores the reduced encoding (after phase 3).
    public func setTrainEncoding(job: JobID, encoding: [UInt8]) throws {
        try execute("UPDATE train_jobs SET encoding = ? WHERE job_id = ?", [Data(encoding), stored(job)])
        guard db.changesCount > 0 else { throw StoreError.unknownJob(job) }
    }

    /// Ends a train job as done with its final model.
    public func completeTrain(job: JobID, finalModel: BlobReference, now: UInt64) throws {
        guard try jobState(job) == .running || jobState(job) == .queued else { return }
        let holders = try voidTrainTasks(job: job, round: nil)
        try execute("""
            UPDATE train_jobs SET phase = 'finished', final_model_hash = ?, final_model_bytes = ? WHERE job_id = ?
            """, [Data(finalModel.hash.bytes), stored(finalModel.bytes), stored(job)])
        try execute("UPDATE jobs SET state = 'done', finished_at = ? WHERE id = ?", [stored(now), stored(job)])
        endedJobs.append(JobEnd(job: job, state: .done, reason: nil, holders: holders))
    }

    /// Fails a train job (quorum never reached, rounds out of attempts, a task out of attempts): its outstanding
    /// tasks become void and their holders are recorded in `endedJobs`.
    public func failTrain(job: JobID, reason: String, now: UInt64) throws {
        guard let state = try jobState(job), !state.isFinished else { return }
        let holders = try voidTrainTasks(job: job, round: nil)
        try execute("UPDATE train_jobs SET phase = 'finished' WHERE job_id = ?", [stored(job)])
        try execute("UPDATE jobs SET state = 'failed', failure = ?, finished_at = ? WHERE id = ?",
                    [reason, stored(now), stored(job)])
        endedJobs.append(JobEnd(job: job, state: .failed, reason: reason, holders: holders))
    }

    // MARK: Tasks

    /// Adds pending tasks to a train job, each with its LEASE payload (which names its phase, round and site), and
    /// returns their ids, numbered on from the job's task counter.
    public func addTrainTasks(job: JobID, _ tasks: [TrainTask]) throws -> [ShardID] {
        guard let next = try Int64.fetchOne(statement("SELECT next_task FROM train_jobs WHERE job_id = ?"),
                                            arguments: [stored(job)]) else { throw StoreError.unknownJob(job) }
        let insert = try db.cachedStatement(sql: """
            INSERT INTO train_tasks (job_id, task_idx, phase, round, site, payload, state)
            VALUES (?, ?, ?, ?, ?, ?, 'pending')
            """)
        var ids: [ShardID] = []
        for (offset, task) in tasks.enumerated() {
            let index = next + Int64(offset)
            guard index <= Int64(UInt32.max) else { throw StoreError.invalidJob("job \(job) has too many tasks") }
            try insert.execute(arguments: [stored(job), index, task.work.phase.storedName, Int64(task.round), task.site,
                                           Data(task.encoded())])
            ids.append(ShardID(job: job, index: Int(index)))
        }
        try execute("UPDATE train_jobs SET next_task = ? WHERE job_id = ?", [next + Int64(tasks.count), stored(job)])
        return ids
    }

    /// Leases the oldest pending task whose site is `worker` (site affinity) of an unfinished train job: the next
    /// attempt, expiring after the job's lease timeout. Nil when the worker's site has nothing pending.
    public func leaseTrainTask(to worker: String, now: UInt64) throws -> Lease? {
        guard let row = try Row.fetchOne(statement("""
            SELECT t.job_id, t.task_idx, t.attempt, t.payload, j.state, j.lease_timeout_ms
            FROM train_tasks t INDEXED BY train_tasks_pending JOIN jobs j ON j.id = t.job_id
            WHERE t.state = 'pending' AND t.site = ? AND j.state IN ('queued', 'running')
            ORDER BY t.job_id, t.task_idx LIMIT 1
            """), arguments: [worker]) else { return nil }
        let jobID: Int64 = row["job_id"]
        let index: Int64 = row["task_idx"]
        let attempt = UInt32(clamping: (row["attempt"] as Int64) + 1)
        let timeout: Int64 = row["lease_timeout_ms"]
        let (sum, overflow) = stored(now).addingReportingOverflow(timeout)
        let expiresAt = overflow ? Int64.max : sum
        try execute("""
            UPDATE train_tasks SET state = 'leased', attempt = ?, worker = ?, lease_expires_at = ?
            WHERE job_id = ? AND task_idx = ?
            """, [attempt, worker, expiresAt, jobID, index])
        if (row["state"] as String) != JobState.running.rawValue {
            try execute("UPDATE jobs SET state = 'running', started_at = COALESCE(started_at, ?) WHERE id = ?",
                        [stored(now), jobID])
        }
        if attempt > 1 { try execute("UPDATE jobs SET retries = retries + 1 WHERE id = ?", [jobID]) }
        let payload: Data = row["payload"]
        return Lease(shard: ShardID(job: JobID(jobID), index: Int(index)), attempt: attempt, worker: worker,
                     expiresAt: unstored(expiresAt), leaseTimeoutMilliseconds: UInt32(clamping: timeout),
                     kind: TrainTask.kind, payloadVersion: TrainTask.version, payload: [UInt8](payload), rows: 0)
    }

    /// PROGRESS of a train task: renews its lease if `worker` holds `attempt`; returns whether it counted.
    @discardableResult
    public func renewTrainTask(_ task: ShardID, attempt: UInt32, from worker: String, now: UInt64) throws -> Bool {
        guard let timeout = try trainHolder(task, attempt: attempt, worker: worker) else { return try stale(task.job) }
        let (sum, overflow) = stored(now).addingReportingOverflow(timeout)
        try execute("UPDATE train_tasks SET lease_expires_at = ? WHERE job_id = ? AND task_idx = ?",
                    [overflow ? Int64.max : sum, stored(task.job), task.index])
        return true
    }

    /// RESULT of a train task: stored if `worker` holds `attempt` of the task in a running job and the result is of
    /// the task's phase (and, in phase 4, its round). Anything else is stale, counted, and returns false: a late
    /// answer of an expired, restarted, retried or voided attempt, a duplicate, or a result for another task.
    @discardableResult
    public func completeTrainTask(_ task: ShardID, attempt: UInt32, from worker: String, result: TrainTaskResult,
                                  now: UInt64) throws -> Bool {
        guard try trainHolder(task, attempt: attempt, worker: worker) != nil,
              let record = try trainTask(task), record.phase == result.outcome.phase else { return try stale(task.job) }
        if case let .round(round) = result.outcome, round.round != record.round { return try stale(task.job) }
        try execute("""
            UPDATE train_tasks SET state = 'done', worker = NULL, lease_expires_at = NULL, result_version = ?,
                                   result = ?, done_at = ?
            WHERE job_id = ? AND task_idx = ?
            """, [result.payloadVersion, Data(result.encoded()), stored(now), stored(task.job), task.index])
        return true
    }

    /// FAIL of a train task: its lease ends like an expiry (`endTrainLease`); returns whether it counted.
    @discardableResult
    public func failTrainTask(_ task: ShardID, attempt: UInt32, from worker: String, retryable: Bool, reason: String,
                              now: UInt64) throws -> Bool {
        guard try trainHolder(task, attempt: attempt, worker: worker) != nil else { return try stale(task.job) }
        if retryable {
            try endTrainLease(LeaseRef(shard: task, attempt: attempt, worker: worker), reason: reason, now: now)
        } else {
            try execute("""
                UPDATE train_tasks SET state = 'dropped', worker = NULL, lease_expires_at = NULL
                WHERE job_id = ? AND task_idx = ?
                """, [stored(task.job), task.index])
            try execute("UPDATE jobs SET failed_attempts = failed_attempts + 1 WHERE id = ?", [stored(task.job)])
            let phase = try trainTask(task)?.phase
            // A site that cannot answer an analysis cannot take part at all; a round can do without it.
            if phase != .trainRound { try failTrain(job: task.job, reason: "task \(task.index): \(reason)", now: now) }
        }
        return true
    }

    /// A task by id, or nil.
    public func trainTask(_ task: ShardID) throws -> TrainTaskRecord? {
        guard task.job <= UInt64(Int64.max) else { return nil }
        return try Row.fetchOne(statement("SELECT * FROM train_tasks WHERE job_id = ? AND task_idx = ?"),
                                arguments: [stored(task.job), task.index]).map(trainTaskRecord)
    }

    /// A job's tasks, in task order, optionally of one phase and round.
    public func trainTasks(job: JobID, phase: TrainPhase? = nil, round: UInt32? = nil) throws -> [TrainTaskRecord] {
        try Row.fetchAll(statement("""
            SELECT * FROM train_tasks WHERE job_id = ? AND (? IS NULL OR phase = ?) AND (? IS NULL OR round = ?)
            ORDER BY task_idx
            """), arguments: [stored(job), phase?.storedName, phase?.storedName, round.map { Int64($0) },
                              round.map { Int64($0) }]).map(trainTaskRecord)
    }

    /// Voids a job's pending and leased tasks (of `round`, or all of them): a retried or voided round, or an ended
    /// job. Later answers to them are stale. Returns the workers that held their leases (send them CANCEL).
    @discardableResult
    public func voidTrainTasks(job: JobID, round: UInt32?) throws -> Set<String> {
        let holders = try String.fetchAll(statement("""
            SELECT DISTINCT worker FROM train_tasks
            WHERE job_id = ? AND state = 'leased' AND (? IS NULL OR round = ?)
            """), arguments: [stored(job), round.map { Int64($0) }, round.map { Int64($0) }])
        try execute("""
            UPDATE train_tasks SET state = 'void', worker = NULL, lease_expires_at = NULL
            WHERE job_id = ? AND state IN ('pending', 'leased') AND (? IS NULL OR round = ?)
            """, [stored(job), round.map { Int64($0) }, round.map { Int64($0) }])
        return Set(holders)
    }

    // MARK: Rounds

    /// Checkpoints round `checkpoint.round`: its weights, losses, ε and participants in `train_rounds`, and the job
    /// moved on to the next round (attempt 0, `bestRound` and `patienceLeft` as the caller's early stopping says,
    /// ε spent, rounds done as the job's units done); the round's outstanding tasks become void. Part of the
    /// caller's transaction, so the checkpoint is all or nothing.
    public func checkpoint(_ checkpoint: TrainCheckpoint, bestRound: UInt32?, patienceLeft: Int?) throws {
        let job = checkpoint.job
        guard try trainJob(job) != nil else { throw StoreError.unknownJob(job) }
        let losses: String
        do {
            losses = String(decoding: try JSONEncoder.sorted.encode(checkpoint.siteLosses), as: UTF8.self)
        } catch {
            throw StoreError.invalidJob("round \(checkpoint.round)'s site losses cannot be stored: \(error)")
        }
        try execute("""
            INSERT INTO train_rounds (job_id, round, weights, train_loss, validation_loss, site_losses, epsilon,
                                      participants, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [stored(job), Int64(checkpoint.round), Data(checkpoint.weights), checkpoint.trainLoss,
                  checkpoint.validationLoss, losses, checkpoint.epsilon,
                  try encodeNames(sortedNames(checkpoint.participants)), stored(checkpoint.createdAt)])
        try voidTrainTasks(job: job, round: checkpoint.round)
        try execute("""
            UPDATE train_jobs SET round = ?, round_attempt = 0, best_round = ?, patience_left = ?,
                                  epsilon_spent = COALESCE(?, epsilon_spent)
            WHERE job_id = ?
            """, [Int64(checkpoint.round) + 1, bestRound.map { Int64($0) }, patienceLeft.map { Int64($0) },
                  checkpoint.epsilon, stored(job)])
        try execute("UPDATE jobs SET done_shards = ? WHERE id = ?", [Int64(checkpoint.round), stored(job)])
    }

    /// The checkpoint of the highest round of a job, or nil before round 0 was stored.
    public func lastCheckpoint(job: JobID) throws -> TrainCheckpoint? {
        try Row.fetchOne(statement("""
            SELECT * FROM train_rounds WHERE job_id = ? ORDER BY round DESC LIMIT 1
            """), arguments: [stored(job)]).map(trainCheckpoint)
    }

    /// The checkpoint of one round, or nil.
    public func checkpoint(job: JobID, round: UInt32) throws -> TrainCheckpoint? {
        try Row.fetchOne(statement("SELECT * FROM train_rounds WHERE job_id = ? AND round = ?"),
                         arguments: [stored(job), Int64(round)]).map(trainCheckpoint)
    }

    /// Every checkpointed round's aggregate validation loss, in round order (for JOB-DETAIL-REPLY).
    public func roundLosses(job: JobID) throws -> [TrainRoundLoss] {
        try Row.fetchAll(statement("""
            SELECT round, validation_loss FROM train_rounds
            WHERE job_id = ? AND round >= 1 AND validation_loss IS NOT NULL ORDER BY round
            """), arguments: [stored(job)]).map { row in
            TrainRoundLoss(round: UInt32(clamping: row["round"] as Int64), validationLoss: row["validation_loss"])
        }
    }

    // MARK: Leases ending without a result

    /// Ends the lease of a train task without a result (expired, worker lost, retryable FAIL): a training round's
    /// task is dropped (its site is a straggler of the round); an analysis or load task goes back to pending, or,
    /// on its last attempt, is dropped and fails its job.
    func endTrainLease(_ lease: LeaseRef, reason: String, now: UInt64) throws {
        guard let record = try trainTask(lease.shard), record.state == .leased, record.attempt == lease.attempt else {
            return
        }
        try execute("UPDATE jobs SET failed_attempts = failed_attempts + 1 WHERE id = ?", [stored(lease.shard.job)])
        let maxAttempts = try Int64.fetchOne(statement("SELECT max_attempts FROM jobs WHERE id = ?"),
                                             arguments: [stored(lease.shard.job)]) ?? 0
        let retry = record.phase != .trainRound && Int64(lease.attempt) < maxAttempts
        try execute("""
            UPDATE train_tasks SET state = ?, worker = NULL, lease_expires_at = NULL WHERE job_id = ? AND task_idx = ?
            """, [retry ? "pending" : "dropped", stored(lease.shard.job), lease.shard.index])
        if record.phase != .trainRound, !retry {
            try failTrain(job: lease.shard.job,
                          reason: "task \(lease.shard.index) (\(record.phase.storedName), site \(record.site)): "
                              + "\(reason) on attempt \(lease.attempt) of \(maxAttempts)", now: now)
        }
    }

    /// Train task leases matching `filter` (which must require `state = 'leased'`).
    func trainLeases(sql filter: String, arguments: StatementArguments) throws -> [LeaseRef] {
        try Row.fetchAll(statement("""
            SELECT job_id, task_idx, attempt, worker FROM train_tasks INDEXED BY train_tasks_leased \(filter)
            ORDER BY job_id, task_idx
            """), arguments: arguments).map { row in
            LeaseRef(shard: ShardID(job: unstored(row["job_id"]), index: Int(row["task_idx"] as Int64)),
                     attempt: UInt32(clamping: row["attempt"] as Int64), worker: row["worker"])
        }
    }

    /// At restart: every leased train task goes back to pending with its attempt number kept, so its next lease
    /// has the next number and a late answer of the previous process's lease is stale. Not counted as a failed
    /// attempt: the site did nothing wrong, and a round in progress resumes with the same participants.
    func recoverTrainTasks() throws -> [LeaseRef] {
        let outstanding = try trainLeases(sql: "WHERE state = 'leased'", arguments: [])
        try execute("""
            UPDATE train_tasks SET state = 'pending', worker = NULL, lease_expires_at = NULL WHERE state = 'leased'
            """)
        return outstanding
    }

    // MARK: Helpers

    /// The job's lease timeout if `worker` holds `attempt` of `task` in a running job, else nil.
    private func trainHolder(_ task: ShardID, attempt: UInt32, worker: String) throws -> Int64? {
        guard task.job <= UInt64(Int64.max) else { return nil }
        return try Int64.fetchOne(statement("""
            SELECT j.lease_timeout_ms FROM train_tasks t JOIN jobs j ON j.id = t.job_id
            WHERE t.job_id = ? AND t.task_idx = ? AND j.state = 'running' AND t.state = 'leased' AND t.attempt = ?
                  AND t.worker = ?
            """), arguments: [stored(task.job), task.index, attempt, worker])
    }

    private func stale(_ job: JobID) throws -> Bool {
        try execute("UPDATE jobs SET stale_answers = stale_answers + 1 WHERE id = ?", [stored(job)])
        return false
    }

    private func trainTaskRecord(_ row: Row) throws -> TrainTaskRecord {
        let job: JobID = unstored(row["job_id"])
        let index = Int(row["task_idx"] as Int64)
        let rawPhase: String = row["phase"]
        let rawState: String = row["state"]
        guard let phase = TrainPhase(storedName: rawPhase), let state = TrainTaskState(rawValue: rawState) else {
            throw StoreError.corrupt("job \(job) task \(index) has phase \(rawPhase) and state \(rawState)")
        }
        let payload: Data = row["payload"]
        let resultBytes: Data? = row["result"]
        let resultVersion: Int64? = row["result_version"]
        let expires: Int64? = row["lease_expires_at"]
        do {
            let task = try TrainTask.decode(kind: .train, version: TrainTask.version, payload: [UInt8](payload))
            let result = try resultBytes.map { bytes throws(WireError) in
                try TrainTaskResult.decode(kind: .train, version: UInt16(clamping: resultVersion ?? 0),
                                           payload: [UInt8](bytes))
            }
            return TrainTaskRecord(task: ShardID(job: job, index: index), phase: phase,
                                   round: UInt32(clamping: row["round"] as Int64), site: row["site"], state: state,
                                   attempt: UInt32(clamping: row["attempt"] as Int64), worker: row["worker"],
                                   leaseExpiresAt: expires.map(unstored), payload: task, result: result)
        } catch {
            throw StoreError.corrupt("job \(job) task \(index) does not decode: \(error)")
        }
    }

    private func trainCheckpoint(_ row: Row) throws -> TrainCheckpoint {
        let job: JobID = unstored(row["job_id"])
        let round = UInt32(clamping: row["round"] as Int64)
        let weights: Data = row["weights"]
        let losses: String = row["site_losses"]
        let siteLosses: [SiteRoundLoss]
        do {
            siteLosses = try JSONDecoder().decode([SiteRoundLoss].self, from: Data(losses.utf8))
        } catch {
            throw StoreError.corrupt("job \(job) round \(round)'s site losses do not decode: \(error)")
        }
        return TrainCheckpoint(job: job, round: round, weights: [UInt8](weights), trainLoss: row["train_loss"],
                               validationLoss: row["validation_loss"], siteLosses: siteLosses, epsilon: row["epsilon"],
                               participants: try decodeNames(row["participants"], what: "job \(job) round \(round)"),
                               createdAt: unstored(row["created_at"]))
    }

    private func sortedNames(_ names: [String]) -> [String] {
        names.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    private func encodeNames(_ names: [String]) throws -> String {
        String(decoding: try JSONEncoder.sorted.encode(names), as: UTF8.self)
    }

    private func decodeNames(_ text: String, what: String) throws -> [String] {
        do {
            return try JSONDecoder().decode([String].self, from: Data(text.utf8))
        } catch {
            throw StoreError.corrupt("\(what) do not decode: \(error)")
        }
    }
}

extension JSONEncoder {
    /// An encoder with sorted keys, so equal values are stored as equal text.
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

extension CoordinatorStore {
    /// Stores a train job; commit before answering ACCEPTED.
    public func submitTrain(_ job: TrainJob, label: String = "", now: UInt64) throws -> JobID {
        try write { try $0.submitTrain(job, label: label, now: now) }
    }

    /// Leases the next pending task of `worker`'s site.
    public func leaseTrainTask(to worker: String, now: UInt64) throws -> Lease? {
        try write { try $0.leaseTrainTask(to: worker, now: now) }
    }

    /// RESULT of a train task; returns whether it counted.
    @discardableResult
    public func completeTrainTask(_ task: ShardID, attempt: UInt32, from worker: String, result: TrainTaskResult,
                                  now: UInt64) throws -> Bool {
        try write { try $0.completeTrainTask(task, attempt: attempt, from: worker, result: result, now: now) }
    }

    /// A train job's state.
    public func trainJob(_ id: JobID) throws -> TrainJobRecord? {
        try read { try $0.trainJob(id) }
    }

    /// The last checkpointed round of a job.
    public func lastCheckpoint(job: JobID) throws -> TrainCheckpoint? {
        try read { try $0.lastCheckpoint(job: job) }
    }
}

extension StoreTransaction {
    /// A train job's detail for JOB-DETAIL-REPLY (spec: TrainDetail), from the stored state: the sites are those
    /// that answered a round or take part in the current one; their numbers come from their last answered round;
    /// contributions are example shares of the last checkpointed round; the ETA is the mean time of the rounds
    /// checkpointed since round 0 times the rounds left. Nil when there is no train job `id`.
    public func trainDetail(_ id: JobID) throws -> TrainDetail? {
        guard let record = try trainJob(id) else { return nil }
        let lastCheckpoint = try lastCheckpoint(job: id)
        // Each site's last answer, from the newest rounds back: a task's result holds its whole update, so only the
        // rounds needed are read (until every site of the current round and of the last checkpoint is found, at
        // most 3 rounds back), which keeps JOB-DETAIL cheap however long the job has run.
        var last: [String: TrainRoundResult] = [:]
        let wanted = Set(record.participants).union(lastCheckpoint?.siteLosses.map(\.site) ?? [])
        var round = record.round
        while round >= 1, record.round - round < 3 {
            for task in try trainTasks(job: id, phase: .trainRound, round: round) where task.state == .done {
                guard case let .round(result)? = task.result?.outcome, last[task.site] == nil else { continue }
                last[task.site] = result
            }
            if wanted.isSubset(of: last.keys) { break }
            round -= 1
        }
        let shares = lastCheckpoint?.siteLosses ?? []
        let total = shares.reduce(0) { $0 + $1.examples }
        var names = Set(last.keys).union(record.participants)
        names.formUnion(shares.map(\.site))
        let sites = names.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }.map { name in
            let result = last[name]
            let share = shares.first { $0.site == name }.map { total == 0 ? 0 : Double($0.examples) / Double(total) }
            return TrainSiteDetail(name: name, examples: result?.examples ?? 0, trainLoss: result?.trainLoss,
                                   validationLoss: result?.validationLoss, contribution: min(1, share ?? 0),
                                   lastRound: result?.round)
        }
        var eta: UInt64?
        if let lastCheckpoint, lastCheckpoint.round >= 1, let first = try checkpoint(job: id, round: 0),
           record.job.rounds > lastCheckpoint.round {
            let perRound = (lastCheckpoint.createdAt &- first.createdAt) / UInt64(lastCheckpoint.round)
            let left = UInt64(record.job.rounds - lastCheckpoint.round)
            eta = perRound.multipliedReportingOverflow(by: left).partialValue
        }
        let privacy = record.job.privacy.map {
            TrainPrivacySpent(epsilon: max(0, record.epsilonSpent ?? 0), delta: $0.delta)
        }
        return TrainDetail(phase: record.phase, round: record.round, roundsPlanned: record.job.rounds, sites: sites,
                           losses: try roundLosses(job: id), privacy: privacy,
                           etaMilliseconds: record.state.isFinished ? nil : eta, finalModel: record.finalModel)
    }
}
