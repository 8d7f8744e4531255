import Dispatch
import Foundation
import Logging
@testable import MimeoCluster
import MimeoTestSupport
import MimeoWire
import MimeoZMQ
import Synchronization
import Testing

/// A coordinator serving on its own thread for one test. `stop()` sets its stop signal and joins the thread
/// (bounded); dropping the harness does the same.
final class CoordinatorHarness {
    let node: CoordinatorNode
    /// The bound endpoint (`tcp://127.0.0.1:port`).
    let endpoint: String
    private let stopSignal = StopSignal()
    private let finished = DispatchSemaphore(value: 0)
    private let failure = LockedBox<String?>(nil)
    private var joined = false

    init(_ configuration: CoordinatorConfiguration) throws {
        var logger = Logger(label: "mimeo.coordinator.test")
        logger.logLevel = .error
        let node = CoordinatorNode(configuration: configuration, logger: logger)
        let listening = DispatchSemaphore(value: 0)
        let bound = LockedBox<String?>(nil)
        let stop = stopSignal, finished = self.finished, failure = self.failure
        let thread = Thread {
            defer { finished.signal() }
            do {
                try node.run(stop: stop) { endpoint in
                    bound.set(endpoint)
                    listening.signal()
                }
            } catch {
                failure.set("\(error)")
                listening.signal()
            }
        }
        thread.name = "coordinator-under-test"
        thread.start()
        self.node = node
        guard listening.wait(timeout: .now() + 10) == .success, let endpoint = bound.get() else {
            stop.stop()
            _ = finished.wait(timeout: .now() + 5)
            throw ClusterError("the coordinator did not start: \(failure.get() ?? "no endpoint within 10 s")")
        }
        self.endpoint = endpoint
    }

    deinit { _ = stop() }

    /// Stops the coordinator; true when its thread ended within 5 s and `run` returned without throwing.
    @discardableResult
    func stop() -> Bool {
        stopSignal.stop()
        if !joined { joined = finished.wait(timeout: .now() + 5) == .success }
        return joined && failure.get() == nil
    }

    /// Why `run` threw, if it did.
    var error: String? { failure.get() }
}

/// A configuration for a test coordinator in `folder`: a free loopback port and distinctive timings.
func testConfiguration(_ folder: TemporaryDirectory, heartbeat: UInt32 = 250, liveness: UInt16 = 20,
                       leaseTimeout: UInt32 = 10_000, chunkBytes: UInt32 = 1_024) -> CoordinatorConfiguration {
    var configuration = CoordinatorConfiguration(endpoint: "tcp://127.0.0.1:*", statePath: folder.file("coordinator.db"))
    configuration.heartbeatIntervalMilliseconds = heartbeat
    configuration.heartbeatLiveness = liveness
    configuration.leaseTimeoutMilliseconds = leaseTimeout
    configuration.chunkBytes = chunkBytes
    return configuration
}

/// A scripted MWP peer (worker or client): one DEALER socket, used on the thread that made it.
final class Peer {
    let context: ZMQContext
    let socket: ZMQSocket
    /// The socket's connection events, when asked for.
    let monitor: ZMQMonitor?

    init(_ endpoint: String, curve: CurveClientKeys? = nil, monitored: Bool = false) throws {
        context = try ZMQContext()
        socket = try context.makeSocket(.dealer)
        if let curve { try socket.makeCurveClient(keyPair: curve.keyPair, serverKey: curve.serverKey) }
        monitor = monitored ? try socket.makeMonitor(events: .all) : nil
        try socket.connect(endpoint)
    }

    deinit {
        monitor?.socket.close()
        socket.close()
        context.shutdown()
    }

    func send(_ message: WireMessage) throws {
        try sendFrames(FrameCodec.encode(message))
    }

    /// Sends frames as they are (for malformed input).
    func sendFrames(_ frames: [[UInt8]]) throws {
        guard try socket.send(ZMQMessage(frames), timeout: .seconds(5)) else {
            throw ClusterError("could not queue a message within 5 s")
        }
    }

