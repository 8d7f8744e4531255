import Foundation
import GRDB
import MimeoWire

/// The store's operations inside one open transaction (`CoordinatorStore.write(_:)`): group several of them into one
/// commit. Valid only inside the closure it was passed to.
///
/// The transitions are `LeaseTable`'s, applied to rows (docs/cluster-state.md: Rules). Times are milliseconds of
/// the caller's clock; they are stored as SQLite integers, so values past 2⁶³ − 1 are clamped.
public final class StoreTransaction {
    let db: Database
    let options: CoordinatorStore.Options
    let plans: JobPlanCache
    /// Jobs that ended (done, failed or cancelled) in this transaction so far, in order.
    public internal(set) var endedJobs: [JobEnd] = []

    init(db: Database, options: CoordinatorStore.Options, plans: JobPlanCache) {
        self.db = db
        self.options = options
        self.plans = plans
    }

    // MARK: Jobs

    /// Stores a generation job, plans its shards with `ShardPlan`, and returns its id.
    ///
    /// Batches per shard 0 lets the store choose (`ShardPlan.automaticBatchesPerShard` for the workers up now);
    /// attempts 0 takes `Options.defaultMaxAttempts`.
    /// - Throws: `StoreError.invalidJob` when the job cannot be planned.
    public func submit(_ job: GenerateJob, label: String = "", now: UInt64) throws -> JobID {
        let workersUp = try Int.fetchOne(statement("SELECT COUNT(*) FROM workers WHERE state = 'up'")) ?? 0
        let batchesPerShard = job.batchesPerShard != 0 ? job.batchesPerShard
            : ShardPlan.automaticBatchesPerShard(totalRows: job.rows, batchRows: options.batchRows, workers: workersUp)
        let plan: ShardPlan
        do {
            plan = try ShardPlan(totalRows: job.rows, batchRows: options.batchRows, batchesPerShard: batchesPerShard)
        } catch {
            throw StoreError.invalidJob(error.description)
        }
        let maxAttempts = job.maxAttempts == 0 ? options.defaultMaxAttempts : UInt32(job.maxAttempts)
        try execute("""
            INSERT INTO jobs (kind, payload_version, payload, label, rows, seed, model_hash, output, batch_rows,
                              batches_per_shard, shard_count, max_attempts, lease_timeout_ms, state, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?)
            """, [GenerateJob.kind.rawValue, job.payloadVersion, Data(job.encoded()), label,
                             stored(job.rows), Int64(bitPattern: job.seed), Data(job.modelHash.bytes), job.output,
                             plan.batchRows, plan.batchesPerShard, plan.shardCount, maxAttempts,
                             options.leaseTimeoutMilliseconds, stored(now)])
        let id = db.lastInsertedRowID
        let insert = try db.cachedStatement(sql: """
            INSERT INTO shards (job_id, idx, first_batch, batch_count, first_row, row_count, state)
            VALUES (?, ?, ?, ?, ?, ?, 'pending')
            """)
        for index in 0..<plan.shardCount {
            guard let shard = plan.shard(index) else { continue }
            try insert.execute(arguments: [id, index, stored(shard.firstBatch), shard.batchCount,
                                           stored(shard.firstRow), stored(shard.rowCount)])
        }
        return JobID(id)
    }

    /// Cancels a job: its leases end (their holders are returned, to be sent CANCEL) and later answers are stale.
    /// Cancelling a job that has ended changes nothing.
    /// - Throws: `StoreError.unknownJob`.
    public func cancel(job: JobID, now: UInt64) throws -> Set<String> {
        guard let state = try jobState(job) else { throw StoreError.unknownJob(job) }
        guard !state.isFinished else { return [] }
        var holders = try endLeases(ofJob: job, outcome: "cancelled", reason: "job cancelled", now: now)
        // A train job's tasks (none for other kinds).
        holders.formUnion(try voidTrainTasks(job: job, round: nil))
        try execute("UPDATE train_jobs SET phase = 'finished' WHERE job_id = ?", [stored(job)])
        try execute("UPDATE jobs SET state = 'cancelled', finished_at = ? WHERE id = ?",
                       [stored(now), stored(job)])
        endedJobs.append(JobEnd(job: job, state: .cancelled, reason: nil, holders: holders))
        return holders
    }

    // MARK: Leases

