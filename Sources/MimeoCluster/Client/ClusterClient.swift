import Foundation
import MimeoData
import MimeoWire
import MimeoZMQ

/// A client of a coordinator (`mimeo generate --cluster`, `mimeo status`): submits a job, uploads its model when
/// the coordinator asks for it, polls status until the job ends, cancels (spec: Submitting a job and waiting).
///
/// The socket belongs to the thread that made the client; use it there only.
///
/// ```swift
/// let client = try ClusterClient(endpoint: "tcp://127.0.0.1:5570")
/// let job = try client.submit(job, label: "adult 1M", modelPath: "model.mimeo")
/// let end = try client.wait(for: job, stop: stop) { status in print(status.unitsDone) }
/// ```
public final class ClusterClient {
    public let endpoint: String
    private let context: ZMQContext
    private let socket: ZMQSocket
    private var nextRequest: UInt64 = 1
    /// How long to wait for the coordinator's first answer before calling it unreachable.
    public var replyTimeout: Duration
    /// The DONE messages seen so far (the coordinator sends one to a job's submitter when the job ends), by job.
    public private(set) var ended: [UInt64: JobDone] = [:]

    /// Connects to `endpoint` (the connection is made in the background; a coordinator that is not there shows
    /// up as a reply timeout).
    public init(endpoint: String, curve: CurveClientKeys? = nil, replyTimeout: Duration = .seconds(3)) throws {
        self.endpoint = endpoint
        self.replyTimeout = replyTimeout
        context = try ZMQContext()
        socket = try context.makeSocket(.dealer)
        try socket.setMaxMessageSize(Int64(ProtocolVersion.maxBulkBytes))
        if let curve { try socket.makeCurveClient(keyPair: curve.keyPair, serverKey: curve.serverKey) }
        do {
            try socket.connect(endpoint)
        } catch {
            socket.close()
            context.shutdown()
            throw ClusterError("cannot connect to \(endpoint): \(error)")
        }
    }

    deinit {
        socket.close()
        context.shutdown()
    }

