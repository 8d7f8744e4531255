/// Turns `WireMessage`s into ZeroMQ frames and back (spec: Framing, Commands). Pure: no sockets, no clock.
///
/// `decode(frames:)` checks every frame size, length and count against the limits and the bytes left before it
/// allocates, and accepts only the canonical encoding, so `encode(decode(frames)) == frames` for every message it
/// accepts. Whatever the input, it returns a message or throws a `WireError`; it never traps.
public enum FrameCodec {
    /// The frames of `message`: header, command, then body and bulk frames as the command needs.
    ///
    /// Strings longer than the limit are cut at a character boundary; other limits (list and map counts, frame
    /// sizes) are the caller's to respect, and `encodeChecked(_:)` verifies them.
    public static func encode(_ message: WireMessage) -> [[UInt8]] {
        var frames: [[UInt8]] = [ProtocolVersion.header, [message.command.rawValue]]
        var body = WireWriter()
        var bulk: [UInt8]?
        switch message {
        case .heartbeat, .disconnect:
            return frames
        case let .ready(value):
            body.u16(value.minor)
            body.string(value.name)
            body.string(value.software)
            body.u16(value.threads)
            body.u16(value.slots)
            body.list(value.kinds) { writer, support in
                writer.u16(support.kind.rawValue)
                writer.u16(support.version)
            }
            body.map(value.labels)
        case let .welcome(value):
            body.u16(value.minor)
            body.u64(value.workerID)
            body.u32(value.heartbeatIntervalMilliseconds)
            body.u16(value.heartbeatLiveness)
            body.u32(value.leaseTimeoutMilliseconds)
            body.u32(value.chunkBytes)
        case let .ask(value):
            body.u16(value.slots)
        case let .lease(value):
            body.attempt(value.id)
            body.u16(value.kind.rawValue)
            body.u16(value.version)
            body.u32(value.timeoutMilliseconds)
            bulk = value.payload
        case let .progress(value):
            body.attempt(value.id)
            body.u64(value.done)
            body.u64(value.total)
        case let .result(value):
            body.attempt(value.id)
            body.u16(value.kind.rawValue)
            body.u16(value.version)
            bulk = value.payload
        case let .fail(value):
            body.attempt(value.id)
            body.u16(value.code.rawValue)
            body.bool(value.isRetryable)
            body.string(value.message)
        case let .cancel(value):
            body.u64(value.job)
        case let .modelGet(value):
            body.hash(value.hash)
            body.u64(value.offset)
            body.u32(value.length)
        case let .modelChunk(value):
            body.hash(value.hash)
            body.u64(value.offset)
            body.u32(UInt32(truncatingIfNeeded: value.data.count))
            body.u64(value.total)
            bulk = value.data
        case let .submit(value):
            body.u64(value.request)
            body.u16(value.kind.rawValue)
            body.u16(value.version)
            body.string(value.label)
            bulk = value.payload
        case let .accepted(value):
            body.u64(value.request)
            body.u64(value.job)
        case let .status(value):
            body.u64(value.job)
        case let .statusReply(value):
            body.u64(value.time)
            body.list(value.workers) { writer, worker in writer.workerStatus(worker) }
            body.list(value.jobs) { writer, job in writer.jobStatus(job) }
        case let .done(value):
            body.u64(value.job)
            body.u8(value.state.rawValue)
            body.u16(value.code.rawValue)
            body.string(value.message)
        case let .error(value):
            body.u16(value.code.rawValue)
            body.u8(value.command)
            body.string(value.message)
        case let .jobDetail(value):
            body.u64(value.job)
        case let .jobDetailReply(value):
            body.u64(value.job)
            body.u16(value.kind.rawValue)
            body.u16(value.version)
            body.bytes(value.detail)
        }
        frames.append(body.bytes)
        if let bulk { frames.append(bulk) }
        return frames
    }

    /// The frames of `message`, verified to be within every limit and accepted by `decode(frames:)`.
    ///
    /// - Throws: the `WireError` the receiver would report, for example `frameTooLarge` for a bulk frame over
    ///   16 MiB or `limitExceeded` for a list of more than 65,536 elements.
    public static func encodeChecked(_ message: WireMessage) throws(WireError) -> [[UInt8]] {
        let frames = encode(message)
        _ = try decode(frames: frames)
        return frames
    }

