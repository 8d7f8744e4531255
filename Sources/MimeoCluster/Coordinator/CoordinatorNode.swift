import Foundation
import Logging
import MimeoObservability
import MimeoWire
import MimeoZMQ
import Synchronization

/// Settings of a coordinator (`mimeo coordinator`).
public struct CoordinatorConfiguration: Sendable {
    /// Where to bind, for example `tcp://127.0.0.1:5570` (`tcp://127.0.0.1:*` picks a free port).
    public var endpoint: String
    /// The SQLite state file (`--state`).
    public var statePath: String
    /// The folder of models the coordinator serves; default `<state>.models`.
    public var modelsPath: String?
    /// CURVE keys and the allow-list; nil runs in plaintext.
    public var curve: CurveServerKeys?
    public var heartbeatIntervalMilliseconds: UInt32 = ProtocolVersion.heartbeatIntervalMilliseconds
    public var heartbeatLiveness: UInt16 = ProtocolVersion.heartbeatLiveness
    public var leaseTimeoutMilliseconds: UInt32 = ProtocolVersion.leaseTimeoutMilliseconds
    public var chunkBytes: UInt32 = ProtocolVersion.defaultChunkBytes
    public var durability: CoordinatorStore.Durability = .full
    /// Whether to write `_manifest.json` into a finished job's output folder.
    public var writesManifests = true
    /// Where to serve Prometheus metrics over HTTP (`host:port`, `GET /metrics`); nil serves none.
    public var metricsAddress: String?

    public init(endpoint: String, statePath: String) {
        self.endpoint = endpoint
        self.statePath = statePath
    }

    /// The model folder in use.
    public var resolvedModelsPath: String { modelsPath ?? statePath + ".models" }
}

/// Counts of what a coordinator did, for status, logs, metrics and tests.
public struct CoordinatorCounters: Sendable, Equatable {
    public var messagesIn: UInt64 = 0
    public var messagesOut: UInt64 = 0
    /// Messages dropped undecoded, by reason (`malformed`, `version`, `unknown-command`, `oversized`, `refused`).
    public var dropped: [String: UInt64] = [:]
    /// Messages that could not be sent (peer gone or its queue full).
    public var sendFailures: UInt64 = 0
    public var leasesSent: UInt64 = 0
    public var resultsAccepted: UInt64 = 0
    public var staleAnswers: UInt64 = 0
    public var leasesExpired: UInt64 = 0
    public var workersLost: UInt64 = 0
    public var rowsDone: UInt64 = 0
    public var workersUp: Int = 0
    /// Sum and count of lease round trips (LEASE sent to RESULT accepted), in milliseconds.
    public var roundTripMillisecondsTotal: UInt64 = 0
    /// Poll-loop passes, each one store transaction (one commit).
    public var passes: UInt64 = 0

    public var droppedTotal: UInt64 { dropped.values.reduce(0, +) }

    /// Adds the counts of one pass (`workersUp` is a level, so it is replaced).
    mutating func add(_ delta: CoordinatorCounters) {
        messagesIn += delta.messagesIn
        messagesOut += delta.messagesOut
        for (reason, count) in delta.dropped { dropped[reason, default: 0] += count }
        sendFailures += delta.sendFailures
        leasesSent += delta.leasesSent
        resultsAccepted += delta.resultsAccepted
        staleAnswers += delta.staleAnswers
        leasesExpired += delta.leasesExpired
        workersLost += delta.workersLost
        rowsDone += delta.rowsDone
        roundTripMillisecondsTotal += delta.roundTripMillisecondsTotal
        passes += delta.passes
        workersUp = delta.workersUp
    }
}

/// The coordinator: binds one ROUTER socket, keeps jobs, shards, leases and results in its `CoordinatorStore`,
/// hands shards to workers that ask, serves models, answers status queries (docs/protocol/mwp-1.md;
/// docs/cluster.md).
///
/// ```swift
/// let coordinator = CoordinatorNode(configuration: .init(endpoint: "tcp://127.0.0.1:5570", statePath: "c.db"))
/// try coordinator.run(stop: stop) { endpoint in print("listening on", endpoint) }
/// ```
///
/// Everything runs on the thread that calls `run`: one poll loop, one socket, no locks but the counters'. Each pass
/// takes every waiting message, applies them and the timers in one store transaction, commits, and only then sends
/// the replies, so nothing is acknowledged before it is durable.
public final class CoordinatorNode: Sendable {
    public let configuration: CoordinatorConfiguration
    private let logger: Logger
    private let sharedCounters = Mutex(CoordinatorCounters())

    public init(configuration: CoordinatorConfiguration, logger: Logger = Logger(label: "mimeo.coordinator")) {
        self.configuration = configuration
        self.logger = logger
    }

    /// A copy of the counters (safe from any thread).
    public var counters: CoordinatorCounters { sharedCounters.withLock { $0 } }