    /// Submits a generation job whose model is the file at `modelPath` (and whose real table, for a job that names
    /// one, is the file at `realTablePath`), answering the coordinator's MODEL-GETs from them, and returns the job
    /// id once the coordinator has stored the job.
    ///
    /// - Throws: `ClusterError` when the coordinator refuses the job (its ERROR's message) or does not answer
    ///   within `replyTimeout`.
    public func submit(_ job: GenerateJob, label: String, modelPath: String, realTablePath: String? = nil) throws -> UInt64 {
        let request = nextRequest
        nextRequest += 1
        var offered = [(blob: BlobReference(hash: job.modelHash, bytes: job.modelBytes), path: modelPath)]
        if let table = job.realTable {
            guard let realTablePath else { throw ClusterError("the job names a real table and no file was given for it") }
            offered.append((table, realTablePath))
        }
        var files: [ContentHash: (bytes: UInt64, handle: FileHandle)] = [:]
        defer { for file in files.values { try? file.handle.close() } }
        for (blob, path) in offered where files[blob.hash] == nil {
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw ClusterError("\(path): cannot be opened for reading")
            }
            files[blob.hash] = (blob.bytes, handle)
        }
        try send(.submit(Submit(request: request, label: label, work: job)))
        while true {
            guard let message = try receive(timeout: replyTimeout) else {
                throw ClusterError("the coordinator at \(endpoint) did not answer within \(replyTimeout) (is it running, and are the keys right?)")
            }
            switch message {
            case let .modelGet(get):
                guard let file = files[get.hash], get.offset < file.bytes else {
                    try send(.error(ErrorReply(code: .modelUnavailable, command: WireCommand.modelGet.rawValue,
                                               message: "this client offers only \(offered.map { "\($0.blob.hash)" }.joined(separator: " and "))")))
                    continue
                }
                try file.handle.seek(toOffset: get.offset)
                let data = [UInt8](try file.handle.read(upToCount: Int(get.length)) ?? Data())
                try send(.modelChunk(ModelChunk(hash: get.hash, offset: get.offset, total: file.bytes, data: data)))
            case let .accepted(accepted) where accepted.request == request:
                return accepted.job
            case let .error(reply):
                throw ClusterError("the coordinator refused the job: \(reply.message) (\(reply.code.rawValue))")
            default:
                continue
            }
        }
    }

    /// Submits a federated train job (the sites hold the data: nothing is uploaded) and returns its id once the
    /// coordinator has stored it.
    ///
    /// - Throws: `ClusterError` when the coordinator refuses the job or does not answer within `replyTimeout`.
    public func submitTrain(_ job: TrainJob, label: String) throws -> UInt64 {
        let request = nextRequest
        nextRequest += 1
        try send(.submit(Submit(request: request, label: label, work: job)))
        let clock = ContinuousClock()
        let deadline = clock.now + replyTimeout
        while clock.now < deadline {
            guard let message = try receive(timeout: deadline - clock.now) else { break }
            switch message {
            case let .accepted(accepted) where accepted.request == request:
                return accepted.job
            case let .error(reply) where reply.command == WireCommand.submit.rawValue || reply.command == 0:
                throw ClusterError("the coordinator refused the job: \(reply.message) (\(reply.code.rawValue))")
            default:
                continue
            }
        }
        throw ClusterError("the coordinator at \(endpoint) did not answer within \(replyTimeout) (is it running, and are the keys right?)")
    }

    /// Downloads a blob of the coordinator (a train job's final model) with MODEL-GET, chunk by chunk, checks its
    /// SHA-256 and writes it to `path` through a temporary name.
    ///
    /// - Throws: `ClusterError` when the coordinator refuses or stops answering, or the bytes do not hash to
    ///   `blob.hash`; file errors.
    public func download(_ blob: BlobReference, to path: String, chunkBytes: UInt32 = ProtocolVersion.defaultChunkBytes) throws {
        let output = try AtomicFileOutput(path: path)
        var hasher = ContentHasher()
        var offset: UInt64 = 0
        while offset < blob.bytes {
            let length = UInt32(min(UInt64(chunkBytes), blob.bytes - offset))
            try send(.modelGet(ModelGet(hash: blob.hash, offset: offset, length: length)))
            let clock = ContinuousClock()
            let deadline = clock.now + replyTimeout
            var received = false
            while !received, clock.now < deadline {
                guard let message = try receive(timeout: deadline - clock.now) else { break }
                switch message {
                case let .modelChunk(chunk) where chunk.hash == blob.hash && chunk.offset == offset:
                    guard !chunk.data.isEmpty, chunk.total == blob.bytes else {
                        throw ClusterError("the coordinator sent a chunk of \(chunk.data.count) bytes of a \(chunk.total)-byte blob, expected \(blob.bytes)")
                    }
                    try output.write(chunk.data)
                    hasher.update(chunk.data)
                    offset += UInt64(chunk.data.count)
                    received = true
                case let .error(reply) where reply.command == WireCommand.modelGet.rawValue:
                    throw ClusterError("the coordinator refused model \(blob.hash): \(reply.message) (\(reply.code.rawValue))")
                default:
                    continue
                }
            }
            guard received else { throw ClusterError("the coordinator at \(endpoint) did not send model \(blob.hash) within \(replyTimeout)") }
        }
        guard hasher.finalize() == blob.hash else {
            output.discard()
            throw ClusterError("the downloaded model does not hash to \(blob.hash)")
        }
        try output.commit()
    }

    /// One status snapshot (`job` 0: every job).
    ///
    /// - Throws: `ClusterError` when the coordinator does not answer within `timeout` or refuses.
    public func status(job: UInt64 = 0, timeout: Duration? = nil) throws -> StatusSnapshot {
        try send(.status(StatusQuery(job: job)))
        let clock = ContinuousClock()
        let deadline = clock.now + (timeout ?? replyTimeout)
        while clock.now < deadline {
            guard let message = try receive(timeout: deadline - clock.now) else { break }
            switch message {
            // A reply to an earlier query (a poll of `wait` still in flight) names another job: skip it.
            case let .statusReply(snapshot) where job == 0 || snapshot.jobs.contains(where: { $0.job == job }):
                return snapshot
            case let .error(reply): throw ClusterError("the coordinator refused: \(reply.message) (\(reply.code.rawValue))")
            default: continue
            }
        }
        throw ClusterError("the coordinator at \(endpoint) did not answer within \(timeout ?? replyTimeout)")
    }

    /// A job's kind-specific detail (JOB-DETAIL, minor version 1), for a train job its `TrainDetail`.
    ///
    /// - Throws: `ClusterError` when the coordinator refuses (404: no such job; 415: the job's kind has no detail;
    ///   402: the coordinator predates minor version 1) or does not answer within `timeout`.
    public func detail(job: UInt64, timeout: Duration? = nil) throws -> JobDetail {
        try send(.jobDetail(JobDetailQuery(job: job)))
        let clock = ContinuousClock()
        let deadline = clock.now + (timeout ?? replyTimeout)
        while clock.now < deadline {
            guard let message = try receive(timeout: deadline - clock.now) else { break }
            switch message {
            case let .jobDetailReply(detail) where detail.job == job:
                return detail
            case let .error(reply) where reply.command == WireCommand.jobDetail.rawValue || reply.command == 0:
                throw ClusterError("the coordinator refused the detail of job \(job): \(reply.message) (\(reply.code.rawValue))")
            default: continue
            }
        }
        throw ClusterError("the coordinator at \(endpoint) did not answer within \(timeout ?? replyTimeout)")
    }

    /// Asks the coordinator to cancel a job.
    public func cancel(job: UInt64) throws {
        try send(.cancel(Cancel(job: job)))
    }

    /// How a job ended.
    public struct Outcome: Sendable, Equatable {
        public var state: MimeoWire.JobState
        public var message: String
        /// The job's last status.
        public var status: MimeoWire.JobStatus?
    }

    /// Polls the job's status every `interval` until it ends, calling `progress` with each status. The
    /// coordinator may restart meanwhile: the client keeps asking for up to `patience`.
    ///
    /// When `stop` is set, the job is cancelled and the wait ends once the coordinator confirms (or after
    /// `replyTimeout`).
    /// - Throws: `ClusterError` when the coordinator has not answered for `patience`.
    public func wait(for job: UInt64, interval: Duration = .milliseconds(500), patience: Duration = .seconds(60),
                     stop: StopSignal? = nil, progress: (MimeoWire.JobStatus) -> Void = { _ in }) throws -> Outcome {
        let clock = ContinuousClock()
        var lastAnswer = clock.now
        var last: MimeoWire.JobStatus?
        var cancelledAt: ContinuousClock.Instant?
        var endedWithoutReason: ContinuousClock.Instant?
        let reasonGrace = Duration.seconds(2)
        while true {
            if let stop, stop.isStopped, cancelledAt == nil {
                try cancel(job: job)
                cancelledAt = clock.now
            }
            if let cancelledAt, clock.now - cancelledAt > replyTimeout {
                return Outcome(state: .cancelled, message: "cancelled (the coordinator did not confirm)", status: last)
            }
            try send(.status(StatusQuery(job: job)))
            let deadline = clock.now + interval
            while clock.now < deadline {
                guard let message = try receive(timeout: deadline - clock.now) else { break }
                lastAnswer = clock.now
                switch message {
                case let .statusReply(snapshot):
                    guard let status = snapshot.jobs.first(where: { $0.job == job }) else { continue }
                    last = status
                    progress(status)
                    switch status.state {
                    case .completed: return Outcome(state: .completed, message: "completed", status: status)
                    case .failed, .cancelled:
                        // The reason travels in DONE, which the coordinator may send just after a status reply
                        // that already shows the end: wait for it a little before settling for the bare state.
                        if endedWithoutReason == nil { endedWithoutReason = clock.now }
                        if let since = endedWithoutReason, clock.now - since >= reasonGrace {
                            return Outcome(state: status.state, message: status.state == .failed ? "failed" : "cancelled",
                                           status: status)
                        }
                    default: break
                    }
                case let .done(done) where done.job == job:
                    // The final numbers come with the next status reply.
                    if done.state != .completed { return Outcome(state: done.state, message: done.message, status: last) }
                case let .error(reply) where reply.code == .unknownJob:
                    throw ClusterError("the coordinator does not know job \(job) (was its state file replaced?)")
                default:
                    continue
                }
            }
            if clock.now - lastAnswer > patience {
                throw ClusterError("the coordinator at \(endpoint) has not answered for \(patience)")
            }
        }
    }

    // MARK: Framing

    private func send(_ message: WireMessage) throws {
        guard try socket.send(ZMQMessage(FrameCodec.encode(message)), timeout: replyTimeout) else {
            throw ClusterError("cannot send to the coordinator at \(endpoint) (not connected within \(replyTimeout))")
        }
    }

    /// The next message that decodes, or nil on timeout; undecodable messages are skipped.
    private func receive(timeout: Duration) throws -> WireMessage? {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            let remaining = deadline - clock.now
            guard remaining > .zero, let message = try socket.receive(timeout: remaining) else { return nil }
            if let reply = FrameCodec.decodeRefusal(frames: message.frames), reply.code == .unsupportedVersion {
                throw ClusterError("the coordinator speaks another protocol version: \(reply.message)")
            }
            if let decoded = try? FrameCodec.decode(frames: message.frames) {
                if case let .done(done) = decoded { ended[done.job] = done }
                return decoded
            }
        }
    }
}