    /// The next message other than HEARTBEAT within `timeout`, or nil. An undecodable message is an issue.
    func next(within timeout: Duration = .seconds(3)) throws -> WireMessage? {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            let remaining = deadline - clock.now
            guard remaining > .zero, let message = try socket.receive(timeout: remaining) else { return nil }
            do {
                let decoded = try FrameCodec.decode(frames: message.frames)
                if decoded != .heartbeat { return decoded }
            } catch {
                Issue.record("the coordinator sent an undecodable message: \(error)")
            }
        }
    }

    /// Every message other than HEARTBEAT that arrives within `duration`.
    func drain(for duration: Duration) throws -> [WireMessage] {
        let clock = ContinuousClock()
        let deadline = clock.now + duration
        var messages: [WireMessage] = []
        while clock.now < deadline, let message = try next(within: deadline - clock.now) { messages.append(message) }
        return messages
    }

    /// The next message, while sending HEARTBEAT every 50 ms (a live worker that waits).
    func next(within timeout: Duration, heartbeating: Bool) throws -> WireMessage? {
        guard heartbeating else { return try next(within: timeout) }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            try send(.heartbeat)
            if let message = try next(within: min(.milliseconds(50), deadline - clock.now)) { return message }
        }
        return nil
    }

    // MARK: Worker

    /// READY as a worker that runs kind 1 up to payload version `version`; returns the WELCOME.
    func join(_ name: String, slots: UInt16 = 1, version: UInt16 = 1) throws -> Welcome {
        try send(.ready(Ready(name: name, software: "scripted-peer 1", threads: 2, slots: slots,
                              kinds: [JobKindSupport(kind: .generate, version: version)], labels: ["site": "test"])))
        let reply = try next()
        guard case let .welcome(welcome)? = reply else {
            throw ClusterError("expected WELCOME, got \(String(describing: reply))")
        }
        return welcome
    }

    /// Waits for a LEASE and decodes its GenerateShard.
    func lease(within timeout: Duration = .seconds(3), heartbeating: Bool = false) throws -> (MimeoWire.Lease, GenerateShard) {
        let reply = try next(within: timeout, heartbeating: heartbeating)
        guard case let .lease(lease)? = reply else { throw ClusterError("expected LEASE, got \(String(describing: reply))") }
        return (lease, try lease.work(as: GenerateShard.self))
    }

    /// RESULT for `lease` claiming `rows` rows (default: the shard's).
    func result(_ lease: MimeoWire.Lease, _ shard: GenerateShard, rows: UInt64? = nil) throws {
        try send(.result(ShardResult(id: lease.id, work: partResult(shard, rows: rows))))
    }

    /// Fetches a model with MODEL-GET, one chunk at a time; returns its bytes.
    func fetchModel(_ hash: ContentHash, size: UInt64, chunkBytes: UInt32) throws -> [UInt8] {
        var bytes: [UInt8] = []
        while UInt64(bytes.count) < size {
            let length = UInt32(min(UInt64(chunkBytes), size - UInt64(bytes.count)))
            try send(.modelGet(ModelGet(hash: hash, offset: UInt64(bytes.count), length: length)))
            let reply = try next()
            guard case let .modelChunk(chunk)? = reply, chunk.hash == hash, chunk.offset == UInt64(bytes.count),
                  chunk.total == size, chunk.data.count == Int(length) else {
                throw ClusterError("expected the MODEL-CHUNK at \(bytes.count), got \(String(describing: reply))")
            }
            bytes += chunk.data
        }
        return bytes
    }

    // MARK: Client

    /// SUBMIT, answering MODEL-GETs from `model` (or `served`, when given, to lie about the bytes), and for the
    /// job's real table from `table`, until ACCEPTED. Returns the job id and the MODEL-GETs the coordinator sent.
    func submit(_ job: GenerateJob, model: [UInt8], served: [UInt8]? = nil, table: [UInt8] = [], label: String = "test",
                request: UInt64 = 1) throws -> (job: UInt64, gets: [ModelGet]) {
        try send(.submit(Submit(request: request, label: label, work: job)))
        var gets: [ModelGet] = []
        while true {
            let reply = try next()
            switch reply {
            case let .modelGet(get)?:
                gets.append(get)
                let bytes = get.hash == job.realTable?.hash ? table : served ?? model
                let end = min(bytes.count, Int(get.offset) + Int(get.length))
                try send(.modelChunk(ModelChunk(hash: get.hash, offset: get.offset, total: UInt64(bytes.count),
                                                data: Array(bytes[Int(get.offset)..<end]))))
            case let .accepted(accepted)? where accepted.request == request:
                return (accepted.job, gets)
            default:
                throw ClusterError("expected MODEL-GET or ACCEPTED, got \(String(describing: reply))")
            }
        }
    }

    /// STATUS and its reply.
    func status(_ job: UInt64 = 0, within timeout: Duration = .seconds(3)) throws -> StatusSnapshot {
        try send(.status(StatusQuery(job: job)))
        let reply = try next(within: timeout)
        guard case let .statusReply(snapshot)? = reply else {
            throw ClusterError("expected STATUS-REPLY, got \(String(describing: reply))")
        }
        return snapshot
    }
}