    /// Binds, recovers the state file, and serves until `stop` is set; `onListening` gets the bound endpoint.
    ///
    /// - Throws: `ClusterError` or the underlying error when the socket cannot be bound or the state file cannot
    ///   be opened or written (the loop stops: a coordinator that cannot store cannot promise anything).
    public func run(stop: StopSignal, onListening: (String) -> Void = { _ in }) throws {
        let context = try ZMQContext()
        defer { context.shutdown() }
        var zap: ZAPHandler?
        if let curve = configuration.curve {
            let logger = self.logger
            zap = try ZAPHandler(context: context, allowList: curve.allowList) { refusal in
                logger.warning("connection refused", metadata: [
                    "address": "\(refusal.request?.address ?? "?")",
                    "key": "\(refusal.request?.clientKey?.z85 ?? "none")", "reason": "\(refusal.reason)",
                ])
            }
        }
        defer { zap?.stop() }
        let socket = try context.makeSocket(.router)
        defer { socket.close() }
        try socket.setRouterMandatory(true)
        try socket.setMaxMessageSize(Int64(ProtocolVersion.maxBulkBytes))
        try socket.setHighWaterMarks(send: 200_000, receive: 200_000)
        if let curve = configuration.curve { try socket.makeCurveServer(secretKey: curve.keyPair.secretKey) }
        do {
            try socket.bind(configuration.endpoint)
        } catch {
            throw ClusterError("cannot bind \(configuration.endpoint): \(error)")
        }
        let bound = (try? socket.lastEndpoint()) ?? configuration.endpoint

        let store = try CoordinatorStore(path: configuration.statePath, options: .init(
            durability: configuration.durability, leaseTimeoutMilliseconds: configuration.leaseTimeoutMilliseconds))
        let blobs = try BlobStore(root: configuration.resolvedModelsPath)
        let metrics = configuration.metricsAddress == nil ? nil : ClusterMetrics()
        var metricsEndpoint: MetricsEndpoint?
        if let address = configuration.metricsAddress {
            do {
                metricsEndpoint = try MetricsEndpoint(context: context, address: address)
            } catch {
                throw ClusterError("cannot serve metrics on \(address): \(error)")
            }
        }
        defer { metricsEndpoint?.close() }
        var loop = CoordinatorLoop(configuration: configuration, store: store, blobs: blobs, logger: logger,
                                   metrics: metrics)
        try loop.recover()
        logger.info("coordinator listening", metadata: [
            "endpoint": "\(bound)", "state": "\(configuration.statePath)",
            "security": "\(configuration.curve == nil ? "plaintext" : "curve")",
        ])
        if let metricsEndpoint { logger.info("metrics served", metadata: ["url": "http://\(metricsEndpoint.endpoint.replacingOccurrences(of: "tcp://", with: ""))/metrics"]) }
        onListening(bound)

        let poller = ZMQPoller()
        poller.register(socket)
        if let metricsEndpoint { poller.register(metricsEndpoint.socket) }
        while !stop.isStopped {
            let events = try poller.poll(timeout: .milliseconds(Int(loop.pollTimeoutMilliseconds)))
            if let metricsEndpoint, let metrics, events.count > 1, !events[1].isEmpty {
                try metricsEndpoint.serveReadable { metrics.exposition() }
            }
            var incoming: [(frames: [[UInt8]], peerAddress: String?)] = []
            while incoming.count < 8_192, let message = try socket.receiveMessage(maxFrames: ProtocolVersion.maxFrames + 1) {
                incoming.append(message)
            }
            let outgoing = try loop.pass(incoming)
            let delta = loop.takeCounters()
            sharedCounters.withLock { $0.add(delta) }
            // Manifests before replies: a client told "completed" finds the manifest in place.
            loop.afterCommit()
            send(outgoing, on: socket, metrics: metrics)
        }
        send(loop.shutdownMessages(), on: socket, metrics: metrics)
        if !loop.fidelityWriters.wait(timeout: .seconds(120)) {
            logger.warning("stopped before every fidelity report was written; the next start writes them")
        }
        logger.info("coordinator stopped")
    }

    private func send(_ outgoing: [(peer: [UInt8], frames: [[UInt8]])], on socket: ZMQSocket, metrics: ClusterMetrics?) {
        guard !outgoing.isEmpty else { return }
        var sent: UInt64 = 0, failed: UInt64 = 0
        for (peer, frames) in outgoing {
            if socket.sendWithoutWaiting([peer] + frames) {
                sent += 1
                metrics?.messageSent()
            } else {
                failed += 1
            }
        }
        sharedCounters.withLock {
            $0.messagesOut += sent
            $0.sendFailures += failed
        }
    }
}

/// A joined worker as the poll loop sees it.
struct WorkerPeer {
    var routingID: [UInt8]
    var workerID: UInt64
    var name: String
    var address: String
    var threads: UInt16
    var slots: UInt16
    /// The highest payload version of kind generate it listed in READY (0: it runs none); it is leased shards of
    /// jobs of at most this version.
    var generateVersion: UInt16
    /// The highest payload version of kind train it listed in READY (0: it is no site).
    var trainVersion: UInt16 = 0
    /// Free slots from its latest ASK, less the leases sent since.
    var freeSlots = 0
    var askedAt: UInt64 = 0
    var lastHeard: UInt64
    var lastSent: UInt64
    /// When its heartbeat was last written to the store (monotonic clock: the wall clock may step back).
    var lastStoredHeartbeat: UInt64
    var attempts: Set<AttemptID> = []
    /// Rows done per attempt in flight, from PROGRESS.
    var progress: [AttemptID: UInt64] = [:]
    var rate = RateMeter()
    var shardsDone: UInt64 = 0
}

/// Rows per second over a sliding window of about ten seconds.
struct RateMeter {
    private var samples: [(time: UInt64, total: UInt64)] = []
    private(set) var total: UInt64 = 0

    mutating func add(_ rows: UInt64, at time: UInt64) {
        total += rows
        samples.append((time, total))
        while let first = samples.first, time - first.time > 10_000, samples.count > 2 { samples.removeFirst() }
    }

    func perSecond(at time: UInt64) -> UInt64 {
        guard let first = samples.first, let last = samples.last, time > first.time else { return 0 }
        if time - last.time > 10_000 { return 0 }
        return (last.total - first.total) * 1_000 / max(1, time - first.time)
    }
}

/// The blobs a client is uploading after SUBMIT, one at a time: the model, then the real table (each only if the
/// coordinator lacks it).
struct JobUpload {
    var request: UInt64
    var job: GenerateJob
    var label: String
    /// The blob being received.
    var download: BlobDownload
    var writer: BlobWriter
    /// The blobs to fetch after this one, in order.
    var remaining: [BlobReference]
    var lastActivity: UInt64
}

/// The coordinator's state between passes and the handling of one pass. Not thread safe: it lives on the loop's
/// thread.
struct CoordinatorLoop {
    let configuration: CoordinatorConfiguration
    let store: CoordinatorStore
    let blobs: BlobStore
    let logger: Logger
    let metrics: ClusterMetrics?

    private var workers: [[UInt8]: WorkerPeer] = [:]
    private var workerNames: [String: [UInt8]] = [:]
    private var nextWorkerID: UInt64 = 0
    private var uploads: [[UInt8]: JobUpload] = [:]
    /// The fidelity reports being written off the loop's thread; `run` waits for them before it returns.
    let fidelityWriters = BackgroundWork()
    /// The client that submitted each job in this run (for DONE).
    private var submitters: [JobID: [UInt8]] = [:]
    /// Other clients that cancelled a job (they get DONE too).
    private var cancellers: [JobID: [UInt8]] = [:]
    /// Leases sent in this run: rows expected and when it went out.
    private var leaseInfo: [AttemptID: (rows: UInt64, sentAt: UInt64)] = [:]
    /// Peers refused for another major version; their messages are ignored.
    private var refused: Set<[UInt8]> = []
    /// When each peer last got an ERROR for a bad message (rate limit).
    private var lastErrorSent: [[UInt8]: UInt64] = [:]
    private var mayHaveWork = true
    private var lastExpiry: UInt64 = 0
    private var outgoing: [(peer: [UInt8], frames: [[UInt8]])] = []
    private var finishedJobs: [JobID] = []
    private var local = CoordinatorCounters()

    /// Jobs not finished (for the jobs-running gauge).
    private var unfinishedJobs: Set<JobID> = []
    /// The train jobs' phases and rounds.
    private var train: TrainDriver

    init(configuration: CoordinatorConfiguration, store: CoordinatorStore, blobs: BlobStore, logger: Logger,
         metrics: ClusterMetrics?) {
        self.configuration = configuration
        self.store = store
        self.blobs = blobs
        self.logger = logger
        self.metrics = metrics
        train = TrainDriver(blobs: blobs, logger: logger)
    }

    private var interval: UInt64 { UInt64(max(1, configuration.heartbeatIntervalMilliseconds)) }
    private var deadAfter: UInt64 { interval * UInt64(max(1, configuration.heartbeatLiveness)) }

    /// How long the loop may sleep: until the next heartbeat is due, at most 50 ms.
    var pollTimeoutMilliseconds: UInt64 { min(50, max(1, interval / 4)) }

    /// At start-up: every lease of the previous run expires; finished jobs without a manifest get one.
    mutating func recover() throws {
        let recovery = try store.recover(now: wallClockMilliseconds())
        if !recovery.endedLeases.isEmpty || !recovery.resumedJobs.isEmpty {
            logger.info("state recovered", metadata: [
                "leases_expired": "\(recovery.endedLeases.count)",
                "jobs_resumed": "\(recovery.resumedJobs.map(String.init).joined(separator: ","))",
            ])
        }
        let jobs = try store.read { tx in try tx.status().jobs }
        unfinishedJobs = Set(jobs.filter { !$0.state.isFinished }.map(\.id))
        for job in jobs where !job.state.isFinished && job.kind == .train { train.track(job.id, now: wallClockMilliseconds()) }
        metrics?.setJobsRunning(unfinishedJobs.count)
        if configuration.writesManifests {
            // A job that finished just before a crash may lack its manifest, or its fidelity report (written after
            // the manifest, off the loop's thread).
            // Only generation jobs have an output folder and a manifest (a train job's result is a model blob).
            for job in jobs.suffix(100) where job.state == .done && job.kind == .generate {
                let lacksManifest = !FileManager.default.fileExists(atPath: JobManifest.path(in: job.output))
                let lacksFidelity = !FileManager.default.fileExists(atPath: JobFidelity.path(in: job.output))
                    && (try? store.read { try $0.generateJob(job.id) })?.realTable != nil
                if lacksManifest || lacksFidelity { finishedJobs.append(job.id) }
            }
            afterCommit()
        }
    }

    /// Handles one batch of messages and the timers in one transaction; returns the messages to send.
    mutating func pass(_ incoming: [(frames: [[UInt8]], peerAddress: String?)]) throws -> [(peer: [UInt8], frames: [[UInt8]])] {
        let now = wallClockMilliseconds()
        let clock = monotonicMilliseconds()
        outgoing.removeAll(keepingCapacity: true)
        local.passes += 1
        try store.write { tx in
            for message in incoming {
                try handle(message.frames, peerAddress: message.peerAddress, tx: tx, now: now, clock: clock)
            }
            try timers(tx: tx, now: now, clock: clock)
            let sites = Dictionary(workers.values.filter { $0.trainVersion >= 1 }.map { ($0.name, $0.workerID) },
                                   uniquingKeysWith: max)
            if try train.drive(tx: tx, now: now, sites: sites) { mayHaveWork = true }
            try dispatchTrain(tx: tx, now: now, clock: clock)
            try dispatch(tx: tx, now: now, clock: clock)
            try endJobs(tx.endedJobs, tx: tx)
        }
        return outgoing
    }

    /// The counts since the last call.
    mutating func takeCounters() -> CoordinatorCounters {
        local.workersUp = workers.count
        metrics?.setWorkersUp(workers.count)
        defer { local = CoordinatorCounters() }
        return local
    }

    /// Work done once the pass's transaction is committed: manifests of finished jobs, and for a job with a real
    /// table its fidelity report. The report needs the real table read and its evaluator built, which can take
    /// seconds: it is written on a thread of its own, so that the loop keeps answering heartbeats meanwhile.
    mutating func afterCommit() {
        guard !finishedJobs.isEmpty else { return }
        let jobs = finishedJobs
        finishedJobs.removeAll()
        guard configuration.writesManifests else { return }
        for job in jobs {
            guard (try? store.read { try $0.job(job) })?.kind == .generate else { continue }
            do {
                let path = try JobManifest.write(job: job, store: store)
                logger.info("manifest written", metadata: ["job": "\(job)", "path": "\(path)"])
            } catch {
                logger.error("manifest not written", metadata: ["job": "\(job)", "error": "\(error)"])
            }
            guard (try? store.read({ try $0.generateJob(job) }))?.realTable != nil else { continue }
            let store = self.store, blobs = self.blobs, logger = self.logger
            fidelityWriters.start(name: "mimeo-fidelity-\(job)") {
                do {
                    if let path = try JobFidelity.write(job: job, store: store, blobs: blobs) {
                        logger.info("fidelity report written", metadata: ["job": "\(job)", "path": "\(path)"])
                    }
                } catch {
                    logger.error("fidelity report not written", metadata: ["job": "\(job)", "error": "\(error)"])
                }
            }
        }
    }

    /// DISCONNECT to every worker, when the coordinator stops.
    func shutdownMessages() -> [(peer: [UInt8], frames: [[UInt8]])] {
        workers.keys.map { ($0, FrameCodec.encode(.disconnect)) }
    }

    // MARK: Messages

    private mutating func emit(_ peer: [UInt8], _ message: WireMessage, clock: UInt64) {
        outgoing.append((peer, FrameCodec.encode(message)))
        workers[peer]?.lastSent = clock
    }

    private mutating func refuse(_ peer: [UInt8], _ code: ErrorCode, command: WireCommand?, _ text: String, clock: UInt64) {
        emit(peer, .error(ErrorReply(code: code, command: command?.rawValue ?? 0, message: String(text.prefix(1_000)))),
             clock: clock)
    }

    private mutating func handle(_ frames: [[UInt8]], peerAddress: String?, tx: StoreTransaction, now: UInt64,
                                 clock: UInt64) throws {
        guard frames.count >= 2 else { return }
        metrics?.messageReceived()
        let started = metrics == nil ? nil : ContinuousClock.now
        defer { if let started { metrics?.messageHandled(in: ContinuousClock.now - started) } }
        let peer = frames[0]
        guard !refused.contains(peer) else {
            local.dropped["refused", default: 0] += 1
            metrics?.messageDropped(.version)
            return
        }
        let message: WireMessage
        do {
            message = try FrameCodec.decode(frames: Array(frames.dropFirst()))
        } catch {
            try dropUndecodable(peer, error, frames: frames, tx: tx, now: now, clock: clock)
            return
        }
        local.messagesIn += 1
        if workers[peer] != nil { workers[peer]!.lastHeard = clock }
        switch message {
        case let .ready(ready):
            try join(peer, ready, address: peerAddress, tx: tx, now: now, clock: clock)
        case .heartbeat:
            guard workers[peer] != nil else { return emit(peer, .disconnect, clock: clock) }
        case let .ask(ask):
            guard workers[peer] != nil else { return emit(peer, .disconnect, clock: clock) }
            workers[peer]!.freeSlots = Int(ask.slots)
            workers[peer]!.askedAt = clock
        case let .progress(progress):
            guard let worker = workers[peer] else { return emit(peer, .disconnect, clock: clock) }
            let shard = ShardID(job: progress.id.job, index: Int(progress.id.shard))
            if train.runs[shard.job] != nil {
                if try tx.renewTrainTask(shard, attempt: progress.id.attempt, from: worker.name, now: now) {
                    if let task = try tx.trainTask(shard), task.phase == .trainRound {
                        train.roundProgress(job: shard.job, site: task.site, now: now)
                    }
                } else {
                    local.staleAnswers += 1
                }
            } else if try tx.renew(shard: shard, attempt: progress.id.attempt, from: worker.name, now: now) {
                let before = worker.progress[progress.id] ?? 0
                let done = min(progress.done, leaseInfo[progress.id]?.rows ?? progress.done)
                workers[peer]!.progress[progress.id] = max(before, done)
                workers[peer]!.rate.add(done > before ? done - before : 0, at: clock)
            } else {
                local.staleAnswers += 1
            }
        case let .result(result):
            guard workers[peer] != nil else { return emit(peer, .disconnect, clock: clock) }
            try complete(peer, result, tx: tx, now: now, clock: clock)
        case let .fail(failure):
            guard let worker = workers[peer] else { return emit(peer, .disconnect, clock: clock) }
            let shard = ShardID(job: failure.id.job, index: Int(failure.id.shard))
            let reason = "\(failure.code.rawValue): \(failure.message)"
            if train.runs[shard.job] != nil {
                if try tx.failTrainTask(shard, attempt: failure.id.attempt, from: worker.name,
                                        retryable: failure.isRetryable, reason: reason, now: now) {
                    mayHaveWork = true
                    logger.warning("train task failed", metadata: [
                        "worker": "\(worker.name)", "job": "\(failure.id.job)", "task": "\(failure.id.shard)",
                        "reason": "\(reason)",
                    ])
                } else {
                    local.staleAnswers += 1
                }
            } else if try tx.fail(shard: shard, attempt: failure.id.attempt, from: worker.name,
                           retryable: failure.isRetryable, reason: reason, now: now) {
                mayHaveWork = true
                logger.warning("attempt failed", metadata: [
                    "worker": "\(worker.name)", "job": "\(failure.id.job)", "shard": "\(failure.id.shard)",
                    "attempt": "\(failure.id.attempt)", "retryable": "\(failure.isRetryable)", "reason": "\(reason)",
                ])
            } else {
                local.staleAnswers += 1
            }
            forget(failure.id, of: peer)
        case let .modelGet(get):
            // Workers fetch job models; clients fetch a train job's final model (spec: Job kind 2).
            serveModel(peer, get, clock: clock)
        case let .modelChunk(chunk):
            try receiveModel(peer, chunk, tx: tx, now: now, clock: clock)
        case let .submit(submit):
            try submitJob(peer, submit, tx: tx, now: now, clock: clock)
        case let .status(query):
            try status(peer, query, tx: tx, now: now, clock: clock)
        case let .cancel(cancel):
            do {
                let job = JobID(cancel.job)
                guard try tx.job(job) != nil else { throw StoreError.unknownJob(job) }
                _ = try tx.cancel(job: job, now: now)
                if submitters[job] != peer { cancellers[job] = peer }
                logger.info("job cancel requested", metadata: ["job": "\(cancel.job)"])
            } catch StoreError.unknownJob {
                refuse(peer, .unknownJob, command: .cancel, "no job \(cancel.job)", clock: clock)
            }
        case .disconnect:
            if let worker = workers[peer] {
                try lose(worker, reason: "worker disconnected", tx: tx, now: now)
            }
            if let upload = uploads.removeValue(forKey: peer) { upload.writer.discard() }
        case let .error(reply):
            logger.warning("peer reported an error", metadata: [
                "worker": "\(workers[peer]?.name ?? "client")", "code": "\(reply.code.rawValue)",
                "message": "\(reply.message)",
            ])
        case let .jobDetail(query):
            // Spec: JOB-DETAIL. Kind 2 has a detail body, read from the stored train state; kind 1 has none.
            if let detail = try tx.trainDetail(JobID(query.job)) {
                emit(peer, .jobDetailReply(JobDetail(job: query.job, body: detail)), clock: clock)
            } else if let job = try tx.job(JobID(query.job)) {
                refuse(peer, .unsupportedKind, command: .jobDetail,
                       "job \(query.job) is of kind \(job.kind), which has no detail", clock: clock)
            } else {
                refuse(peer, .unknownJob, command: .jobDetail, "no job \(query.job)", clock: clock)
            }
        case .welcome, .lease, .accepted, .statusReply, .done, .jobDetailReply:
            refuse(peer, .unexpectedCommand, command: message.command, "\(message.command) is not sent to a coordinator",
                   clock: clock)
        }
    }

    private mutating func dropUndecodable(_ peer: [UInt8], _ error: WireError, frames: [[UInt8]], tx: StoreTransaction,
                                          now: UInt64, clock: UInt64) throws {
        let code = error.code
        let reason: String = switch code {
        case .unsupportedVersion: "version"
        case .unknownCommand: "unknown-command"
        case .tooLarge: "oversized"
        default: "malformed"
        }
        local.dropped[reason, default: 0] += 1
        metrics?.messageDropped(ClusterMetrics.DropReason(errorCode: code.rawValue) ?? .malformed)
        if code == .unsupportedVersion {
            // Spec: Versioning. One ERROR in the version-invariant layout, then the peer is ignored.
            let command = frames.count > 2 && frames[2].count == 1 ? frames[2][0] : 0
            emit(peer, .error(ErrorReply(code: .unsupportedVersion, command: command,
                                         message: "this coordinator speaks MWP01")), clock: clock)
            if refused.count > 100_000 { refused.removeAll() }
            refused.insert(peer)
            if let worker = workers[peer] { try lose(worker, reason: "protocol version refused", tx: tx, now: now) }
            logger.warning("peer refused: other protocol version", metadata: ["detail": "\(error)"])
            return
        }
        // Answer at most one malformed message per peer per second.
        if clock - (lastErrorSent[peer] ?? 0) >= 1_000 || lastErrorSent[peer] == nil {
            if lastErrorSent.count > 10_000 { lastErrorSent.removeAll() }
            lastErrorSent[peer] = clock
            refuse(peer, code, command: nil, "\(error)", clock: clock)
        }
    }

    private mutating func join(_ peer: [UInt8], _ ready: Ready, address peerAddress: String?, tx: StoreTransaction,
                               now: UInt64, clock: UInt64) throws {
        if let previous = workers[peer] { try lose(previous, reason: "worker joined again", tx: tx, now: now) }
        nextWorkerID += 1
        var name = ready.name.isEmpty ? "worker-\(nextWorkerID)" : ready.name
        if let previous = workerNames[name] {
            // A site's name is its identity (spec: Job kind 2): a site that joins again replaces its old session,
            // which is gone (the site lost the coordinator) even if its silence has not been noticed yet.
            if ready.kinds.contains(where: { $0.kind == .train }), let old = workers[previous] {
                try lose(old, reason: "site joined again", tx: tx, now: now)
            } else {
                name += "#\(nextWorkerID)"
            }
        }
        let address = peerAddress ?? ready.labels["host"] ?? ""
        try tx.join(worker: name, address: address, threads: ready.threads, slots: ready.slots, now: now)
        let generateVersion = ready.kinds.filter { $0.kind == .generate }.map(\.version).max() ?? 0
        workers[peer] = WorkerPeer(routingID: peer, workerID: nextWorkerID, name: name, address: address,
                                   threads: ready.threads, slots: max(1, ready.slots),
                                   generateVersion: generateVersion,
                                   trainVersion: ready.kinds.filter { $0.kind == .train }.map(\.version).max() ?? 0,
                                   lastHeard: clock, lastSent: clock, lastStoredHeartbeat: clock)
        workerNames[name] = peer
        emit(peer, .welcome(Welcome(workerID: nextWorkerID,
                                    heartbeatIntervalMilliseconds: configuration.heartbeatIntervalMilliseconds,
                                    heartbeatLiveness: configuration.heartbeatLiveness,
                                    leaseTimeoutMilliseconds: configuration.leaseTimeoutMilliseconds,
                                    chunkBytes: configuration.chunkBytes)), clock: clock)
        logger.info("worker joined", metadata: [
            "worker": "\(name)", "id": "\(nextWorkerID)", "threads": "\(ready.threads)", "slots": "\(ready.slots)",
            "software": "\(ready.software)",
        ])
    }

    /// A worker is gone (DISCONNECT, silence, a new READY): its leases end and go back to pending.
    private mutating func lose(_ worker: WorkerPeer, reason: String, tx: StoreTransaction, now: UInt64) throws {
        let ended = try tx.release(worker: worker.name, now: now)
        workers[worker.routingID] = nil
        workerNames[worker.name] = nil
        for attempt in worker.attempts { leaseInfo[attempt] = nil }
        if !ended.isEmpty { mayHaveWork = true }
        local.workersLost += reason == "worker disconnected" ? 0 : 1
        logger.info("worker left", metadata: [
            "worker": "\(worker.name)", "reason": "\(reason)", "leases_released": "\(ended.count)",
        ])
    }

    private mutating func forget(_ attempt: AttemptID, of peer: [UInt8]) {
        workers[peer]?.attempts.remove(attempt)
        workers[peer]?.progress[attempt] = nil
        leaseInfo[attempt] = nil
    }

    private mutating func complete(_ peer: [UInt8], _ message: MimeoWire.ShardResult, tx: StoreTransaction,
                                   now: UInt64, clock: UInt64) throws {
        let worker = workers[peer]!
        let shard = ShardID(job: message.id.job, index: Int(message.id.shard))
        let info = leaseInfo[message.id]
        defer { forget(message.id, of: peer) }
        if message.kind == .train {
            return try completeTrain(peer, message, worker: worker, tx: tx, now: now, clock: clock)
        }
        let result: GenerateResult
        do {
            result = try message.work(as: GenerateResult.self)
        } catch {
            local.dropped["malformed", default: 0] += 1
            if try tx.fail(shard: shard, attempt: message.id.attempt, from: worker.name, retryable: true,
                           reason: "unreadable result: \(error)", now: now) { mayHaveWork = true }
            refuse(peer, error.code, command: .result, "\(error)", clock: clock)
            return
        }
        if let info, result.rows != info.rows {
            if try tx.fail(shard: shard, attempt: message.id.attempt, from: worker.name, retryable: true,
                           reason: "result of \(result.rows) rows for a shard of \(info.rows)", now: now) {
                mayHaveWork = true
            }
            return
        }
        if try tx.complete(shard: shard, attempt: message.id.attempt, from: worker.name, result: result, now: now) {
            local.resultsAccepted += 1
            local.rowsDone += result.rows
            workers[peer]!.shardsDone += 1
            let before = worker.progress[message.id] ?? 0
            workers[peer]!.rate.add(result.rows > before ? result.rows - before : 0, at: clock)
            if let info { local.roundTripMillisecondsTotal += clock - info.sentAt }
            metrics?.shardDone()
            metrics?.rowsGenerated(Int(clamping: result.rows))
            if let info { metrics?.leaseRoundTrip(.milliseconds(Int64(clamping: clock - info.sentAt))) }
        } else {
            local.staleAnswers += 1
            refuse(peer, .staleAttempt, command: .result, "attempt \(message.id.attempt) of job \(message.id.job) shard \(message.id.shard) is not the current lease", clock: clock)
        }
    }

    /// RESULT of a train task: stored if it answers the current lease; a round's result goes to the scheduler.
    private mutating func completeTrain(_ peer: [UInt8], _ message: MimeoWire.ShardResult, worker: WorkerPeer,
                                        tx: StoreTransaction, now: UInt64, clock: UInt64) throws {
        let task = ShardID(job: message.id.job, index: Int(message.id.shard))
        let result: TrainTaskResult
        do {
            result = try message.work(as: TrainTaskResult.self)
        } catch {
            local.dropped["malformed", default: 0] += 1
            if try tx.failTrainTask(task, attempt: message.id.attempt, from: worker.name, retryable: true,
                                    reason: "unreadable result: \(error)", now: now) { mayHaveWork = true }
            refuse(peer, error.code, command: .result, "\(error)", clock: clock)
            return
        }
        guard try tx.completeTrainTask(task, attempt: message.id.attempt, from: worker.name, result: result, now: now)
        else {
            local.staleAnswers += 1
            refuse(peer, .staleAttempt, command: .result, "attempt \(message.id.attempt) of job \(message.id.job) task \(message.id.shard) is not the current lease", clock: clock)
            return
        }
        local.resultsAccepted += 1
        workers[peer]?.shardsDone += 1
        mayHaveWork = true
        if case let .round(round) = result.outcome, let record = try tx.trainTask(task) {
            logger.info("round result", metadata: [
                "job": "\(task.job)", "site": "\(record.site)", "round": "\(round.round)", "examples": "\(round.examples)",
                "train_loss": "\(round.trainLoss)",
            ])
            try train.roundResult(job: task.job, site: record.site, result: round, tx: tx, now: now)
        }
    }

    // MARK: Models

    private mutating func serveModel(_ peer: [UInt8], _ get: ModelGet, clock: UInt64) {
        guard let total = blobs.size(of: get.hash) else {
            return refuse(peer, .modelUnavailable, command: .modelGet, "no model \(get.hash)", clock: clock)
        }
        guard get.length <= configuration.chunkBytes, get.offset < total else {
            return refuse(peer, .tooLarge, command: .modelGet,
                          "chunk \(get.offset)+\(get.length) is outside model of \(total) bytes or over \(configuration.chunkBytes)",
                          clock: clock)
        }
        do {
            let data = try blobs.read(get.hash, offset: get.offset, length: Int(get.length))
            emit(peer, .modelChunk(ModelChunk(hash: get.hash, offset: get.offset, total: total, data: data)), clock: clock)
        } catch {
            refuse(peer, .modelUnavailable, command: .modelGet, "\(error)", clock: clock)
        }
    }

    private mutating func submitJob(_ peer: [UInt8], _ submit: Submit, tx: StoreTransaction, now: UInt64,
                                    clock: UInt64) throws {
        guard uploads[peer] == nil else {
            return refuse(peer, .busy, command: .submit, "one SUBMIT at a time: a model upload is in progress", clock: clock)
        }
        if submit.kind == .train {
            return try submitTrain(peer, submit, tx: tx, now: now, clock: clock)
        }
        let job: GenerateJob
        do {
            job = try submit.work(as: GenerateJob.self)
        } catch {
            return refuse(peer, error.code, command: .submit, "\(error)", clock: clock)
        }
        guard !job.output.isEmpty else {
            return refuse(peer, .invalidJob, command: .submit, "the job has no output folder", clock: clock)
        }
        guard job.modelBytes > 0 else {
            return refuse(peer, .invalidJob, command: .submit, "the job's model is empty", clock: clock)
        }
        var needed: [BlobReference] = []
        for blob in [BlobReference(hash: job.modelHash, bytes: job.modelBytes)] + (job.realTable.map { [$0] } ?? []) {
            if let earlier = needed.first(where: { $0.hash == blob.hash }) {
                guard earlier.bytes == blob.bytes else {
                    return refuse(peer, .invalidJob, command: .submit,
                                  "blob \(blob.hash) is given as \(earlier.bytes) and as \(blob.bytes) bytes", clock: clock)
                }
                continue
            }
            if blobs.size(of: blob.hash) != blob.bytes { needed.append(blob) }
        }
        guard let first = needed.first else {
            return try accept(peer, request: submit.request, job: job, label: submit.label, tx: tx, now: now, clock: clock)
        }
        do {
            uploads[peer] = try startUpload(peer, JobUpload(request: submit.request, job: job, label: submit.label,
                                                            download: BlobDownload(hash: first.hash, totalBytes: 0, chunkSize: 1),
                                                            writer: try BlobWriter(store: blobs),
                                                            remaining: Array(needed.dropFirst()), lastActivity: clock),
                                            blob: first, clock: clock)
        } catch {
            refuse(peer, .internalError, command: .submit, "cannot store the job's files: \(error)", clock: clock)
        }
    }

    /// Starts receiving `blob` into `upload`'s writer: the first MODEL-GETs go out.
    private mutating func startUpload(_ peer: [UInt8], _ upload: JobUpload, blob: BlobReference,
                                      clock: UInt64) throws -> JobUpload {
        var upload = upload
        upload.download = BlobDownload(hash: blob.hash, totalBytes: blob.bytes, chunkSize: configuration.chunkBytes)
        upload.lastActivity = clock
        for get in upload.download.requests() { emit(peer, .modelGet(get), clock: clock) }
        return upload
    }

    private mutating func receiveModel(_ peer: [UInt8], _ chunk: ModelChunk, tx: StoreTransaction, now: UInt64,
                                       clock: UInt64) throws {
        guard var upload = uploads[peer] else {
            return refuse(peer, .unexpectedCommand, command: .modelChunk, "no model was asked of this peer", clock: clock)
        }
        do {
            for piece in try upload.download.accept(chunk) { try upload.writer.append(piece) }
            upload.lastActivity = clock
            if upload.download.isComplete {
                uploads[peer] = nil
                try upload.writer.commit(expecting: upload.download.hash)
                if let next = upload.remaining.first {
                    upload.remaining.removeFirst()
                    upload.writer = try BlobWriter(store: blobs)
                    uploads[peer] = try startUpload(peer, upload, blob: next, clock: clock)
                    return
                }
                try accept(peer, request: upload.request, job: upload.job, label: upload.label, tx: tx, now: now,
                           clock: clock)
            } else {
                for get in upload.download.requests() { emit(peer, .modelGet(get), clock: clock) }
                uploads[peer] = upload
            }
        } catch {
            upload.writer.discard()
            uploads[peer] = nil
            refuse(peer, .modelUnavailable, command: .submit, "\(error)", clock: clock)
        }
    }

    private mutating func accept(_ peer: [UInt8], request: UInt64, job: GenerateJob, label: String,
                                 tx: StoreTransaction, now: UInt64, clock: UInt64) throws {
        let id: JobID
        do {
            id = try tx.submit(job, label: label, now: now)
        } catch let StoreError.invalidJob(reason) {
            return refuse(peer, .invalidJob, command: .submit, reason, clock: clock)
        }
        submitters[id] = peer
        unfinishedJobs.insert(id)
        metrics?.setJobsRunning(unfinishedJobs.count)
        mayHaveWork = true
        emit(peer, .accepted(Accepted(request: request, job: id)), clock: clock)
        logger.info("job accepted", metadata: [
            "job": "\(id)", "label": "\(label)", "rows": "\(job.rows)", "seed": "\(job.seed)",
            "model": "\(job.modelHash)", "output": "\(job.output)",
        ])
    }

    /// SUBMIT of a federated train job: stored and accepted at once (the sites hold the data).
    private mutating func submitTrain(_ peer: [UInt8], _ submit: Submit, tx: StoreTransaction, now: UInt64,
                                      clock: UInt64) throws {
        let job: TrainJob
        do {
            job = try submit.work(as: TrainJob.self)
        } catch {
            return refuse(peer, error.code, command: .submit, "\(error)", clock: clock)
        }
        if let reason = TrainDriver.unsupported(job) {
            return refuse(peer, .unsupportedKind, command: .submit, reason, clock: clock)
        }
        let id: JobID
        do {
            id = try tx.submitTrain(job, label: submit.label, now: now)
        } catch let StoreError.invalidJob(reason) {
            return refuse(peer, .invalidJob, command: .submit, reason, clock: clock)
        }
        train.track(id, now: now)
        submitters[id] = peer
        unfinishedJobs.insert(id)
        metrics?.setJobsRunning(unfinishedJobs.count)
        mayHaveWork = true
        emit(peer, .accepted(Accepted(request: submit.request, job: id)), clock: clock)
        logger.info("train job accepted", metadata: [
            "job": "\(id)", "label": "\(submit.label)", "rounds": "\(job.rounds)", "min_sites": "\(job.minSites)",
            "seed": "\(job.seed)",
        ])
    }

    // MARK: Status

    private mutating func status(_ peer: [UInt8], _ query: StatusQuery, tx: StoreTransaction, now: UInt64,
                                 clock: UInt64) throws {
        var jobs: [JobStatus]
        if query.job == 0 {
            jobs = try tx.status().jobs
            // The newest 200 jobs and every unfinished one.
            let cutoff = jobs.count > 200 ? jobs[jobs.count - 200].id : 0
            jobs = jobs.filter { $0.id >= cutoff || !$0.state.isFinished }
        } else if let job = try tx.job(JobID(query.job)) {
            jobs = [job]
        } else {
            return refuse(peer, .unknownJob, command: .status, "no job \(query.job)", clock: clock)
        }
        let inFlight = workers.values.reduce(into: [UInt64: UInt64]()) { sums, worker in
            for (attempt, rows) in worker.progress { sums[attempt.job, default: 0] += rows }
        }
        let wireWorkers = workers.values.sorted { $0.workerID < $1.workerID }.map { worker in
            let silent = clock - worker.lastHeard
            let state: WorkerState = silent > 2 * interval ? .unresponsive : worker.attempts.isEmpty ? .idle : .busy
            return MimeoWire.WorkerStatus(
                workerID: worker.workerID, name: worker.name, address: worker.address, state: state,
                lastHeardMilliseconds: UInt32(clamping: silent), threads: worker.threads, slots: worker.slots,
                leases: worker.attempts.sorted { ($0.job, $0.shard, $0.attempt) < ($1.job, $1.shard, $1.attempt) },
                unitsPerSecond: worker.rate.perSecond(at: clock), shardsDone: worker.shardsDone)
        }
        let wireJobs = jobs.map { job -> MimeoWire.JobStatus in
            let done = min(job.rows, job.rowsDone + (job.state == .running ? inFlight[job.id] ?? 0 : 0))
            let started = job.startedAt ?? 0
            let elapsed = started == 0 ? 0 : (job.finishedAt ?? now) > started ? (job.finishedAt ?? now) - started : 0
            return MimeoWire.JobStatus(
                job: job.id, kind: job.kind, state: job.state.wire, label: job.label,
                shards: UInt32(clamping: job.shardCount), shardsDone: UInt32(clamping: job.shardsDone),
                shardsLeased: UInt32(clamping: job.shardsLeased), unitsTotal: job.rows, unitsDone: done,
                unitsPerSecond: elapsed == 0 ? 0 : done * 1_000 / elapsed, retries: job.retries,
                failedAttempts: job.failedAttempts, startedAt: started, elapsedMilliseconds: elapsed)
        }
        emit(peer, .statusReply(StatusSnapshot(time: now, workers: wireWorkers, jobs: wireJobs)), clock: clock)
    }

    // MARK: Timers and dispatch

    private mutating func timers(tx: StoreTransaction, now: UInt64, clock: UInt64) throws {
        // Workers silent for liveness × interval are dead; their leases go back.
        for worker in workers.values where clock - worker.lastHeard > deadAfter {
            try lose(worker, reason: "no heartbeat for \(clock - worker.lastHeard) ms", tx: tx, now: now)
        }
        if clock - lastExpiry >= 100 {
            lastExpiry = clock
            let expired = try tx.expire(now: now)
            for lease in expired {
                let attempt = AttemptID(job: lease.shard.job, shard: UInt32(lease.shard.index), attempt: lease.attempt)
                if let peer = workerNames[lease.worker] { forget(attempt, of: peer) } else { leaseInfo[attempt] = nil }
                logger.warning("lease expired", metadata: [
                    "worker": "\(lease.worker)", "job": "\(lease.shard.job)", "shard": "\(lease.shard.index)",
                    "attempt": "\(lease.attempt)",
                ])
            }
            if !expired.isEmpty { mayHaveWork = true }
            local.leasesExpired += UInt64(expired.count)
            for (peer, upload) in uploads where clock - upload.lastActivity > deadAfter * 10 {
                upload.writer.discard()
                uploads[peer] = nil
            }
        }
        for (peer, worker) in workers {
            if clock - worker.lastSent >= interval { emit(peer, .heartbeat, clock: clock) }
            if clock - worker.lastStoredHeartbeat >= 1_000 {
                try tx.heartbeat(worker: worker.name, now: now)
                workers[peer]!.lastStoredHeartbeat = clock
            }
        }
    }

    private mutating func dispatch(tx: StoreTransaction, now: UInt64, clock: UInt64) throws {
        guard mayHaveWork else { return }
        let ready = workers.values.filter { $0.freeSlots > 0 && $0.generateVersion >= 1 }
            .sorted { $0.askedAt < $1.askedAt }
        nextWorker: for worker in ready {
            for _ in 0..<worker.freeSlots {
                guard let lease = try tx.lease(to: worker.name, payloadVersion: worker.generateVersion, now: now) else {
                    // A worker of the newest version sees every pending shard; an older one only those it runs.
                    if worker.generateVersion >= GenerateShard.version {
                        mayHaveWork = false
                        return
                    }
                    continue nextWorker
                }
                let peer = worker.routingID
                let attempt = AttemptID(job: lease.shard.job, shard: UInt32(lease.shard.index), attempt: lease.attempt)
                workers[peer]!.freeSlots -= 1
                if workers[peer]!.attempts.isEmpty { workers[peer]!.rate.add(0, at: clock) }
                workers[peer]!.attempts.insert(attempt)
                leaseInfo[attempt] = (lease.rows, clock)
                local.leasesSent += 1
                metrics?.shardLeased()
                if lease.attempt > 1 { metrics?.shardRetried() }
                emit(peer, .lease(MimeoWire.Lease(id: attempt, kind: lease.kind, version: lease.payloadVersion,
                                                  timeoutMilliseconds: lease.leaseTimeoutMilliseconds,
                                                  payload: lease.payload)), clock: clock)
            }
        }
    }

    /// Leases pending train tasks to their sites' workers (site affinity: a task goes only to the worker of its name).
    private mutating func dispatchTrain(tx: StoreTransaction, now: UInt64, clock: UInt64) throws {
        guard !train.runs.isEmpty else { return }
        for worker in workers.values where worker.trainVersion >= 1 && worker.freeSlots > 0 {
            for _ in 0..<worker.freeSlots {
                guard let lease = try tx.leaseTrainTask(to: worker.name, now: now) else { break }
                let peer = worker.routingID
                let attempt = AttemptID(job: lease.shard.job, shard: UInt32(lease.shard.index), attempt: lease.attempt)
                workers[peer]!.freeSlots -= 1
                workers[peer]!.attempts.insert(attempt)
                leaseInfo[attempt] = (0, clock)
                local.leasesSent += 1
                emit(peer, .lease(MimeoWire.Lease(id: attempt, kind: lease.kind, version: lease.payloadVersion,
                                                  timeoutMilliseconds: lease.leaseTimeoutMilliseconds,
                                                  payload: lease.payload)), clock: clock)
            }
        }
    }

    private mutating func endJobs(_ ended: [JobEnd], tx: StoreTransaction) throws {
        let clock = monotonicMilliseconds()
        for end in ended {
            for holder in end.holders {
                if let peer = workerNames[holder] {
                    emit(peer, .cancel(Cancel(job: end.job)), clock: clock)
                    for attempt in workers[peer]?.attempts ?? [] where attempt.job == end.job { forget(attempt, of: peer) }
                }
            }
            let (code, text): (ErrorCode, String) = switch end.state {
            case .done: (.none, "completed")
            case .cancelled: (.cancelled, "cancelled")
            default: (.internalError, end.reason ?? "failed")
            }
            let done = JobDone(job: end.job, state: end.state.wire, code: code, message: String(text.prefix(1_000)))
            for peer in Set([submitters[end.job], cancellers[end.job]].compactMap { $0 }) {
                emit(peer, .done(done), clock: clock)
            }
            submitters[end.job] = nil
            cancellers[end.job] = nil
            if end.state == .done { finishedJobs.append(end.job) }
            if end.state == .failed { metrics?.shardFailed() }
            unfinishedJobs.remove(end.job)
            metrics?.setJobsRunning(unfinishedJobs.count)
            logger.info("job ended", metadata: ["job": "\(end.job)", "state": "\(end.state)", "reason": "\(end.reason ?? "")"])
        }
    }
}

extension JobState {
    /// The protocol's job state.
    var wire: MimeoWire.JobState {
        switch self {
        case .queued: .queued
        case .running: .running
        case .done: .completed
        case .failed: .failed
        case .cancelled: .cancelled
        }
    }
}