    /// Leases the lowest pending shard of the oldest unfinished job to `worker` (attempt + 1, expiring after the job's
    /// lease timeout), or nil when no shard is pending. A job's shards are leased with its own payload version (a job
    /// with a real table is version 2), so only jobs of at most `payloadVersion` are considered: the highest version
    /// of kind generate the worker listed in READY.
    public func lease(to worker: String, payloadVersion: UInt16 = GenerateShard.version, now: UInt64) throws -> Lease? {
        guard let row = try Row.fetchOne(statement("""
            SELECT s.job_id, s.idx, s.attempts, j.state, j.lease_timeout_ms
            FROM shards s JOIN jobs j ON j.id = s.job_id
            WHERE s.state = 'pending' AND j.state IN ('queued', 'running') AND j.payload_version <= ?
            ORDER BY s.job_id, s.idx LIMIT 1
            """), arguments: [payloadVersion]) else { return nil }
        let jobID: Int64 = row[0]
        let index: Int = row[1]
        let attempts: Int64 = row[2]
        let state: String = row[3]
        let timeout: Int64 = row[4]
        let attempt = UInt32(clamping: attempts + 1)
        let expiresAt = UInt64(clamping: stored(now).addingReportingOverflow(timeout).overflow
                               ? Int64.max : stored(now) + timeout)
        let planned = try plannedJob(jobID)
        guard let payload = planned.plan.leasePayload(index, of: planned.job)
        else { throw StoreError.corrupt("job \(jobID) shard \(index) does not fit its plan") }

        try execute("""
            UPDATE shards SET state = 'leased', attempts = ?, worker = ?, lease_expires_at = ?
            WHERE job_id = ? AND idx = ?
            """, [attempt, worker, stored(expiresAt), jobID, index])
        try execute("""
            INSERT INTO attempts (job_id, shard_idx, attempt, worker, leased_at, deadline) VALUES (?, ?, ?, ?, ?, ?)
            """, [jobID, index, attempt, worker, stored(now), stored(expiresAt)])
        // A running job's first attempt at a shard changes nothing in its row (it is running, started_at is set).
        if attempt > 1 || state != JobState.running.rawValue {
            try execute("""
                UPDATE jobs SET retries = retries + ?,
                                state = 'running', started_at = COALESCE(started_at, ?)
                WHERE id = ?
                """, [attempt > 1 ? 1 : 0, stored(now), jobID])
        }
        return Lease(shard: ShardID(job: JobID(jobID), index: index), attempt: attempt, worker: worker,
                     expiresAt: expiresAt, leaseTimeoutMilliseconds: UInt32(clamping: timeout),
                     kind: GenerateShard.kind, payloadVersion: payload.payloadVersion, payload: payload.encoded(),
                     rows: payload.rowCount)
    }

    /// PROGRESS: renews the lease of `attempt` at `shard` if `worker` holds it; returns whether it counted.
    @discardableResult
    public func renew(shard: ShardID, attempt: UInt32, from worker: String, now: UInt64) throws -> Bool {
        guard let timeout = try holder(shard, attempt: attempt, worker: worker) else { return try stale(shard) }
        let expiresAt = stored(now).addingReportingOverflow(timeout).overflow ? Int64.max : stored(now) + timeout
        try execute("UPDATE shards SET lease_expires_at = ? WHERE job_id = ? AND idx = ?",
                       [expiresAt, stored(shard.job), shard.index])
        try execute("UPDATE attempts SET deadline = ? WHERE job_id = ? AND shard_idx = ? AND attempt = ?",
                       [expiresAt, stored(shard.job), shard.index, attempt])
        return true
    }

    /// RESULT: stores the result if it is for the current lease, and completes the job with its last shard. A
    /// duplicate, late or foreign result is ignored (counted as stale); returns whether it counted.
    @discardableResult
    public func complete(shard: ShardID, attempt: UInt32, from worker: String, result: GenerateResult,
                         now: UInt64) throws -> Bool {
        // The holder check (`holder(_:attempt:worker:)`) is the update's condition.
        guard shard.job <= UInt64(Int64.max) else { return try stale(shard) }
        try execute("""
            UPDATE shards SET state = 'done', worker = NULL, lease_expires_at = NULL, result_rows = ?,
                              result_bytes = ?, result_checksum = ?, result_elapsed_ms = ?, summary_version = ?,
                              summary = ?, done_at = ?
            WHERE job_id = ? AND idx = ? AND state = 'leased' AND attempts = ? AND worker = ?
                  AND (SELECT state FROM jobs WHERE id = ?) = 'running'
            """, [stored(result.rows), stored(result.bytes), Data(result.checksum.bytes),
                             stored(result.elapsedMilliseconds), result.summaryVersion, Data(result.summaries),
                             stored(now), stored(shard.job), shard.index, attempt, worker, stored(shard.job)])
        guard db.changesCount > 0 else { return try stale(shard) }
        try endAttempt(shard, attempt: attempt, outcome: "completed", reason: nil, now: now)
        if try Bool.fetchOne(statement("""
            UPDATE jobs SET done_shards = done_shards + 1 WHERE id = ? RETURNING done_shards = shard_count
            """), arguments: [stored(shard.job)]) == true {
            try execute("UPDATE jobs SET state = 'done', finished_at = ? WHERE id = ?",
                           [stored(now), stored(shard.job)])
            endedJobs.append(JobEnd(job: shard.job, state: .done, reason: nil, holders: []))
        }
        return true
    }

