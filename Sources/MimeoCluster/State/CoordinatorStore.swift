import GRDB
import MimeoWire
import Synchronization

/// The coordinator's durable state: jobs, shards, leases, attempts, results and workers in one SQLite file
/// (docs/cluster-state.md).
///
/// Every operation is a transaction that is committed before it returns, so the coordinator replies on the wire only
/// about state that survives a SIGKILL. The poll loop groups one pass's operations into one transaction with
/// `write(_:)` (group commit), then sends the replies.
///
/// ```swift
/// let store = try CoordinatorStore(path: "coordinator.db")
/// _ = try store.recover(now: clock())                          // leases of a previous run expire
/// let job = try store.submit(generateJob, now: clock())
/// let replies = try store.write { tx in                         // one poll-loop pass, one commit
///     try tx.lease(to: "w1", now: clock())
/// }
/// ```
///
/// The rules are those of `LeaseTable` (spec: Leases and reliability): one attempt leased at a time, attempt numbers
/// only grow, only the holder of the current attempt may renew, complete or fail it, a lease expires unless
/// renewed, and a shard out of attempts fails its job.
public final class CoordinatorStore: Sendable {
    /// How hard a commit tries to reach the disk.
    public enum Durability: String, Sendable {
        /// `synchronous=FULL`: the WAL is synced at every commit; a committed transaction survives a SIGKILL and a
        /// power loss. The default.
        case full
        /// `synchronous=NORMAL`: the WAL is synced only at checkpoints; a committed transaction survives a SIGKILL
        /// but the last ones may be lost with power.
        case normal
    }

    /// Settings of a store.
    public struct Options: Sendable {
        public var durability: Durability
        /// The lease timeout of new jobs (spec default 30,000 ms).
        public var leaseTimeoutMilliseconds: UInt32
        /// Attempts per shard of a job that leaves it to the coordinator (spec default 5).
        public var defaultMaxAttempts: UInt32
        /// Rows per sampler batch (`Sampler.batchSize`).
        public var batchRows: UInt32

        public init(durability: Durability = .full, leaseTimeoutMilliseconds: UInt32 = 30_000,
                    defaultMaxAttempts: UInt32 = 5, batchRows: UInt32 = 4_096) {
            self.durability = durability
            self.leaseTimeoutMilliseconds = max(1, leaseTimeoutMilliseconds)
            self.defaultMaxAttempts = max(1, defaultMaxAttempts)
            self.batchRows = max(1, batchRows)
        }
    }

    public let path: String
    public let options: Options
    private let queue: DatabaseQueue
    private let plans = JobPlanCache()

    /// Opens (creating if needed) the state file at `path` and brings its schema up to date.
    ///
    /// - Throws: GRDB's `DatabaseError` when the file cannot be opened, is not a SQLite database, or its schema is
    ///   newer than this coordinator knows.
    public init(path: String, options: Options = Options()) throws {
        self.path = path
        self.options = options
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.label = "mimeo-coordinator-state"
        let synchronous = options.durability == .full ? "FULL" : "NORMAL"
        // WAL is set here rather than with `Configuration.journalMode`, which would also force synchronous=NORMAL.
        configuration.prepareDatabase { db in
            let mode = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
            guard mode?.lowercased() == "wal" else {
                throw StoreError.corrupt("the state file cannot use write-ahead logging (journal mode \(mode ?? "?"))")
            }
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
            // 64 MiB of page cache (the default is 2 MiB): a pass that stores hundreds of results with summaries of
            // tens of KB each touches thousands of pages, which would otherwise be read back from the file.
            try db.execute(sql: "PRAGMA cache_size = -65536")
        }
        queue = try DatabaseQueue(path: path, configuration: configuration)
        let migrator = StoreSchema.migrator
        if try queue.read({ try migrator.hasBeenSuperseded($0) }) {
            throw StoreError.corrupt("\(path) was written by a newer coordinator (unknown schema migrations)")
        }
        try migrator.migrate(queue)
    }

    /// Runs `body` in one transaction and commits it before returning: group commit, one per poll-loop pass.
    /// If `body` throws, nothing of it is kept.
    public func write<T>(_ body: (StoreTransaction) throws -> T) throws -> T {
        do {
            return try queue.write { db in try body(StoreTransaction(db: db, options: options, plans: plans)) }
        } catch {
            // A rolled-back submission may have been planned and cached under an id the next one reuses.
            plans.removeAll()
            throw error
        }
    }

    /// Reads a consistent snapshot.
    public func read<T>(_ body: (StoreTransaction) throws -> T) throws -> T {
        try queue.read { db in try body(StoreTransaction(db: db, options: options, plans: plans)) }
    }

    /// Stores a generation job and plans its shards; commit before answering ACCEPTED.
    public func submit(_ job: GenerateJob, label: String = "", now: UInt64) throws -> JobID {
        try write { try $0.submit(job, label: label, now: now) }
    }

    /// Leases the next pending shard to `worker`; commit before sending LEASE.
    public func lease(to worker: String, now: UInt64) throws -> Lease? {
        try write { try $0.lease(to: worker, now: now) }
    }

    /// PROGRESS: renews the lease if `worker` holds `attempt` of `shard`.
    @discardableResult
    public func renew(shard: ShardID, attempt: UInt32, from worker: String, now: UInt64) throws -> Bool {
        try write { try $0.renew(shard: shard, attempt: attempt, from: worker, now: now) }
    }

    /// RESULT: stores the result if it is for the current lease; returns whether it counted.
    @discardableResult
    public func complete(shard: ShardID, attempt: UInt32, from worker: String, result: GenerateResult,
                         now: UInt64) throws -> Bool {
        try write { try $0.complete(shard: shard, attempt: attempt, from: worker, result: result, now: now) }
    }

    /// FAIL: ends the current attempt; returns whether it counted.
    @discardableResult
    public func fail(shard: ShardID, attempt: UInt32, from worker: String, retryable: Bool, reason: String,
                     now: UInt64) throws -> Bool {
        try write {
            try $0.fail(shard: shard, attempt: attempt, from: worker, retryable: retryable, reason: reason, now: now)
        }
    }

    /// Expires every lease whose time is up; returns them.
    public func expire(now: UInt64) throws -> [LeaseRef] {
        try write { try $0.expire(now: now) }
    }

    /// Cancels a job; returns the workers that held its leases (send them CANCEL).
    public func cancel(job: JobID, now: UInt64) throws -> Set<String> {
        try write { try $0.cancel(job: job, now: now) }
    }

    /// At start-up: every lease of the previous run expires (its worker must join again) and every worker is gone.
    public func recover(now: UInt64) throws -> Recovery {
        try write { try $0.recover(now: now) }
    }

    /// Workers and jobs with progress, for `mimeo status`.
    public func status() throws -> ClusterSnapshot {
        try read { try $0.status() }
    }
}

/// A job's decoded payload and its shard plan.
struct PlannedJob: Sendable {
    var job: GenerateJob
    var plan: ShardPlan
}

/// The planned jobs a store has leased from, by job id, so that a lease neither reads nor decodes the job's payload.
final class JobPlanCache: Sendable {
    private let jobs = Mutex<[Int64: PlannedJob]>([:])

    func job(_ id: Int64) -> PlannedJob? { jobs.withLock { $0[id] } }

    func insert(_ job: PlannedJob, for id: Int64) {
        jobs.withLock { cache in
            if cache.count >= 1_024 { cache.removeAll() }
            cache[id] = job
        }
    }

    func removeAll() { jobs.withLock { $0.removeAll() } }
}
