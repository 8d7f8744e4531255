/// One 1/MWP message: a command and its fields (spec: Commands). `FrameCodec` turns it into frames and back.
///
/// ```swift
/// let frames = FrameCodec.encode(.ask(Ask(slots: 2)))
/// let message = try FrameCodec.decode(frames: frames)   // .ask(Ask(slots: 2))
/// ```
public enum WireMessage: Sendable, Equatable {
    case ready(Ready)
    case welcome(Welcome)
    case heartbeat
    case ask(Ask)
    case lease(Lease)
    case progress(Progress)
    case result(ShardResult)
    case fail(Failure)
    case cancel(Cancel)
    case modelGet(ModelGet)
    case modelChunk(ModelChunk)
    case submit(Submit)
    case accepted(Accepted)
    case status(StatusQuery)
    case statusReply(StatusSnapshot)
    case done(JobDone)
    case error(ErrorReply)
    case disconnect
    case jobDetail(JobDetailQuery)
    case jobDetailReply(JobDetail)

    /// The command of this message.
    public var command: WireCommand {
        switch self {
        case .ready: .ready
        case .welcome: .welcome
        case .heartbeat: .heartbeat
        case .ask: .ask
        case .lease: .lease
        case .progress: .progress
        case .result: .result
        case .fail: .fail
        case .cancel: .cancel
        case .modelGet: .modelGet
        case .modelChunk: .modelChunk
        case .submit: .submit
        case .accepted: .accepted
        case .status: .status
        case .statusReply: .statusReply
        case .done: .done
        case .error: .error
        case .disconnect: .disconnect
        case .jobDetail: .jobDetail
        case .jobDetailReply: .jobDetailReply
        }
    }
}

/// A job kind: which work a job, lease and result payload describe (spec: Job kinds).
public struct JobKind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// 1: sharded generation (spec: Job kind 1, generate).
    public static let generate = JobKind(rawValue: 1)
    /// 2: federated or data-parallel training, in phases (spec: Job kind 2, train).
    public static let train = JobKind(rawValue: 2)
    /// 3: reserved and unused (the analysis of a training run is a phase of kind 2).
    public static let reserved3 = JobKind(rawValue: 3)

    public var description: String { String(rawValue) }
}

/// A job kind and the highest payload version of it a worker runs.
public struct JobKindSupport: Hashable, Sendable {
    public var kind: JobKind
    public var version: UInt16
    public init(kind: JobKind, version: UInt16) {
        self.kind = kind
        self.version = version
    }
}

/// READY (spec: READY): a worker joins.
public struct Ready: Sendable, Equatable {
    /// The worker's protocol minor version.
    public var minor: UInt16
    /// The worker's name (`--name`), for logs and status.
    public var name: String
    /// The worker's software and version, for logs.
    public var software: String
    /// Threads the worker runs one lease with.
    public var threads: UInt16
    /// Leases the worker can hold at once.
    public var slots: UInt16
    /// The job kinds and payload versions the worker runs.
    public var kinds: [JobKindSupport]
    /// Free-form labels (for example a site name), shown by status.
    public var labels: [String: String]

    public init(minor: UInt16 = ProtocolVersion.minor, name: String, software: String, threads: UInt16, slots: UInt16,
                kinds: [JobKindSupport], labels: [String: String] = [:]) {
        self.minor = minor
        self.name = name
        self.software = software
        self.threads = threads
        self.slots = slots
        self.kinds = kinds
        self.labels = labels
    }
}

/// WELCOME (spec: WELCOME): the coordinator accepts a worker and sets the timing both sides use.
public struct Welcome: Sendable, Equatable {
    public var minor: UInt16
    /// The number the coordinator gave this worker; status shows it.
    public var workerID: UInt64
    public var heartbeatIntervalMilliseconds: UInt32
    public var heartbeatLiveness: UInt16
    public var leaseTimeoutMilliseconds: UInt32
    /// The chunk size the coordinator serves models in; MODEL-GET asks for at most this.
    public var chunkBytes: UInt32

