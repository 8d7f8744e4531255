import Foundation
import Logging
import MimeoWire
import MimeoZMQ
import Synchronization

/// A cluster worker: joins a coordinator over one DEALER socket, asks for work when it has a free slot, runs the
/// leases it gets and reports their results, speaking MWP-1 (docs/protocol/mwp-1.md; docs/cluster-worker.md).
///
/// `run()` works on the calling thread until `stop()` is called (from any thread) or the coordinator refuses the
/// protocol version. The socket stays on that thread; each lease runs on a thread of its own, which reaches the
/// loop only through a locked mailbox.
///
/// ```swift
/// let node = try WorkerNode(configuration: WorkerConfiguration(endpoint: "tcp://127.0.0.1:5570", name: "w1",
///                                                               threads: 2, cacheDirectory: cache),
///                           logger: Logger(label: "worker"))
/// let thread = Thread { try? node.run() }
/// thread.start()
/// // ...
/// node.stop()        // sends DISCONNECT, cancels running leases, closes; run() returns
/// ```
public final class WorkerNode: Sendable {
    public let configuration: WorkerConfiguration
    let logger: Logger
    let context: ZMQContext?
    /// The model cache.
    let store: BlobStore
    let samplers: SamplerCache
    /// Fidelity evaluators by real table, built once per job's table.
    let evaluators: EvaluatorCache
    private let stopRequested = Atomic<Bool>(false)
    private let isRunning = Atomic<Bool>(false)
    private let counterState = Mutex<WorkerCounters>(WorkerCounters())

    /// A worker with `configuration`.
    ///
    /// - Parameters:
    ///   - context: the ZeroMQ context to make the socket in (an embedded cluster shares one); nil makes one.
    /// - Throws: `WorkerError` for an invalid configuration, `BlobError` when the cache folder cannot be made.
    public init(configuration: WorkerConfiguration, logger: Logger = Logger(label: "mimeo.worker"),
                context: ZMQContext? = nil) throws {
        try configuration.validate()
        self.configuration = configuration
        self.logger = logger
        self.context = context
        store = try BlobStore(root: configuration.cacheDirectory)
        samplers = SamplerCache(capacity: configuration.cachedSamplers)
        evaluators = EvaluatorCache(capacity: 2)
    }

    /// Runs the worker on the calling thread until `stop()`: joins, heartbeats, runs leases, reconnects with
    /// backoff when the coordinator goes silent. On stop it sends DISCONNECT, cancels running leases (their
    /// temporary files are removed) and closes the socket.
    ///
    /// - Throws: `WorkerError` when the first connection cannot be made (a malformed endpoint, bad keys), the
    ///   coordinator refuses this worker's protocol version (ERROR 401), or `run()` is already running.
    public func run() throws {
        guard isRunning.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
            throw WorkerError("this worker is already running")
        }
        defer { isRunning.store(false, ordering: .releasing) }
        let loop = try WorkerLoop(node: self, context: context ?? ZMQContext())
        try loop.run()
    }

    /// Asks `run()` to stop; it returns within about one poll slice plus the time running leases need to notice
    /// (one batch).
    public func stop() {
        stopRequested.store(true, ordering: .releasing)
    }

    /// Whether `stop()` has been called.
    public var isStopRequested: Bool { stopRequested.load(ordering: .acquiring) }

    /// What the worker has done so far.
    public var counters: WorkerCounters { counterState.withLock { $0 } }

    /// Models read from the cache into samplers so far (a model reused by a later lease is not read again).
    public var modelLoads: Int { samplers.loads }

    /// Real tables read into fidelity evaluators so far (a table reused by a later lease is not read again).
    public var evaluatorBuilds: Int { evaluators.builds }

    func count(_ update: (inout WorkerCounters) -> Void) {
        counterState.withLock { update(&$0) }
    }
}