    /// FAIL: ends the current attempt. A retryable failure puts the shard back (or fails the job when it is out of
    /// attempts); any other fails the job. Returns whether it counted.
    @discardableResult
    public func fail(shard: ShardID, attempt: UInt32, from worker: String, retryable: Bool, reason: String,
                     now: UInt64) throws -> Bool {
        guard try holder(shard, attempt: attempt, worker: worker) != nil else { return try stale(shard) }
        try endAttempt(shard, attempt: attempt, outcome: "failed", reason: reason, now: now)
        try requeue(shard, attempt: attempt, failing: !retryable, reason: reason, now: now)
        return true
    }

    /// Expires every lease whose time is up at `now` (deadline ≤ now), putting its shard back or failing its job
    /// when the shard is out of attempts. Returns the expired leases.
    public func expire(now: UInt64) throws -> [LeaseRef] {
        let due = try leases(sql: "WHERE state = 'leased' AND lease_expires_at <= ?", arguments: [stored(now)])
        let ended = try end(due, outcome: "expired", reason: "lease expired", now: now)
        let trainDue = try trainLeases(sql: "WHERE state = 'leased' AND lease_expires_at <= ?",
                                       arguments: [stored(now)])
        for lease in trainDue { try endTrainLease(lease, reason: "lease expired", now: now) }
        return ended + trainDue
    }

    /// The worker died or left: every lease it holds ends now, as if expired, and it is marked gone. Returns those
    /// leases.
    public func release(worker: String, now: UInt64) throws -> [LeaseRef] {
        try execute("UPDATE workers SET state = 'gone' WHERE name = ?", [worker])
        let held = try leases(sql: "WHERE state = 'leased' AND worker = ?", arguments: [worker])
        let ended = try end(held, outcome: "lost", reason: "worker lost", now: now)
        let trainHeld = try trainLeases(sql: "WHERE state = 'leased' AND worker = ?", arguments: [worker])
        for lease in trainHeld { try endTrainLease(lease, reason: "worker lost", now: now) }
        return ended + trainHeld
    }

    /// At start-up, before anything else: every lease of the previous run expires (counted like any expiry, since
    /// its worker must join again and gets new leases), and every worker is marked gone.
    public func recover(now: UInt64) throws -> Recovery {
        try execute("UPDATE workers SET state = 'gone'")
        let outstanding = try leases(sql: "WHERE state = 'leased'", arguments: [])
        let ended = try end(outstanding, outcome: "restarted", reason: "coordinator restarted", now: now)
            + recoverTrainTasks()
        let resumed = try Int64.fetchAll(statement("SELECT id FROM jobs WHERE state IN ('queued', 'running') ORDER BY id"))
        return Recovery(endedLeases: ended, endedJobs: endedJobs, resumedJobs: resumed.map { JobID($0) })
    }

    // MARK: Workers

    /// READY: a worker joins (or joins again); it is up, heard from now.
    public func join(worker: String, address: String, threads: UInt16, slots: UInt16, now: UInt64) throws {
        try execute("""
            INSERT INTO workers (name, address, threads, slots, joined_at, last_heartbeat, state)
            VALUES (?, ?, ?, ?, ?, ?, 'up')
            ON CONFLICT (name) DO UPDATE SET address = excluded.address, threads = excluded.threads,
                slots = excluded.slots, joined_at = excluded.joined_at, last_heartbeat = excluded.last_heartbeat,
                state = 'up'
            """, [worker, address, threads, slots, stored(now), stored(now)])
    }