    public init(minor: UInt16 = ProtocolVersion.minor, workerID: UInt64,
                heartbeatIntervalMilliseconds: UInt32 = ProtocolVersion.heartbeatIntervalMilliseconds,
                heartbeatLiveness: UInt16 = ProtocolVersion.heartbeatLiveness,
                leaseTimeoutMilliseconds: UInt32 = ProtocolVersion.leaseTimeoutMilliseconds,
                chunkBytes: UInt32 = ProtocolVersion.defaultChunkBytes) {
        self.minor = minor
        self.workerID = workerID
        self.heartbeatIntervalMilliseconds = heartbeatIntervalMilliseconds
        self.heartbeatLiveness = heartbeatLiveness
        self.leaseTimeoutMilliseconds = leaseTimeoutMilliseconds
        self.chunkBytes = chunkBytes
    }
}

/// ASK (spec: ASK): the worker has `slots` free slots.
public struct Ask: Sendable, Equatable {
    public var slots: UInt16
    public init(slots: UInt16) { self.slots = slots }
}

/// Names one attempt at one shard of one job.
public struct AttemptID: Hashable, Sendable {
    public var job: UInt64
    /// The shard index, from 0.
    public var shard: UInt32
    /// The attempt number, from 1; a shard leased again gets the next number.
    public var attempt: UInt32
    public init(job: UInt64, shard: UInt32, attempt: UInt32) {
        self.job = job
        self.shard = shard
        self.attempt = attempt
    }
}

/// LEASE (spec: LEASE): one attempt at one shard, with its job payload in frame 4.
public struct Lease: Sendable, Equatable {
    public var id: AttemptID
    public var kind: JobKind
    /// The payload's version for this kind.
    public var version: UInt16
    /// The lease expires unless renewed by PROGRESS within this time.
    public var timeoutMilliseconds: UInt32
    /// The job kind's payload (for `.generate`, a `GenerateShard`).
    public var payload: [UInt8]

    public init(id: AttemptID, kind: JobKind, version: UInt16, timeoutMilliseconds: UInt32, payload: [UInt8]) {
        self.id = id
        self.kind = kind
        self.version = version
        self.timeoutMilliseconds = timeoutMilliseconds
        self.payload = payload
    }

    /// A lease carrying a typed payload.
    public init<P: JobPayload>(id: AttemptID, timeoutMilliseconds: UInt32 = ProtocolVersion.leaseTimeoutMilliseconds,
                               work: P) {
        self.init(id: id, kind: P.kind, version: work.payloadVersion, timeoutMilliseconds: timeoutMilliseconds,
                  payload: work.encoded())
    }

    /// Decodes the payload as `P`; throws `unsupportedPayload` for another kind or version.
    public func work<P: JobPayload>(as type: P.Type) throws(WireError) -> P {
        try P.decode(kind: kind, version: version, payload: payload)
    }
}

/// PROGRESS (spec: PROGRESS): `done` of `total` units (rows for generation) of an attempt; renews its lease.
public struct Progress: Sendable, Equatable {
    public var id: AttemptID
    public var done: UInt64
    public var total: UInt64
    public init(id: AttemptID, done: UInt64, total: UInt64) {
        self.id = id
        self.done = done
        self.total = total
    }
}

/// RESULT (spec: RESULT): an attempt finished; the job kind's result payload is in frame 4.
public struct ShardResult: Sendable, Equatable {
    public var id: AttemptID
    public var kind: JobKind
    public var version: UInt16
    /// The job kind's result payload (for `.generate`, a `GenerateResult`).
    public var payload: [UInt8]

    public init(id: AttemptID, kind: JobKind, version: UInt16, payload: [UInt8]) {
        self.id = id
        self.kind = kind
        self.version = version
        self.payload = payload
    }

    /// A result carrying a typed payload.
    public init<P: JobPayload>(id: AttemptID, work: P) {
        self.init(id: id, kind: P.kind, version: work.payloadVersion, payload: work.encoded())
    }