/// The protocol loop of one `WorkerNode.run()`: lives on the calling thread with its socket.
private final class WorkerLoop {
    /// One leased attempt, from LEASE until its thread has ended.
    struct Attempt {
        enum Phase {
            /// Waiting for its model to arrive.
            case awaitingModel
            /// Its thread is writing the part.
            case running(AttemptControl)
            /// Cancelled (CANCEL, a lost coordinator, stopping): its thread is finishing; nothing is reported.
            case abandoned
        }

        /// What the lease asks for.
        enum Work {
            case generate(GenerateShard)
            /// A kind-2 task at this site (spec: Job kind 2).
            case train(TrainTask)
        }

        var work: Work
        var partPath: String
        var timeout: Duration
        var phase: Phase
        var rowsDone: UInt64 = 0
        var hasNewProgress = false
        var lastProgress: ContinuousClock.Instant

        /// The blobs the attempt needs before it runs.
        var blobs: [BlobReference] {
            switch work {
            case let .generate(shard): shard.blobs
            case let .train(task):
                if case let .trainRound(round) = task.work { [round.model] } else { [] }
            }
        }

        /// The PROGRESS total: the shard's rows, or 1 for a train task.
        var total: UInt64 {
            switch work {
            case let .generate(shard): shard.rowCount
            case .train: 1
            }
        }
    }

    /// A model being fetched with MODEL-GET.
    struct Download {
        var transfer: BlobDownload
        let writer: BlobWriter
        var lastChunk: ContinuousClock.Instant
        /// No MODEL-CHUNK for this long fails the leases waiting for the model.
        var stallLimit: Duration
    }

    let node: WorkerNode
    let configuration: WorkerConfiguration
    let context: ZMQContext
    var logger: Logger
    let mailbox = WorkerMailbox()
    let outputRoot: String
    let workingDirectory: String
    let clock = ContinuousClock()
    /// How long the poll waits for a message before the loop looks at its mailbox and timers.
    let pollSlice = Duration.milliseconds(10)
    /// How long stopping waits for cancelled leases to remove their temporary files.
    let stopGrace = Duration.seconds(10)

    var socket: ZMQSocket?
    var poller = ZMQPoller()
    var reconnectAt: ContinuousClock.Instant?
    var reconnectDelay: Duration
    /// The coordinator's WELCOME while joined; nil before it and after the session is lost.
    var welcome: Welcome?
    var heartbeatInterval = Duration.milliseconds(Int(ProtocolVersion.heartbeatIntervalMilliseconds))
    var liveness = Int(ProtocolVersion.heartbeatLiveness)
    var readySent: ContinuousClock.Instant
    var lastSent: ContinuousClock.Instant
    var lastHeard: ContinuousClock.Instant
    var attempts: [AttemptID: Attempt] = [:]
    var downloads: [ContentHash: Download] = [:]
    var fatal: WorkerError?

    init(node: WorkerNode, context: ZMQContext) throws {
        self.node = node
        configuration = node.configuration
        self.context = context
        logger = node.logger
        logger[metadataKey: "worker"] = "\(configuration.name)"
        workingDirectory = FileManager.default.currentDirectoryPath
        outputRoot = PartPath.normalizedRoot(configuration.outputRoot, workingDirectory: workingDirectory)
        reconnectDelay = configuration.reconnectInitialDelay
        let now = clock.now
        readySent = now
        lastSent = now
        lastHeard = now
    }

    var freeSlots: Int { max(0, configuration.slots - attempts.count) }

    // MARK: The loop

    func run() throws {
        do {
            try connect()
        } catch {
            throw WorkerError("cannot connect to \(configuration.endpoint): \(error)")
        }
        logger.info("worker started", metadata: [
            "endpoint": "\(configuration.endpoint)", "slots": "\(configuration.slots)",
            "threads": "\(configuration.threads)", "curve": "\(configuration.curve != nil)",
            "output_root": "\(outputRoot)", "cache": "\(node.store.root)",
        ])
        while !node.isStopRequested, fatal == nil {
            do {
                try step()
            } catch let error as ZMQError where error.isTerminated {
                logger.info("ZeroMQ context shut down; stopping")
                break
            } catch {
                logger.error("socket error, reconnecting", metadata: ["error": "\(error)"])
                loseSession(reconnect: true)
            }
        }
        finish()
        if let fatal { throw fatal }
    }