    /// HEARTBEAT (or any message) from a worker that is up; returns false for an unknown or gone worker.
    @discardableResult
    public func heartbeat(worker: String, now: UInt64) throws -> Bool {
        try execute("UPDATE workers SET last_heartbeat = ? WHERE name = ? AND state = 'up'",
                       [stored(now), worker])
        return db.changesCount > 0
    }

    // MARK: Reading

    /// Workers and jobs with progress, for `mimeo status`.
    public func status() throws -> ClusterSnapshot {
        let leased = try leases(sql: "WHERE state = 'leased'", arguments: [])
        let byWorker = Dictionary(grouping: leased, by: \.worker)
        let done = try Row.fetchAll(statement("""
            SELECT worker, COUNT(*) AS n FROM attempts WHERE outcome = 'completed' GROUP BY worker
            """)).reduce(into: [String: Int]()) { $0[$1["worker"]] = $1["n"] }
        let workers = try Row.fetchAll(statement("SELECT * FROM workers ORDER BY name")).map { row -> WorkerStatus in
            let name: String = row["name"]
            let state: String = row["state"]
            return WorkerStatus(name: name, address: row["address"], threads: row["threads"], slots: row["slots"],
                                joinedAt: unstored(row["joined_at"]), lastHeartbeat: unstored(row["last_heartbeat"]),
                                state: WorkerStatus.State(rawValue: state) ?? .gone, leases: byWorker[name] ?? [],
                                shardsDone: done[name] ?? 0)
        }
        let jobs = try Row.fetchAll(statement("""
            SELECT j.*, \(Self.progressColumns)
            FROM jobs j ORDER BY j.id
            """)).map(jobStatus)
        return ClusterSnapshot(workers: workers, jobs: jobs)
    }

    /// One job's status, or nil for an unknown id.
    public func job(_ id: JobID) throws -> JobStatus? {
        try Row.fetchOne(statement("""
            SELECT j.*, \(Self.progressColumns)
            FROM jobs j WHERE j.id = ?
            """), arguments: [stored(id)]).map(jobStatus)
    }

    /// A job's submitted payload (for the manifest and for MODEL-GET).
    public func generateJob(_ id: JobID) throws -> GenerateJob {
        guard let row = try Row.fetchOne(statement("SELECT payload, payload_version FROM jobs WHERE id = ?"),
                                         arguments: [stored(id)])
        else { throw StoreError.unknownJob(id) }
        return try decodeJob(row["payload"], version: row["payload_version"], id: Int64(id))
    }

    /// The accepted results of a job's shards, in shard order (for the manifest and the merged summaries).
    public func results(of job: JobID) throws -> [ShardResult] {
        let rows = try Row.fetchAll(statement("""
            SELECT s.*, a.worker AS by_worker FROM shards s
            JOIN attempts a ON a.job_id = s.job_id AND a.shard_idx = s.idx AND a.attempt = s.attempts
            WHERE s.job_id = ? AND s.state = 'done' ORDER BY s.idx
            """), arguments: [stored(job)])
        return try rows.map { row in
            let checksum: Data = row["result_checksum"]
            guard let hash = ContentHash(bytes: [UInt8](checksum)) else {
                throw StoreError.corrupt("job \(job) shard \(row["idx"] as Int) has a checksum of \(checksum.count) bytes")
            }
            let summary: Data = row["summary"]
            let result = GenerateResult(rows: unstored(row["result_rows"]), bytes: unstored(row["result_bytes"]),
                                        checksum: hash, elapsedMilliseconds: unstored(row["result_elapsed_ms"]),
                                        summaryVersion: row["summary_version"], summaries: [UInt8](summary))
            return ShardResult(shard: ShardID(job: job, index: row["idx"]), attempt: row["attempts"],
                               worker: row["by_worker"], firstRow: unstored(row["first_row"]),
                               rowCount: unstored(row["row_count"]), result: result)
        }
    }

    // MARK: Rules

    /// Runs one statement, compiled once per connection (GRDB's statement cache).
    func execute(_ sql: String, _ arguments: StatementArguments = []) throws {
        try db.cachedStatement(sql: sql).execute(arguments: arguments)
    }

    /// A statement compiled once per connection.
    func statement(_ sql: String) throws -> Statement {
        try db.cachedStatement(sql: sql)
    }

