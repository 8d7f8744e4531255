/// The coordinator's bookkeeping of one job's shards: who holds which attempt, until when, and what is done
/// (spec: Leases and reliability). A pure state machine: no clock (times are milliseconds passed in), no I/O.
///
/// ```swift
/// var table = LeaseTable<String>(shardCount: 5, maxAttempts: 5, leaseTimeoutMilliseconds: 30_000)
/// let grant = table.lease(to: "w1", now: 0)!          // shard 0, attempt 1
/// table.complete(shard: grant.shard, attempt: grant.attempt, from: "w1")   // .accepted
/// ```
///
/// Rules: a shard is leased for one attempt at a time; attempt numbers only grow; only the attempt that holds
/// the lease may complete or fail it, so duplicate and late answers are `.stale`; a lease expires unless renewed;
/// a shard that runs out of attempts fails the job.
public struct LeaseTable<Worker: Hashable & Sendable>: Sendable {
    /// The state of one shard.
    public enum ShardState: Sendable, Equatable {
        /// Waiting for a worker; `attempts` attempts were made so far.
        case pending(attempts: UInt32)
        /// Attempt `attempt` is leased to `worker` until `expiresAt`.
        case leased(attempt: UInt32, worker: Worker, expiresAt: UInt64)
        /// Attempt `attempt` finished; its result was accepted.
        case done(attempt: UInt32)
    }

    /// A lease to send: shard `shard`, attempt `attempt`, valid until `expiresAt`.
    public struct Grant: Sendable, Equatable {
        public var shard: Int
        public var attempt: UInt32
        public var expiresAt: UInt64
    }

    /// What happened to an answer (RESULT, FAIL or PROGRESS).
    public enum Outcome: Sendable, Equatable {
        /// It was for the current lease and took effect.
        case accepted
        /// It was not for the current lease (duplicate, late, from another worker, or an unknown shard): ignore it
        /// and count it.
        case stale
    }

    /// The job's state.
    public enum JobOutcome: Sendable, Equatable {
        case running
        case completed
        /// Shard `shard` failed for good (out of attempts, or a FAIL that is not retryable).
        case failed(shard: Int, reason: String)
        case cancelled
    }

    public let maxAttempts: UInt32
    public let leaseTimeoutMilliseconds: UInt64
    public private(set) var shards: [ShardState]
    public private(set) var outcome: JobOutcome = .running
    /// Attempts after the first, over all shards.
    public private(set) var retries: UInt32 = 0
    /// Attempts that ended without a result (failed, expired, or lost with their worker).
    public private(set) var failedAttempts: UInt32 = 0
    /// Answers ignored as stale.
    public private(set) var staleAnswers: UInt64 = 0
    /// Shards done so far.
    public private(set) var doneCount = 0
    /// The lowest shard index that may be pending; shards below it are leased or done.
    private var nextPending = 0

    /// A table for `shardCount` shards, all pending.
    public init(shardCount: Int, maxAttempts: UInt32, leaseTimeoutMilliseconds: UInt64) {
        self.maxAttempts = max(1, maxAttempts)
        self.leaseTimeoutMilliseconds = max(1, leaseTimeoutMilliseconds)
        shards = Array(repeating: .pending(attempts: 0), count: max(0, shardCount))
        if shards.isEmpty { outcome = .completed }
    }

    /// Shards leased now.
    public var leasedCount: Int { shards.count { if case .leased = $0 { true } else { false } } }

    /// Leases the lowest pending shard to `worker`, or nil when none is pending or the job has ended.
    public mutating func lease(to worker: Worker, now: UInt64) -> Grant? {
        guard outcome == .running else { return nil }
        while nextPending < shards.count {
            if case let .pending(attempts) = shards[nextPending] {
                let attempt = attempts + 1
                if attempt > 1 { retries += 1 }
                let expiresAt = now.addingReportingOverflow(leaseTimeoutMilliseconds)
                let expiry = expiresAt.overflow ? UInt64.max : expiresAt.partialValue
                shards[nextPending] = .leased(attempt: attempt, worker: worker, expiresAt: expiry)
                defer { nextPending += 1 }
                return Grant(shard: nextPending, attempt: attempt, expiresAt: expiry)
            }
            nextPending += 1
        }
        return nil
    }