    /// The message in `frames` (the frames after any ROUTER identity frame).
    ///
    /// - Throws: `WireError` for a message that is not MWP, of another major version, of an unknown command,
    ///   with the wrong number of frames, oversized, truncated, with trailing bytes or with a value the spec does
    ///   not allow. The caller drops the message and counts it.
    public static func decode(frames: [[UInt8]]) throws(WireError) -> WireMessage {
        guard let header = frames.first else { throw .frameCount(command: nil, expected: nil, actual: 0) }
        try checkHeader(header)
        guard frames.count >= 2, frames.count <= ProtocolVersion.maxFrames else {
            throw .frameCount(command: nil, expected: nil, actual: frames.count)
        }
        guard frames[1].count == 1 else { throw .badCommandFrame(length: frames[1].count) }
        guard let command = WireCommand(rawValue: frames[1][0]) else { throw .unknownCommand(frames[1][0]) }
        guard frames.count == command.frameCount else {
            throw .frameCount(command: command.name, expected: command.frameCount, actual: frames.count)
        }
        if frames.count >= 3, frames[2].count > ProtocolVersion.maxBodyBytes {
            throw .frameTooLarge(frame: 3, size: frames[2].count, limit: ProtocolVersion.maxBodyBytes)
        }
        if frames.count == 4, frames[3].count > ProtocolVersion.maxBulkBytes {
            throw .frameTooLarge(frame: 4, size: frames[3].count, limit: ProtocolVersion.maxBulkBytes)
        }
        if command.frameCount == 2 { return command == .heartbeat ? .heartbeat : .disconnect }

        var body = WireReader(frames[2], frame: 3)
        let message: WireMessage
        switch command {
        case .heartbeat: message = .heartbeat
        case .disconnect: message = .disconnect
        case .ready:
            let minor = try body.u16("READY minor")
            let name = try body.string("READY name")
            let software = try body.string("READY software")
            let threads = try body.u16("READY threads")
            let slots = try body.u16("READY slots")
            let kinds = try body.list("READY kinds", minimumElementBytes: 4) { reader throws(WireError) in
                JobKindSupport(kind: JobKind(rawValue: try reader.u16("READY kind")),
                               version: try reader.u16("READY kind version"))
            }
            let labels = try body.map("READY labels")
            guard slots >= 1 else { throw .invalidValue(field: "READY slots", reason: "must be at least 1") }
            message = .ready(Ready(minor: minor, name: name, software: software, threads: threads, slots: slots,
                                   kinds: kinds, labels: labels))
        case .welcome:
            message = .welcome(Welcome(minor: try body.u16("WELCOME minor"),
                                       workerID: try body.u64("WELCOME worker"),
                                       heartbeatIntervalMilliseconds: try body.positiveU32("WELCOME heartbeat interval"),
                                       heartbeatLiveness: try body.positiveU16("WELCOME liveness"),
                                       leaseTimeoutMilliseconds: try body.positiveU32("WELCOME lease timeout"),
                                       chunkBytes: try body.chunkLength("WELCOME chunk bytes")))
        case .ask:
            message = .ask(Ask(slots: try body.positiveU16("ASK slots")))
        case .lease:
            let id = try body.attempt("LEASE")
            let kind = JobKind(rawValue: try body.u16("LEASE kind"))
            let version = try body.u16("LEASE version")
            let timeout = try body.positiveU32("LEASE timeout")
            message = .lease(Lease(id: id, kind: kind, version: version, timeoutMilliseconds: timeout,
                                   payload: frames[3]))
        case .progress:
            let id = try body.attempt("PROGRESS")
            let done = try body.u64("PROGRESS done")
            let total = try body.u64("PROGRESS total")
            guard done <= total else { throw .invalidValue(field: "PROGRESS done", reason: "above total") }
            message = .progress(Progress(id: id, done: done, total: total))
        case .result:
            let id = try body.attempt("RESULT")
            let kind = JobKind(rawValue: try body.u16("RESULT kind"))
            let version = try body.u16("RESULT version")
            message = .result(ShardResult(id: id, kind: kind, version: version, payload: frames[3]))
        case .fail:
            message = .fail(Failure(id: try body.attempt("FAIL"), code: ErrorCode(rawValue: try body.u16("FAIL code")),
                                    isRetryable: try body.bool("FAIL retryable"),
                                    message: try body.string("FAIL message")))
        case .cancel:
            message = .cancel(Cancel(job: try body.jobID("CANCEL job")))
        case .modelGet:
            message = .modelGet(ModelGet(hash: try body.hash("MODEL-GET hash"), offset: try body.u64("MODEL-GET offset"),
                                         length: try body.chunkLength("MODEL-GET length")))
        case .modelChunk:
            let hash = try body.hash("MODEL-CHUNK hash")
            let offset = try body.u64("MODEL-CHUNK offset")
            let length = try body.u32("MODEL-CHUNK length")
            let total = try body.u64("MODEL-CHUNK total")
            guard Int(length) == frames[3].count else {
                throw .invalidValue(field: "MODEL-CHUNK length", reason: "\(length) but frame 4 has \(frames[3].count) bytes")
            }
            let (end, overflow) = offset.addingReportingOverflow(UInt64(length))
            guard !overflow, end <= total else {
                throw .invalidValue(field: "MODEL-CHUNK offset", reason: "offset + length is past total")
            }
            message = .modelChunk(ModelChunk(hash: hash, offset: offset, total: total, data: frames[3]))
        case .submit:
            message = .submit(Submit(request: try body.u64("SUBMIT request"),
                                     kind: JobKind(rawValue: try body.u16("SUBMIT kind")),
                                     version: try body.u16("SUBMIT version"), label: try body.string("SUBMIT label"),
                                     payload: frames[3]))
        case .accepted:
            message = .accepted(Accepted(request: try body.u64("ACCEPTED request"), job: try body.jobID("ACCEPTED job")))
        case .status:
            message = .status(StatusQuery(job: try body.u64("STATUS job")))
        case .statusReply:
            let time = try body.u64("STATUS-REPLY time")
            let workers = try body.list("STATUS-REPLY workers", minimumElementBytes: 41) { reader throws(WireError) in
                try reader.workerStatus()
            }
            let jobs = try body.list("STATUS-REPLY jobs", minimumElementBytes: 73) { reader throws(WireError) in
                try reader.jobStatus()
            }
            message = .statusReply(StatusSnapshot(time: time, workers: workers, jobs: jobs))
        case .done:
            let job = try body.jobID("DONE job")
            let state = try body.jobState("DONE state")
            guard state == .completed || state == .failed || state == .cancelled else {
                throw .invalidValue(field: "DONE state", reason: "a job ends completed, failed or cancelled")
            }
            message = .done(JobDone(job: job, state: state, code: ErrorCode(rawValue: try body.u16("DONE code")),
                                    message: try body.string("DONE message")))
        case .error:
            message = .error(ErrorReply(code: ErrorCode(rawValue: try body.u16("ERROR code")),
                                        command: try body.u8("ERROR command"), message: try body.string("ERROR message")))
        case .jobDetail:
            message = .jobDetail(JobDetailQuery(job: try body.jobID("JOB-DETAIL job")))
        case .jobDetailReply:
            let job = try body.jobID("JOB-DETAIL-REPLY job")
            let kind = JobKind(rawValue: try body.u16("JOB-DETAIL-REPLY kind"))
            let version = try body.positiveU16("JOB-DETAIL-REPLY version")
            // The detail is bounded by the body frame it sits in.
            let detail = try body.bytes("JOB-DETAIL-REPLY detail", limit: ProtocolVersion.maxBodyBytes)
            message = .jobDetailReply(JobDetail(job: job, kind: kind, version: version, detail: detail))
        }
        try body.finish()
        return message
    }