    /// The job's lease timeout if `worker` holds `attempt` of `shard` in a running job, else nil (the answer is
    /// stale: duplicate, late, foreign or for an unknown shard).
    private func holder(_ shard: ShardID, attempt: UInt32, worker: String) throws -> Int64? {
        guard shard.job <= UInt64(Int64.max) else { return nil }
        return try Int64.fetchOne(statement("""
            SELECT j.lease_timeout_ms FROM shards s JOIN jobs j ON j.id = s.job_id
            WHERE s.job_id = ? AND s.idx = ? AND j.state = 'running' AND s.state = 'leased' AND s.attempts = ?
                  AND s.worker = ?
            """), arguments: [stored(shard.job), shard.index, attempt, worker])
    }

    /// Counts a stale answer against its job (if the job exists) and returns false.
    private func stale(_ shard: ShardID) throws -> Bool {
        try execute("UPDATE jobs SET stale_answers = stale_answers + 1 WHERE id = ?",
                       [stored(shard.job)])
        return false
    }

    /// Ends leases without a result: each counts as a failed attempt and puts its shard back, or fails its job when
    /// the shard is out of attempts. A lease already ended by an earlier one of them (its job failed) is skipped.
    private func end(_ leases: [LeaseRef], outcome: String, reason: String, now: UInt64) throws -> [LeaseRef] {
        var ended: [LeaseRef] = []
        for lease in leases {
            guard try holder(lease.shard, attempt: lease.attempt, worker: lease.worker) != nil else { continue }
            try endAttempt(lease.shard, attempt: lease.attempt, outcome: outcome, reason: reason, now: now)
            try requeue(lease.shard, attempt: lease.attempt, failing: false, reason: reason, now: now)
            ended.append(lease)
        }
        return ended
    }

    /// Puts a shard whose attempt ended without a result back to pending, counting the failed attempt; fails the
    /// job when `failing` or when the attempt was the last allowed.
    private func requeue(_ shard: ShardID, attempt: UInt32, failing: Bool, reason: String, now: UInt64) throws {
        try execute("""
            UPDATE shards SET state = 'pending', worker = NULL, lease_expires_at = NULL WHERE job_id = ? AND idx = ?
            """, [stored(shard.job), shard.index])
        try execute("UPDATE jobs SET failed_attempts = failed_attempts + 1 WHERE id = ?",
                       [stored(shard.job)])
        let maxAttempts = try Int64.fetchOne(statement("SELECT max_attempts FROM jobs WHERE id = ?"),
                                             arguments: [stored(shard.job)]) ?? 0
        if failing {
            try failJob(shard, reason: reason, now: now)
        } else if Int64(attempt) >= maxAttempts {
            try failJob(shard, reason: "\(reason) on attempt \(attempt) of \(maxAttempts)", now: now)
        }
    }

    /// Fails a running job because of `shard`; its other leases end (abandoned) and their holders are recorded.
    private func failJob(_ shard: ShardID, reason: String, now: UInt64) throws {
        guard try jobState(shard.job) == .running else { return }
        let failure = "shard \(shard.index): \(reason)"
        let holders = try endLeases(ofJob: shard.job, outcome: "abandoned", reason: "job failed", now: now)
        try execute("UPDATE jobs SET state = 'failed', failure = ?, finished_at = ? WHERE id = ?",
                       [failure, stored(now), stored(shard.job)])
        endedJobs.append(JobEnd(job: shard.job, state: .failed, reason: failure, holders: holders))
    }

    /// Ends every lease of a job that is ending (cancel, failure) without counting them; returns their holders.
    private func endLeases(ofJob job: JobID, outcome: String, reason: String, now: UInt64) throws -> Set<String> {
        let held = try leases(sql: "WHERE state = 'leased' AND job_id = ?", arguments: [stored(job)])
        for lease in held {
            try endAttempt(lease.shard, attempt: lease.attempt, outcome: outcome, reason: reason, now: now)
        }
        try execute("""
            UPDATE shards SET state = 'pending', worker = NULL, lease_expires_at = NULL
            WHERE job_id = ? AND state = 'leased'
            """, [stored(job)])
        return Set(held.map(\.worker))
    }

    private func endAttempt(_ shard: ShardID, attempt: UInt32, outcome: String, reason: String?,
                            now: UInt64) throws {
        try execute("""
            UPDATE attempts SET outcome = ?, reason = ?, ended_at = ?
            WHERE job_id = ? AND shard_idx = ? AND attempt = ?
            """, [outcome, reason, stored(now), stored(shard.job), shard.index, attempt])
    }