    /// PROGRESS: renews the lease of `attempt` at `shard` if `worker` holds it.
    @discardableResult
    public mutating func renew(shard: Int, attempt: UInt32, from worker: Worker, now: UInt64) -> Outcome {
        guard holds(shard: shard, attempt: attempt, worker: worker) else { return stale() }
        let expiresAt = now.addingReportingOverflow(leaseTimeoutMilliseconds)
        shards[shard] = .leased(attempt: attempt, worker: worker,
                                expiresAt: expiresAt.overflow ? UInt64.max : expiresAt.partialValue)
        return .accepted
    }

    /// RESULT: the attempt finished. Accepted only from the worker holding that attempt's lease.
    @discardableResult
    public mutating func complete(shard: Int, attempt: UInt32, from worker: Worker) -> Outcome {
        guard holds(shard: shard, attempt: attempt, worker: worker) else { return stale() }
        shards[shard] = .done(attempt: attempt)
        doneCount += 1
        if doneCount == shards.count { outcome = .completed }
        return .accepted
    }

    /// FAIL: the attempt failed. A retryable failure puts the shard back (or fails the job when it is out of
    /// attempts); any other fails the job.
    @discardableResult
    public mutating func fail(shard: Int, attempt: UInt32, from worker: Worker, isRetryable: Bool,
                              reason: String) -> Outcome {
        guard holds(shard: shard, attempt: attempt, worker: worker) else { return stale() }
        failedAttempts += 1
        if isRetryable {
            requeue(shard, attempt: attempt, reason: reason)
        } else {
            shards[shard] = .pending(attempts: attempt)
            outcome = .failed(shard: shard, reason: reason)
        }
        return .accepted
    }

    /// Expires every lease whose time is up at `now`; returns the shards that were put back (or that failed
    /// the job by running out of attempts).
    public mutating func expire(now: UInt64) -> [Int] {
        var expired: [Int] = []
        for index in shards.indices {
            if case let .leased(attempt, _, expiresAt) = shards[index], expiresAt <= now {
                failedAttempts += 1
                requeue(index, attempt: attempt, reason: "lease expired")
                expired.append(index)
            }
        }
        return expired
    }

    /// The worker died or left: every lease it holds ends now, as if expired. Returns those shards.
    public mutating func release(worker: Worker) -> [Int] {
        var released: [Int] = []
        for index in shards.indices {
            if case let .leased(attempt, holder, _) = shards[index], holder == worker {
                failedAttempts += 1
                requeue(index, attempt: attempt, reason: "worker lost")
                released.append(index)
            }
        }
        return released
    }

    /// Cancels the job. Returns the workers holding leases (to be sent CANCEL); later answers are stale.
    public mutating func cancel() -> Set<Worker> {
        var holders = Set<Worker>()
        for index in shards.indices {
            if case let .leased(attempt, worker, _) = shards[index] {
                holders.insert(worker)
                shards[index] = .pending(attempts: attempt)
            }
        }
        if outcome == .running { outcome = .cancelled }
        return holders
    }

    private func holds(shard: Int, attempt: UInt32, worker: Worker) -> Bool {
        guard outcome == .running, shard >= 0, shard < shards.count,
              case let .leased(current, holder, _) = shards[shard] else { return false }
        return current == attempt && holder == worker
    }

    private mutating func stale() -> Outcome {
        staleAnswers += 1
        return .stale
    }

    private mutating func requeue(_ shard: Int, attempt: UInt32, reason: String) {
        shards[shard] = .pending(attempts: attempt)
        if attempt >= maxAttempts {
            if outcome == .running {
                outcome = .failed(shard: shard, reason: "\(reason) on attempt \(attempt) of \(maxAttempts)")
            }
        } else {
            nextPending = min(nextPending, shard)
        }
    }
}
