import MimeoWire

/// A job's id: the `u64` job id of the protocol, assigned by the store (1, 2, 3, ...).
public typealias JobID = UInt64

/// One shard of one job.
public struct ShardID: Hashable, Sendable, CustomStringConvertible {
    public var job: JobID
    public var index: Int
    public init(job: JobID, index: Int) {
        self.job = job
        self.index = index
    }
    public var description: String { "job \(job) shard \(index)" }
}

/// The state of a job, as stored.
public enum JobState: String, Sendable, CaseIterable {
    /// Submitted; no shard leased yet.
    case queued
    /// At least one shard was leased.
    case running
    /// Every shard's result was accepted.
    case done
    /// A shard ran out of attempts or failed for good.
    case failed
    /// Cancelled by a client.
    case cancelled

    /// Whether the job has ended (done, failed or cancelled).
    public var isFinished: Bool { self == .done || self == .failed || self == .cancelled }
}

/// A lease granted by `lease(to:now:)`: what the coordinator sends in LEASE.
public struct Lease: Sendable, Equatable {
    public var shard: ShardID
    public var attempt: UInt32
    public var worker: String
    /// Milliseconds (the caller's clock) when the lease expires unless renewed.
    public var expiresAt: UInt64
    public var leaseTimeoutMilliseconds: UInt32
    public var kind: JobKind
    public var payloadVersion: UInt16
    /// The LEASE payload (for kind 1, a `GenerateShard`).
    public var payload: [UInt8]
    /// Rows of the shard (the payload's `rowCount`), which its RESULT must report.
    public var rows: UInt64
}

/// One attempt at one shard held by one worker: a lease that is outstanding, or that ended without a result.
public struct LeaseRef: Sendable, Equatable, Hashable {
    public var shard: ShardID
    public var attempt: UInt32
    public var worker: String
}

/// A job that ended inside a transaction, and the workers still holding its leases then (send them CANCEL).
public struct JobEnd: Sendable, Equatable {
    public var job: JobID
    public var state: JobState
    /// Why it failed, for a failed job.
    public var reason: String?
    /// Workers whose leases of the job were ended by it.
    public var holders: Set<String>
}

/// An accepted result of one shard.
public struct ShardResult: Sendable, Equatable {
    public var shard: ShardID
    public var attempt: UInt32
    public var worker: String
    public var firstRow: UInt64
    public var rowCount: UInt64
    public var result: GenerateResult
}

/// What `recover(now:)` found from the previous run.
public struct Recovery: Sendable, Equatable {
    /// Leases that were outstanding; each is expired and its shard leased again with the next attempt.
    public var endedLeases: [LeaseRef]
    /// Jobs that failed because a recovered shard ran out of attempts.
    public var endedJobs: [JobEnd]
    /// Jobs still queued or running, to resume.
    public var resumedJobs: [JobID]
}

/// A snapshot for `mimeo status`.
public struct ClusterSnapshot: Sendable, Equatable {
    public var workers: [WorkerStatus]
    public var jobs: [JobStatus]
}

/// One worker in a snapshot.
public struct WorkerStatus: Sendable, Equatable {
    public enum State: String, Sendable {
        /// Joined, heartbeating (the coordinator decides unresponsiveness from `lastHeartbeat`).
        case up
        /// Left, declared dead, or from a previous run of the coordinator.
        case gone
    }
    public var name: String
    public var address: String
    public var threads: UInt16
    public var slots: UInt16
    public var joinedAt: UInt64
    public var lastHeartbeat: UInt64
    public var state: State
    /// The attempts it holds now.
    public var leases: [LeaseRef]
    /// Shards whose results from it were accepted.
    public var shardsDone: Int
}

/// One job in a snapshot.
public struct JobStatus: Sendable, Equatable {
    public var id: JobID
    public var kind: JobKind
    public var label: String
    public var state: JobState
    public var failure: String?
    public var output: String
    public var seed: UInt64
    public var modelHash: ContentHash
    public var rows: UInt64
    public var rowsDone: UInt64
    public var shardCount: Int
    public var shardsDone: Int
    public var shardsLeased: Int
    public var maxAttempts: UInt32
    /// Attempts after the first, over all shards.
    public var retries: UInt32
    /// Attempts that ended without a result.
    public var failedAttempts: UInt32
    /// Answers ignored as duplicate, late or foreign.
    public var staleAnswers: UInt64
    public var createdAt: UInt64
    public var startedAt: UInt64?
    public var finishedAt: UInt64?
}

/// Why a store operation could not be done.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The job cannot be planned (zero rows, too many shards, ...).
    case invalidJob(String)
    /// No job with this id.
    case unknownJob(JobID)
    /// A stored row does not decode: the state file was written by something else or damaged.
    case corrupt(String)

    public var description: String {
        switch self {
        case let .invalidJob(reason): "invalid job: \(reason)"
        case let .unknownJob(id): "no job \(id) in the coordinator state"
        case let .corrupt(reason): "the coordinator state is damaged: \(reason)"
        }
    }
}