    /// Decodes the payload as `P`; throws `unsupportedPayload` for another kind or version.
    public func work<P: JobPayload>(as type: P.Type) throws(WireError) -> P {
        try P.decode(kind: kind, version: version, payload: payload)
    }
}

/// FAIL (spec: FAIL): an attempt failed.
public struct Failure: Sendable, Equatable {
    public var id: AttemptID
    public var code: ErrorCode
    /// Whether another attempt, on any worker, may succeed.
    public var isRetryable: Bool
    public var message: String
    public init(id: AttemptID, code: ErrorCode, isRetryable: Bool, message: String) {
        self.id = id
        self.code = code
        self.isRetryable = isRetryable
        self.message = message
    }
}

/// CANCEL (spec: CANCEL): cancel a job.
public struct Cancel: Sendable, Equatable {
    public var job: UInt64
    public init(job: UInt64) { self.job = job }
}

/// MODEL-GET (spec: MODEL-GET): ask for `length` bytes at `offset` of the model with this hash.
public struct ModelGet: Sendable, Equatable {
    public var hash: ContentHash
    public var offset: UInt64
    /// From 1 to `maxChunkBytes`.
    public var length: UInt32
    public init(hash: ContentHash, offset: UInt64, length: UInt32) {
        self.hash = hash
        self.offset = offset
        self.length = length
    }
}

/// MODEL-CHUNK (spec: MODEL-CHUNK): bytes `offset ..< offset + data.count` of a model of `total` bytes.
public struct ModelChunk: Sendable, Equatable {
    public var hash: ContentHash
    public var offset: UInt64
    public var total: UInt64
    /// Frame 4; its length is also in the body.
    public var data: [UInt8]
    public init(hash: ContentHash, offset: UInt64, total: UInt64, data: [UInt8]) {
        self.hash = hash
        self.offset = offset
        self.total = total
        self.data = data
    }
}

/// SUBMIT (spec: SUBMIT): a client submits a job; the job kind's submit payload is in frame 4.
public struct Submit: Sendable, Equatable {
    /// Chosen by the client; ACCEPTED carries it back.
    public var request: UInt64
    public var kind: JobKind
    public var version: UInt16
    /// A name for status and logs.
    public var label: String
    /// The job kind's submit payload (for `.generate`, a `GenerateJob`).
    public var payload: [UInt8]

    public init(request: UInt64, kind: JobKind, version: UInt16, label: String, payload: [UInt8]) {
        self.request = request
        self.kind = kind
        self.version = version
        self.label = label
        self.payload = payload
    }

    /// A submission carrying a typed payload.
    public init<P: JobPayload>(request: UInt64, label: String, work: P) {
        self.init(request: request, kind: P.kind, version: work.payloadVersion, label: label, payload: work.encoded())
    }

    /// Decodes the payload as `P`; throws `unsupportedPayload` for another kind or version.
    public func work<P: JobPayload>(as type: P.Type) throws(WireError) -> P {
        try P.decode(kind: kind, version: version, payload: payload)
    }
}

/// ACCEPTED (spec: ACCEPTED): the job of request `request` is stored as job `job`.
public struct Accepted: Sendable, Equatable {
    public var request: UInt64
    public var job: UInt64
    public init(request: UInt64, job: UInt64) {
        self.request = request
        self.job = job
    }
}

/// STATUS (spec: STATUS): ask for a snapshot of every worker and of job `job` (0: every job).
public struct StatusQuery: Sendable, Equatable {
    public var job: UInt64
    public init(job: UInt64 = 0) { self.job = job }
}

/// A worker's state in a status snapshot.
public enum WorkerState: UInt8, Sendable, CaseIterable {
    /// Joined, holds no lease.
    case idle = 1
    /// Holds at least one lease.
    case busy = 2
    /// Missed heartbeats; its leases will expire.
    case unresponsive = 3
}

/// A job's state.
public enum JobState: UInt8, Sendable, CaseIterable {
    case queued = 1
    case running = 2
    case completed = 3
    case failed = 4
    case cancelled = 5
}