    /// The leases matching `filter`, which must require `state = 'leased'`: they are found through the partial
    /// index of leased shards (the outstanding ones), not by scanning every shard in key order.
    private func leases(sql filter: String, arguments: StatementArguments) throws -> [LeaseRef] {
        try Row.fetchAll(statement("""
            SELECT job_id, idx, attempts, worker FROM shards INDEXED BY shards_leased \(filter) ORDER BY job_id, idx
            """),
                         arguments: arguments).map { row in
            LeaseRef(shard: ShardID(job: unstored(row["job_id"]), index: row["idx"]), attempt: row["attempts"],
                     worker: row["worker"])
        }
    }

    func jobState(_ job: JobID) throws -> JobState? {
        guard job <= UInt64(Int64.max),
              let raw = try String.fetchOne(statement("SELECT state FROM jobs WHERE id = ?"), arguments: [stored(job)])
        else { return nil }
        guard let state = JobState(rawValue: raw) else { throw StoreError.corrupt("job \(job) has state \(raw)") }
        return state
    }

    /// A job's leased shards and the rows of its done shards, found without reading every shard: the leased ones
    /// through their partial index, and the rows from the count of done shards, which all hold a full shard's
    /// rows but the last one (`ShardPlan`).
    private static let progressColumns = """
        (SELECT COUNT(*) FROM shards s INDEXED BY shards_leased WHERE s.job_id = j.id AND s.state = 'leased') AS leased,
        j.done_shards * j.batch_rows * j.batches_per_shard
            - COALESCE((SELECT j.batch_rows * j.batches_per_shard - s.row_count FROM shards s
                        WHERE s.job_id = j.id AND s.idx = j.shard_count - 1 AND s.state = 'done'), 0) AS rows_done
        """

    /// A job's payload and shard plan, decoded once per store (both never change once the job is stored).
    private func plannedJob(_ id: Int64) throws -> PlannedJob {
        if let cached = plans.job(id) { return cached }
        guard let row = try Row.fetchOne(statement("""
            SELECT payload, payload_version, batch_rows, batches_per_shard FROM jobs WHERE id = ?
            """),
                                         arguments: [id])
        else { throw StoreError.unknownJob(unstored(id)) }
        let job = try decodeJob(row["payload"], version: row["payload_version"], id: id)
        guard let plan = try? ShardPlan(totalRows: job.rows, batchRows: row["batch_rows"],
                                        batchesPerShard: row["batches_per_shard"])
        else { throw StoreError.corrupt("job \(id) does not fit its plan") }
        let planned = PlannedJob(job: job, plan: plan)
        plans.insert(planned, for: id)
        return planned
    }

    private func decodeJob(_ payload: Data, version: Int64, id: Int64) throws -> GenerateJob {
        do {
            return try GenerateJob.decode(kind: GenerateJob.kind, version: UInt16(clamping: version),
                                          payload: [UInt8](payload))
        } catch {
            throw StoreError.corrupt("job \(id)'s payload does not decode: \(error)")
        }
    }

    private func jobStatus(_ row: Row) throws -> JobStatus {
        let id: Int64 = row["id"]
        let raw: String = row["state"]
        guard let state = JobState(rawValue: raw) else { throw StoreError.corrupt("job \(id) has state \(raw)") }
        let hashData: Data = row["model_hash"]
        guard let hash = ContentHash(bytes: [UInt8](hashData)) else {
            throw StoreError.corrupt("job \(id) has a model hash of \(hashData.count) bytes")
        }
        let seed: Int64 = row["seed"]
        let started: Int64? = row["started_at"]
        let finished: Int64? = row["finished_at"]
        return JobStatus(id: JobID(id), kind: JobKind(rawValue: row["kind"]), label: row["label"], state: state,
                         failure: row["failure"], output: row["output"], seed: UInt64(bitPattern: seed),
                         modelHash: hash, rows: unstored(row["rows"]), rowsDone: unstored(row["rows_done"]),
                         shardCount: row["shard_count"], shardsDone: row["done_shards"], shardsLeased: row["leased"],
                         maxAttempts: row["max_attempts"], retries: row["retries"],
                         failedAttempts: row["failed_attempts"], staleAnswers: unstored(row["stale_answers"]),
                         createdAt: unstored(row["created_at"]), startedAt: started.map(unstored),
                         finishedAt: finished.map(unstored))
    }
}

/// A `UInt64` as a SQLite integer, clamped to 2⁶³ − 1.
func stored(_ value: UInt64) -> Int64 { Int64(clamping: value) }

/// A stored non-negative integer as a `UInt64` (negative values, which the store never writes, read as 0).
func unstored(_ value: Int64) -> UInt64 { UInt64(clamping: value) }