    /// Checks frame 1: "MWP" and two ASCII digits naming this major version.
    static func checkHeader(_ frame: [UInt8]) throws(WireError) {
        guard frame.count == ProtocolVersion.header.count, frame.starts(with: ProtocolVersion.headerPrefix) else {
            throw .notMWP
        }
        let digits = frame[3...]
        guard digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { throw .notMWP }
        let major = digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        guard major == ProtocolVersion.major else { throw .unsupportedVersion(major: major) }
    }

    /// The major version a header frame names, if it is an MWP header of any version; lets a node answer a peer
    /// of another version with ERROR 401 in the layout every version shares.
    public static func majorVersion(ofHeader frame: [UInt8]) -> Int? {
        guard frame.count == ProtocolVersion.header.count, frame.starts(with: ProtocolVersion.headerPrefix),
              frame[3...].allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        return frame[3...].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
    }
}

extension WireWriter {
    mutating func attempt(_ id: AttemptID) {
        u64(id.job)
        u32(id.shard)
        u32(id.attempt)
    }

    mutating func workerStatus(_ worker: WorkerStatus) {
        u64(worker.workerID)
        string(worker.name)
        string(worker.address)
        u8(worker.state.rawValue)
        u32(worker.lastHeardMilliseconds)
        u16(worker.threads)
        u16(worker.slots)
        list(worker.leases) { writer, id in writer.attempt(id) }
        u64(worker.unitsPerSecond)
        u64(worker.shardsDone)
    }