/// One worker in a status snapshot.
public struct WorkerStatus: Sendable, Equatable {
    public var workerID: UInt64
    public var name: String
    /// The worker's address as the coordinator sees it (for example `tcp://127.0.0.2:41234`), or empty.
    public var address: String
    public var state: WorkerState
    /// Milliseconds since the coordinator last heard from the worker.
    public var lastHeardMilliseconds: UInt32
    public var threads: UInt16
    public var slots: UInt16
    /// The attempts the worker holds.
    public var leases: [AttemptID]
    /// Units (rows) per second over the last interval.
    public var unitsPerSecond: UInt64
    public var shardsDone: UInt64

    public init(workerID: UInt64, name: String, address: String, state: WorkerState, lastHeardMilliseconds: UInt32,
                threads: UInt16, slots: UInt16, leases: [AttemptID], unitsPerSecond: UInt64, shardsDone: UInt64) {
        self.workerID = workerID
        self.name = name
        self.address = address
        self.state = state
        self.lastHeardMilliseconds = lastHeardMilliseconds
        self.threads = threads
        self.slots = slots
        self.leases = leases
        self.unitsPerSecond = unitsPerSecond
        self.shardsDone = shardsDone
    }
}

/// One job in a status snapshot.
public struct JobStatus: Sendable, Equatable {
    public var job: UInt64
    public var kind: JobKind
    public var state: JobState
    public var label: String
    public var shards: UInt32
    public var shardsDone: UInt32
    public var shardsLeased: UInt32
    /// Units (rows) in the job, and done so far.
    public var unitsTotal: UInt64
    public var unitsDone: UInt64
    public var unitsPerSecond: UInt64
    /// Attempts after the first, over all shards.
    public var retries: UInt32
    public var failedAttempts: UInt32
    /// Milliseconds since the Unix epoch when the first lease went out; 0 before.
    public var startedAt: UInt64
    public var elapsedMilliseconds: UInt64

    public init(job: UInt64, kind: JobKind, state: JobState, label: String, shards: UInt32, shardsDone: UInt32,
                shardsLeased: UInt32, unitsTotal: UInt64, unitsDone: UInt64, unitsPerSecond: UInt64, retries: UInt32,
                failedAttempts: UInt32, startedAt: UInt64, elapsedMilliseconds: UInt64) {
        self.job = job
        self.kind = kind
        self.state = state
        self.label = label
        self.shards = shards
        self.shardsDone = shardsDone
        self.shardsLeased = shardsLeased
        self.unitsTotal = unitsTotal
        self.unitsDone = unitsDone
        self.unitsPerSecond = unitsPerSecond
        self.retries = retries
        self.failedAttempts = failedAttempts
        self.startedAt = startedAt
        self.elapsedMilliseconds = elapsedMilliseconds
    }
}

/// STATUS-REPLY (spec: STATUS-REPLY): workers and jobs at `time` (milliseconds since the Unix epoch).
public struct StatusSnapshot: Sendable, Equatable {
    public var time: UInt64
    public var workers: [WorkerStatus]
    public var jobs: [JobStatus]
    public init(time: UInt64, workers: [WorkerStatus], jobs: [JobStatus]) {
        self.time = time
        self.workers = workers
        self.jobs = jobs
    }
}

/// DONE (spec: DONE): job `job` ended in `state` (completed, failed or cancelled).
public struct JobDone: Sendable, Equatable {
    public var job: UInt64
    public var state: JobState
    public var code: ErrorCode
    public var message: String
    public init(job: UInt64, state: JobState, code: ErrorCode, message: String) {
        self.job = job
        self.state = state
        self.code = code
        self.message = message
    }
}

/// ERROR (spec: ERROR): a refusal. Its layout is the same in every major version.
public struct ErrorReply: Sendable, Equatable {
    public var code: ErrorCode
    /// The command refused, or 0 when it could not be read.
    public var command: UInt8
    public var message: String
    public init(code: ErrorCode, command: UInt8, message: String) {
        self.code = code
        self.command = command
        self.message = message
    }
}