    private func step() throws {
        if let socket {
            if try !poller.poll(timeout: pollSlice)[0].isEmpty {
                var taken = 0
                while taken < 256, fatal == nil, self.socket === socket, let message = try socket.receive(timeout: .zero) {
                    taken += 1
                    handle(message.frames)
                }
            }
        } else {
            Thread.sleep(forTimeInterval: 0.01)
            if let reconnectAt, clock.now >= reconnectAt {
                self.reconnectAt = nil
                do {
                    try connect()
                } catch {
                    logger.error("reconnect failed", metadata: ["error": "\(error)"])
                    scheduleReconnect()
                }
            }
        }
        drainMailbox()
        checkTimers()
    }

    private func connect() throws {
        let socket = try context.makeSocket(.dealer)
        try socket.setMaxMessageSize(Int64(ProtocolVersion.maxBulkBytes))
        if let curve = configuration.curve {
            try socket.makeCurveClient(keyPair: curve.keyPair, serverKey: curve.serverKey)
        }
        try socket.connect(configuration.endpoint)
        self.socket = socket
        poller = ZMQPoller()
        poller.register(socket)
        sendReady()
    }

    private func closeSocket() {
        socket?.close()
        socket = nil
        poller = ZMQPoller()
    }

    private func scheduleReconnect() {
        reconnectAt = clock.now + reconnectDelay
        logger.info("reconnecting after a delay", metadata: ["delay_ms": "\(reconnectDelay.milliseconds)"])
        reconnectDelay = min(reconnectDelay * 2, configuration.reconnectMaximumDelay)
    }

    /// Forgets the joined state and every lease (the coordinator releases them); then either sends READY again on
    /// this socket, or closes it and reconnects after the backoff delay.
    private func loseSession(reconnect: Bool) {
        welcome = nil
        abandonAll()
        if reconnect {
            closeSocket()
            node.count { $0.reconnects += 1 }
            scheduleReconnect()
        } else {
            sendReady()
        }
    }

    private func finish() {
        let wasConnected = socket != nil
        if wasConnected { send(.disconnect) }
        welcome = nil
        abandonAll()
        let started = clock.now
        while !attempts.isEmpty, clock.now - started < stopGrace {
            Thread.sleep(forTimeInterval: 0.005)
            drainMailbox()
        }
        if !attempts.isEmpty {
            logger.warning("stopping while leases still finish", metadata: ["leases": "\(attempts.count)"])
        }
        // LINGER is 0: give libzmq's I/O thread a moment to put DISCONNECT on the wire before closing.
        if wasConnected, clock.now - started < .milliseconds(50) {
            Thread.sleep(forTimeInterval: 0.05)
        }
        closeSocket()
        let counters = node.counters
        logger.info("worker stopped", metadata: [
            "leases": "\(counters.leasesReceived)", "results": "\(counters.leasesSucceeded)",
            "failures": "\(counters.leasesFailed)", "rows": "\(counters.rowsWritten)",
            "dropped_messages": "\(counters.droppedMessages)",
        ])
    }

    // MARK: Sending

    @discardableResult
    private func send(_ message: WireMessage) -> Bool {
        send(frames: FrameCodec.encode(message), command: message.command)
    }

    @discardableResult
    private func send(frames: [[UInt8]], command: WireCommand) -> Bool {
        guard let socket else { return false }
        do {
            guard try socket.send(ZMQMessage(frames), timeout: .zero) else {
                logger.warning("send queue full; message dropped", metadata: ["command": "\(command.name)"])
                return false
            }
        } catch {
            logger.warning("send failed", metadata: ["command": "\(command.name)", "error": "\(error)"])
            return false
        }
        lastSent = clock.now
        record(frames)
        return true
    }