/// What a scripted worker reports for `shard`: fields derived from the shard, so they can be checked in the
/// manifest.
func partResult(_ shard: GenerateShard, rows: UInt64? = nil) -> GenerateResult {
    GenerateResult(rows: rows ?? shard.rowCount, bytes: shard.rowCount * 10 + 17,
                   checksum: ContentHash.sha256(Array(shard.output.utf8)), elapsedMilliseconds: 3,
                   summaryVersion: 1, summaries: [])
}

/// `count` bytes from a seeded generator.
func randomBytes(_ count: Int, _ rng: inout SplitMix64) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    var offset = 0
    while offset < count {
        var word = rng.next()
        let take = min(8, count - offset)
        withUnsafeBytes(of: &word) { source in
            for index in 0..<take { bytes[offset + index] = source[index] }
        }
        offset += take
    }
    return bytes
}

/// A "model": the coordinator only hashes and serves it, so any bytes do.
func testModel(_ count: Int = 5_000, seed: UInt64 = 1) -> [UInt8] {
    var rng = SplitMix64(seed: seed)
    return randomBytes(count, &rng)
}

/// A generation job of `rows` rows in shards of one batch (4,096 rows) of `model`, writing into `output`.
func testJob(model: [UInt8], rows: UInt64, output: String, maxAttempts: UInt16 = 0) -> GenerateJob {
    GenerateJob(modelHash: ContentHash.sha256(model), modelBytes: UInt64(model.count), rows: rows, seed: 7,
                batchesPerShard: 1, conditions: [WireCondition(column: "sex", value: "Female")], delimiter: 44,
                output: output, maxAttempts: maxAttempts)
}

/// Polls `condition` every 10 ms for up to `timeout`; returns whether it became true.
func eventually(within timeout: Duration = .seconds(5), _ condition: () throws -> Bool) rethrows -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while true {
        if try condition() { return true }
        if clock.now >= deadline { return false }
        usleep(10_000)
    }
}

/// Scripted workers on their own threads: each joins, asks for one lease at a time, reports every shard it gets
/// as done (with PROGRESS first) and heartbeats, until stopped.
final class ScriptedWorkers {
    private let stopSignal = StopSignal()
    private let finished = DispatchSemaphore(value: 0)
    private let count: Int
    private let shared = Shared()
    private var joined = false

    /// What the worker threads report.
    private final class Shared: Sendable {
        let shardsDone = Atomic<Int>(0)
        let errors = Mutex<[String]>([])
    }

    init(_ count: Int, endpoint: String) {
        self.count = count
        for index in 0..<count {
            let stop = stopSignal, finished = self.finished, shared = self.shared
            let thread = Thread {
                defer { finished.signal() }
                do {
                    try Self.run(name: "scripted-\(index + 1)", endpoint: endpoint, stop: stop,
                                 done: { shared.shardsDone.wrappingAdd(1, ordering: .relaxed) })
                } catch {
                    shared.errors.withLock { $0.append("\(error)") }
                }
            }
            thread.start()
        }
    }

    /// Shards reported, over all workers.
    var shardsDone: Int { shared.shardsDone.load(ordering: .relaxed) }
    /// Errors of the worker threads.
    var errors: [String] { shared.errors.withLock { $0 } }

    deinit { _ = stop() }

    /// Stops the workers; true when every thread ended within 5 s.
    @discardableResult
    func stop() -> Bool {
        stopSignal.stop()
        if !joined { joined = (0..<count).allSatisfy { _ in finished.wait(timeout: .now() + 5) == .success } }
        return joined
    }

    private static func run(name: String, endpoint: String, stop: StopSignal, done: () -> Void) throws {
        let peer = try Peer(endpoint)
        let welcome = try peer.join(name)
        let interval = Duration.milliseconds(Int(welcome.heartbeatIntervalMilliseconds))
        try peer.send(.ask(Ask(slots: 1)))
        let clock = ContinuousClock()
        var lastSent = clock.now
        while !stop.isStopped {
            if case let .lease(lease)? = try peer.next(within: .milliseconds(20)) {
                let shard = try lease.work(as: GenerateShard.self)
                try peer.send(.progress(Progress(id: lease.id, done: shard.rowCount / 2, total: shard.rowCount)))
                try peer.result(lease, shard)
                try peer.send(.ask(Ask(slots: 1)))
                lastSent = clock.now
                done()
            }
            if clock.now - lastSent >= interval / 2 {
                try peer.send(.heartbeat)
                lastSent = clock.now
            }
        }
        try peer.send(.disconnect)
    }
}