    mutating func jobStatus(_ job: JobStatus) {
        u64(job.job)
        u16(job.kind.rawValue)
        u8(job.state.rawValue)
        string(job.label)
        u32(job.shards)
        u32(job.shardsDone)
        u32(job.shardsLeased)
        u64(job.unitsTotal)
        u64(job.unitsDone)
        u64(job.unitsPerSecond)
        u32(job.retries)
        u32(job.failedAttempts)
        u64(job.startedAt)
        u64(job.elapsedMilliseconds)
    }
}

extension WireReader {
    mutating func positiveU16(_ field: String) throws(WireError) -> UInt16 {
        let value = try u16(field)
        guard value >= 1 else { throw .invalidValue(field: field, reason: "must be at least 1") }
        return value
    }

    mutating func positiveU32(_ field: String) throws(WireError) -> UInt32 {
        let value = try u32(field)
        guard value >= 1 else { throw .invalidValue(field: field, reason: "must be at least 1") }
        return value
    }

    mutating func jobID(_ field: String) throws(WireError) -> UInt64 {
        let value = try u64(field)
        guard value >= 1 else { throw .invalidValue(field: field, reason: "job ids start at 1") }
        return value
    }

    mutating func chunkLength(_ field: String) throws(WireError) -> UInt32 {
        let value = try positiveU32(field)
        guard value <= ProtocolVersion.maxChunkBytes else {
            throw .limitExceeded(field: field, value: Int(value), limit: Int(ProtocolVersion.maxChunkBytes))
        }
        return value
    }

    mutating func attempt(_ command: String) throws(WireError) -> AttemptID {
        let job = try jobID(command + " job")
        let shard = try u32(command + " shard")
        let attempt = try positiveU32(command + " attempt")
        return AttemptID(job: job, shard: shard, attempt: attempt)
    }

    mutating func jobState(_ field: String) throws(WireError) -> JobState {
        let raw = try u8(field)
        guard let state = JobState(rawValue: raw) else { throw .invalidValue(field: field, reason: "unknown job state \(raw)") }
        return state
    }

    mutating func workerStatus() throws(WireError) -> WorkerStatus {
        let id = try u64("worker id")
        let name = try string("worker name")
        let address = try string("worker address")
        let raw = try u8("worker state")
        guard let state = WorkerState(rawValue: raw) else {
            throw .invalidValue(field: "worker state", reason: "unknown worker state \(raw)")
        }
        return WorkerStatus(workerID: id, name: name, address: address, state: state,
                            lastHeardMilliseconds: try u32("worker last heard"), threads: try u16("worker threads"),
                            slots: try u16("worker slots"),
                            leases: try list("worker leases", minimumElementBytes: 16) { reader throws(WireError) in
                                try reader.attempt("worker lease")
                            },
                            unitsPerSecond: try u64("worker units per second"), shardsDone: try u64("worker shards done"))
    }

    mutating func jobStatus() throws(WireError) -> JobStatus {
        JobStatus(job: try jobID("job id"), kind: JobKind(rawValue: try u16("job kind")), state: try jobState("job state"),
                  label: try string("job label"), shards: try u32("job shards"), shardsDone: try u32("job shards done"),
                  shardsLeased: try u32("job shards leased"), unitsTotal: try u64("job units total"),
                  unitsDone: try u64("job units done"), unitsPerSecond: try u64("job units per second"),
                  retries: try u32("job retries"), failedAttempts: try u32("job failed attempts"),
                  startedAt: try u64("job started at"), elapsedMilliseconds: try u64("job elapsed"))
    }
}

extension FrameCodec {
    /// Reads an ERROR sent with the header of any MWP major version (its layout never changes, spec: ERROR), so
    /// a node refused by a peer of another version can report why. Nil for anything else.
    public static func decodeRefusal(frames: [[UInt8]]) -> ErrorReply? {
        guard frames.count == WireCommand.error.frameCount, majorVersion(ofHeader: frames[0]) != nil else { return nil }
        var rewritten = frames
        rewritten[0] = ProtocolVersion.header
        guard case let .error(reply)? = try? decode(frames: rewritten) else { return nil }
        return reply
    }
}