    /// Appends a sent message to the frame recording, if one is configured.
    private func record(_ frames: [[UInt8]]) {
        guard let path = configuration.recordFramesPath else { return }
        var bytes: [UInt8] = []
        func u32(_ value: Int) { withUnsafeBytes(of: UInt32(value).bigEndian) { bytes.append(contentsOf: $0) } }
        u32(frames.count)
        for frame in frames {
            u32(frame.count)
            bytes.append(contentsOf: frame)
        }
        if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            logger.warning("cannot open the frame recording", metadata: ["path": "\(path)"])
            return
        }
        defer { try? handle.close() }
        _ = try? handle.seekToEnd()
        try? handle.write(contentsOf: Data(bytes))
    }

    private func sendReady() {
        let ready = Ready(name: configuration.name, software: configuration.software,
                          threads: UInt16(configuration.threads), slots: UInt16(configuration.slots),
                          kinds: [JobKindSupport(kind: .generate, version: GenerateShard.version)]
                              + (configuration.site != nil ? [JobKindSupport(kind: .train, version: TrainTask.version)] : []),
                          labels: configuration.site != nil ? configuration.labels.merging(["data": "site"]) { $1 }
                              : configuration.labels)
        send(.ready(ready))
        readySent = clock.now
        lastHeard = readySent
    }

    private func sendAsk() {
        guard welcome != nil, freeSlots > 0 else { return }
        send(.ask(Ask(slots: UInt16(freeSlots))))
    }

    /// Sends FAIL for an attempt that has been removed from `attempts`, then ASK for the freed slot.
    private func fail(_ id: AttemptID, _ code: ErrorCode, retryable: Bool, _ message: String) {
        logger.warning("lease failed", metadata: metadata(id).merging([
            "code": "\(code)", "retryable": "\(retryable)", "reason": "\(message)",
        ]) { $1 })
        send(.fail(Failure(id: id, code: code, isRetryable: retryable, message: message)))
        node.count { $0.leasesFailed += 1 }
        sendAsk()
    }

    private func metadata(_ id: AttemptID) -> Logger.Metadata {
        ["job": "\(id.job)", "shard": "\(id.shard)", "attempt": "\(id.attempt)"]
    }

    // MARK: Receiving

    private func handle(_ frames: [[UInt8]]) {
        lastHeard = clock.now
        let message: WireMessage
        do {
            message = try FrameCodec.decode(frames: frames)
        } catch {
            if case let .unsupportedVersion(major) = error {
                let refusal = FrameCodec.decodeRefusal(frames: frames).map { ": \($0.message)" } ?? ""
                fatal = WorkerError("the coordinator speaks MWP major version \(major); this worker speaks "
                    + "\(ProtocolVersion.major)\(refusal)")
                return
            }
            node.count { $0.droppedMessages += 1 }
            logger.debug("dropped an undecodable message", metadata: ["error": "\(error)"])
            return
        }
        switch message {
        case let .welcome(value): handleWelcome(value)
        case .heartbeat: break
        case let .lease(value): handleLease(value)
        case let .cancel(value): handleCancel(job: value.job)
        case let .modelChunk(value): handleChunk(value)
        case let .error(value): handleError(value)
        case .disconnect:
            // While waiting for WELCOME, READY is already on its way: a DISCONNECT then answers an older message.
            guard welcome != nil else { return }
            logger.info("the coordinator does not know this worker (DISCONNECT); joining again")
            loseSession(reconnect: false)
        case .ready, .ask, .progress, .result, .fail, .modelGet, .submit, .accepted, .status, .statusReply, .done,
             .jobDetail, .jobDetailReply:
            send(.error(ErrorReply(code: .unexpectedCommand, command: message.command.rawValue,
                                   message: "\(message.command.name) is not sent to a worker")))
        }
    }

    private func handleWelcome(_ value: Welcome) {
        let isNew = welcome == nil
        welcome = value
        heartbeatInterval = .milliseconds(Int(value.heartbeatIntervalMilliseconds))
        liveness = Int(value.heartbeatLiveness)
        reconnectDelay = configuration.reconnectInitialDelay
        node.count {
            $0.joins += 1
            $0.workerID = value.workerID
        }
        if isNew {
            logger.info("joined", metadata: [
                "worker_id": "\(value.workerID)", "heartbeat_ms": "\(value.heartbeatIntervalMilliseconds)",
                "liveness": "\(value.heartbeatLiveness)", "lease_timeout_ms": "\(value.leaseTimeoutMilliseconds)",
            ])
        }
        sendAsk()
    }

    private func handleError(_ reply: ErrorReply) {
        let command = WireCommand(rawValue: reply.command)?.name ?? "\(reply.command)"
        switch reply.code {
        case .unsupportedVersion:
            fatal = WorkerError("the coordinator refused this worker's protocol version (ERROR 401): \(reply.message)")
        case .notJoined:
            logger.info("the coordinator does not know this worker (ERROR 405); joining again")
            loseSession(reconnect: false)
        case .modelUnavailable where reply.command == WireCommand.modelGet.rawValue:
            for hash in Array(downloads.keys) {
                abortDownload(hash, .modelUnavailable, "the coordinator cannot serve the model: \(reply.message)")
            }
        default:
            logger.warning("the coordinator refused a message", metadata: [
                "code": "\(reply.code)", "command": "\(command)", "reason": "\(reply.message)",
            ])
        }
    }

    private func handleLease(_ lease: MimeoWire.Lease) {
        let id = lease.id
        node.count { $0.leasesReceived += 1 }
        guard attempts[id] == nil else {
            logger.warning("duplicate LEASE ignored", metadata: metadata(id))
            return
        }
        guard freeSlots > 0 else {
            fail(id, .busy, retryable: true, "no free slot: this worker holds \(attempts.count) of \(configuration.slots) leases")
            return
        }
        if lease.kind == TrainTask.kind, configuration.site != nil, lease.version == TrainTask.version {
            handleTrainLease(lease)
            return
        }
        guard lease.kind == GenerateShard.kind, GenerateShard.versions.contains(lease.version) else {
            fail(id, .unsupportedKind, retryable: true,
                 "this worker runs job kind \(GenerateShard.kind) payload versions \(GenerateShard.versions.lowerBound) to \(GenerateShard.version), not kind \(lease.kind) version \(lease.version)")
            return
        }
        let shard: GenerateShard
        do {
            shard = try lease.work(as: GenerateShard.self)
        } catch {
            fail(id, .invalidJob, retryable: false, "the lease's payload is invalid: \(error)")
            return
        }
        let partPath: String
        switch PartPath.resolve(shard.output, root: outputRoot, workingDirectory: workingDirectory) {
        case let .success(path): partPath = path
        case let .failure(error):
            fail(id, .invalidJob, retryable: false, error.description)
            return
        }
        let timeout = Duration.milliseconds(Int(lease.timeoutMilliseconds))
        attempts[id] = Attempt(work: .generate(shard), partPath: partPath, timeout: timeout, phase: .awaitingModel,
                               lastProgress: clock.now)
        logger.info("lease", metadata: metadata(id).merging([
            "rows": "\(shard.rowCount)", "first_row": "\(shard.firstRow)", "part": "\(partPath)",
        ]) { $1 })
        let missing = shard.blobs.filter { !node.store.contains($0.hash) }
        if missing.isEmpty {
            start(id)
        } else {
            for blob in missing { fetchBlob(blob, stallLimit: timeout) }
        }
    }

    /// A kind-2 task for this site: fetch round r's global model if it is not cached, then run it on a thread.
    private func handleTrainLease(_ lease: MimeoWire.Lease) {
        let id = lease.id
        let task: TrainTask
        do {
            task = try lease.work(as: TrainTask.self)
        } catch {
            fail(id, .invalidJob, retryable: false, "the lease's payload is invalid: \(error)")
            return
        }
        let timeout = Duration.milliseconds(Int(lease.timeoutMilliseconds))
        let attempt = Attempt(work: .train(task), partPath: "", timeout: timeout, phase: .awaitingModel,
                              lastProgress: clock.now)
        attempts[id] = attempt
        logger.info("train lease", metadata: metadata(id).merging([
            "phase": "\(task.work.phase)", "round": "\(task.round)", "site": "\(task.site)",
        ]) { $1 })
        let missing = attempt.blobs.filter { !node.store.contains($0.hash) }
        if missing.isEmpty {
            start(id)
        } else {
            for blob in missing { fetchBlob(blob, stallLimit: timeout) }
        }
    }

    private func handleCancel(job: UInt64) {
        var freed = false
        for (id, attempt) in attempts where id.job == job {
            switch attempt.phase {
            case .awaitingModel:
                attempts[id] = nil
                node.count { $0.leasesAbandoned += 1 }
                freed = true
            case let .running(control):
                control.cancel()
                attempts[id]?.phase = .abandoned
            case .abandoned:
                break
            }
            logger.info("lease cancelled", metadata: metadata(id))
        }
        dropUnwantedDownloads()
        if freed { sendAsk() }
    }

    /// Cancels every lease: running ones finish in the background and report nothing.
    private func abandonAll() {
        for (id, attempt) in attempts {
            switch attempt.phase {
            case .awaitingModel:
                attempts[id] = nil
                node.count { $0.leasesAbandoned += 1 }
            case let .running(control):
                control.cancel()
                attempts[id]?.phase = .abandoned
            case .abandoned:
                break
            }
        }
        dropUnwantedDownloads()
    }

    // MARK: Models

    /// Fetches a blob a lease needs (its model, its real table) unless it is already being fetched.
    private func fetchBlob(_ blob: BlobReference, stallLimit: Duration) {
        let hash = blob.hash
        guard downloads[hash] == nil else { return }
        let writer: BlobWriter
        do {
            writer = try BlobWriter(store: node.store)
        } catch {
            failWaiting(for: hash, .modelUnavailable, "the model cache cannot take model \(hash): \(error)")
            return
        }
        let chunkBytes = welcome?.chunkBytes ?? ProtocolVersion.defaultChunkBytes
        let transfer = BlobDownload(hash: hash, totalBytes: blob.bytes, chunkSize: chunkBytes,
                                    window: configuration.modelWindow)
        downloads[hash] = Download(transfer: transfer, writer: writer, lastChunk: clock.now, stallLimit: stallLimit)
        logger.info("fetching model", metadata: ["model": "\(hash)", "bytes": "\(blob.bytes)"])
        if transfer.isComplete {
            completeDownload(hash)
        } else {
            requestChunks(hash)
        }
    }

    private func requestChunks(_ hash: ContentHash) {
        guard let gets = downloads[hash]?.transfer.requests() else { return }
        for get in gets { send(.modelGet(get)) }
        node.count { $0.modelRequests += gets.count }
    }

    private func handleChunk(_ chunk: ModelChunk) {
        let hash = chunk.hash
        guard let download = downloads[hash] else {
            logger.debug("MODEL-CHUNK for no download ignored", metadata: ["model": "\(hash)"])
            return
        }
        let pieces: [[UInt8]]
        do {
            pieces = try downloads[hash]!.transfer.accept(chunk)
        } catch {
            abortDownload(hash, .modelUnavailable, "\(error)")
            return
        }
        do {
            for piece in pieces { try download.writer.append(piece) }
        } catch {
            abortDownload(hash, .outputFailed, "the model cache cannot be written: \(error)")
            return
        }
        downloads[hash]?.lastChunk = clock.now
        if downloads[hash]!.transfer.isComplete {
            completeDownload(hash)
        } else {
            requestChunks(hash)
        }
    }

    private func completeDownload(_ hash: ContentHash) {
        guard let download = downloads.removeValue(forKey: hash) else { return }
        do {
            try download.writer.commit(expecting: hash)
        } catch {
            failWaiting(for: hash, .modelUnavailable, "model \(hash) was not stored: \(error)")
            return
        }
        node.count { $0.modelsFetched += 1 }
        logger.info("model fetched and verified", metadata: ["model": "\(hash)", "bytes": "\(download.transfer.totalBytes)"])
        for (id, attempt) in attempts where attempt.blobs.contains(where: { $0.hash == hash }) {
            guard case .awaitingModel = attempt.phase,
                  attempt.blobs.allSatisfy({ node.store.contains($0.hash) }) else { continue }
            start(id)
        }
    }

    /// Stops fetching `hash` (its bytes are discarded) and fails the leases waiting for it, retryable.
    private func abortDownload(_ hash: ContentHash, _ code: ErrorCode, _ message: String) {
        downloads.removeValue(forKey: hash)?.writer.discard()
        failWaiting(for: hash, code, message)
    }

    private func failWaiting(for hash: ContentHash, _ code: ErrorCode, _ message: String) {
        let waiting = attempts.filter { id, attempt in
            guard case .awaitingModel = attempt.phase else { return false }
            return attempt.blobs.contains { $0.hash == hash }
        }.keys.sorted { ($0.job, $0.shard, $0.attempt) < ($1.job, $1.shard, $1.attempt) }
        for id in waiting {
            attempts[id] = nil
            fail(id, code, retryable: true, message)
        }
    }

    /// Discards the downloads no lease waits for any more.
    private func dropUnwantedDownloads() {
        for hash in Array(downloads.keys) {
            let wanted = attempts.values.contains { attempt in
                guard case .awaitingModel = attempt.phase else { return false }
                return attempt.blobs.contains { $0.hash == hash }
            }
            if !wanted { downloads.removeValue(forKey: hash)?.writer.discard() }
        }
    }

    // MARK: Running leases

    private func start(_ id: AttemptID) {
        guard let attempt = attempts[id], case .awaitingModel = attempt.phase else { return }
        let control = AttemptControl()
        let shard: GenerateShard
        switch attempt.work {
        case let .generate(generate): shard = generate
        case let .train(task):
            guard let site = configuration.site else { return }
            let modelPath = attempt.blobs.first.map { node.store.path(for: $0.hash) }
            let (mailbox, name, threads) = (mailbox, configuration.name, configuration.threads)
            let thread = Thread {
                let outcome: AttemptOutcome
                do {
                    outcome = .trained(try SiteTraining.run(task, site: site, siteName: name, modelPath: modelPath,
                                                            threads: threads))
                } catch let error as SiteTaskError {
                    outcome = .failed(error.code, retryable: error.retryable, message: error.description)
                } catch {
                    outcome = .failed(.invalidJob, retryable: false, message: "\(error)")
                }
                mailbox.post(.ended(id, outcome))
            }
            thread.name = "mimeo-train-\(id.job)-\(id.shard)-\(id.attempt)"
            thread.stackSize = 8 << 20
            attempts[id]?.phase = .running(control)
            thread.start()
            return
        }
        let work = ShardAttempt(id: id, shard: shard, modelPath: node.store.path(for: shard.modelHash),
                                realTablePath: shard.realTable.map { node.store.path(for: $0.hash) },
                                partPath: attempt.partPath, outputRoot: outputRoot, threads: configuration.threads,
                                computesStatistics: configuration.computesStatistics, control: control,
                                mailbox: mailbox, samplers: node.samplers, evaluators: node.evaluators)
        let thread = Thread { work.run() }
        thread.name = "mimeo-lease-\(id.job)-\(id.shard)-\(id.attempt)"
        thread.stackSize = 8 << 20
        attempts[id]?.phase = .running(control)
        thread.start()
    }

    private func drainMailbox() {
        for event in mailbox.drain() {
            switch event {
            case let .progress(id, rows):
                guard case .running? = attempts[id]?.phase else { continue }
                attempts[id]?.rowsDone = rows
                attempts[id]?.hasNewProgress = true
            case let .ended(id, outcome):
                guard let attempt = attempts.removeValue(forKey: id) else { continue }
                if case .abandoned = attempt.phase {
                    node.count { $0.leasesAbandoned += 1 }
                    logger.debug("cancelled lease ended", metadata: metadata(id))
                    sendAsk()
                    continue
                }
                report(id, attempt, outcome)
            }
        }
    }

    /// Sends RESULT with `result`; a result that cannot be encoded is reported as FAIL instead (returns false).
    private func sendResult<Work: JobPayload>(_ id: AttemptID, _ result: Work) -> Bool {
        do {
            send(frames: try FrameCodec.encodeChecked(.result(MimeoWire.ShardResult(id: id, work: result))), command: .result)
            return true
        } catch {
            fail(id, .internalError, retryable: false, "the result cannot be sent: \(error)")
            return false
        }
    }

    /// Sends RESULT or FAIL for an attempt whose thread ended, then ASK.
    private func report(_ id: AttemptID, _ attempt: Attempt, _ outcome: AttemptOutcome) {
        switch outcome {
        case let .finished(result):
            guard sendResult(id, result) else { return }
            node.count {
                $0.leasesSucceeded += 1
                $0.rowsWritten += result.rows
            }
            logger.info("lease done", metadata: metadata(id).merging([
                "rows": "\(result.rows)", "bytes": "\(result.bytes)", "elapsed_ms": "\(result.elapsedMilliseconds)",
                "sha256": "\(result.checksum)",
            ]) { $1 })
            sendAsk()
        case let .trained(result):
            guard sendResult(id, result) else { return }
            node.count { $0.leasesSucceeded += 1 }
            logger.info("train task done", metadata: metadata(id).merging(["phase": "\(result.outcome.phase)"]) { $1 })
            sendAsk()
        case let .failed(code, retryable, message):
            fail(id, code, retryable: retryable, message)
        case .cancelled:
            // Cancelled without this loop asking: a newer attempt at the same part in this process took it over.
            fail(id, .cancelled, retryable: true, "superseded by a newer attempt at \(attempt.partPath) in this process")
        }
    }

    // MARK: Timers

    private func checkTimers() {
        guard socket != nil else { return }
        let now = clock.now
        guard welcome != nil else {
            if now - readySent > heartbeatInterval * liveness {
                logger.warning("no WELCOME from the coordinator", metadata: ["waited_ms": "\((now - readySent).milliseconds)"])
                loseSession(reconnect: true)
            }
            return
        }
        if now - lastHeard > heartbeatInterval * liveness {
            logger.warning("the coordinator is silent; reconnecting", metadata: [
                "silent_ms": "\((now - lastHeard).milliseconds)",
            ])
            loseSession(reconnect: true)
            return
        }
        for (id, attempt) in attempts {
            if case .abandoned = attempt.phase { continue }
            let renewal = attempt.timeout / 3
            let since = now - attempt.lastProgress
            guard (attempt.hasNewProgress && since >= min(heartbeatInterval, renewal)) || since >= renewal else { continue }
            send(.progress(Progress(id: id, done: min(attempt.rowsDone, attempt.total), total: attempt.total)))
            attempts[id]?.lastProgress = now
            attempts[id]?.hasNewProgress = false
        }
        for (hash, download) in downloads where now - download.lastChunk > download.stallLimit {
            abortDownload(hash, .modelUnavailable, "no MODEL-CHUNK for model \(hash) within \(download.stallLimit.milliseconds) ms")
        }
        if now - lastSent >= heartbeatInterval {
            send(.heartbeat)
        }
    }
}

extension Duration {
    /// Whole milliseconds, for logs.
    fileprivate var milliseconds: Int64 {
        components.seconds * 1_000 + components.attoseconds / 1_000_000_000_000_000
    }
}

extension GenerateShard {
    /// The blobs the lease needs before it can run: its model, then its real table if it has one.
    var blobs: [BlobReference] {
        [BlobReference(hash: modelHash, bytes: modelBytes)] + (realTable.map { [$0] } ?? [])
    }
}
