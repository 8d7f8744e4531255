// Loopback benchmark of the cluster coordinator (issue 7): lease round trips per second with many simulated
// workers. Not part of the test suite; run it with
//   swift build -c release --product MimeoClusterBenchmark && .build/release/MimeoClusterBenchmark
// or `make bench-cluster` for the standard matrix. It talks only to 127.0.0.1. The numbers go into docs/scaling.md.
//
// Each run starts a `CoordinatorNode` in this process on its own thread (fresh state file), submits one generation
// job of many one-batch shards through a `ClusterClient` (which uploads a small fake model), then runs the simulated
// workers: DEALER sockets that READY, ASK with their slots, and answer every LEASE at once with a RESULT (the
// shard's rows, a fake checksum, a summaries blob of `--summary-bytes`) followed by a new ASK, and send a HEARTBEAT
// after a second without sending anything (spec: Heartbeating). The client polls the job's STATUS meanwhile. After a
// warm-up it counts, over a timed window, the results the coordinator accepted, the messages it received and sent
// (`CoordinatorNode.counters`), the CPU time of the coordinator's threads, and the bytes the process wrote
// (`/proc/self/io`).
import Foundation
import Logging
import MimeoCluster
import MimeoGeneration
import MimeoTabular
import MimeoWire
import MimeoZMQ
import Synchronization

// MARK: Options

struct Options {
    var workers: [Int] = [1, 10, 100]
    var slots: [Int] = [1, 4]
    var durabilities: [CoordinatorStore.Durability] = [.full]
    var seconds: Double = 10
    var warmup: Double = 2
    var shards = 0
    var summaryBytes = 0
    var drivers = 1
    var statusMilliseconds = 500
    var stateDirectory = NSTemporaryDirectory()
    var jsonPath: String?
    var sizesOnly = false
    var modelPath: String?
    var summaryBatches = 1

    static let usage = """
        usage: MimeoClusterBenchmark [--workers 1,10,100] [--slots 1,4] [--durability full,normal] [--seconds 10]
                                     [--warmup 2] [--shards N] [--summary-bytes 0] [--drivers 1] [--status-ms 500]
                                     [--state-dir DIR] [--json PATH] [--sizes] [--model m.mimeo]
                                     [--summary-batches 1]
          every combination of --workers, --slots and --durability is one run with a fresh coordinator;
          --shards: shards of the job (default: enough for 60,000 round trips/s over warm-up and window);
          --drivers: threads that run the simulated workers; --status-ms: the submitting client asks for the job's
          status this often, as `mimeo generate --cluster` does (0: never); --sizes: print only the message sizes;
          --model: also size a RESULT whose summaries are this model's statistics of one generated shard of
          --summary-batches batches of 4,096 rows.
        """

    init(arguments: [String]) throws {
        var rest = arguments[...]
        func value(_ name: String) throws -> String {
            guard let next = rest.popFirst() else { throw ClusterError("\(name) needs a value") }
            return next
        }
        func integers(_ name: String) throws -> [Int] {
            let list = try value(name).split(separator: ",").map { Int($0) }
            guard !list.isEmpty, list.allSatisfy({ ($0 ?? 0) >= 1 }) else {
                throw ClusterError("\(name): expected positive integers separated by commas")
            }
            return list.map { $0! }
        }
        func number(_ name: String) throws -> Double {
            guard let parsed = Double(try value(name)), parsed >= 0 else { throw ClusterError("\(name): expected a number") }
            return parsed
        }
        while let argument = rest.popFirst() {
            switch argument {
            case "--workers": workers = try integers(argument)
            case "--slots": slots = try integers(argument)
            case "--durability":
                durabilities = try value(argument).split(separator: ",").map { name in
                    guard let durability = CoordinatorStore.Durability(rawValue: String(name)) else {
                        throw ClusterError("--durability: expected full or normal, got \(name)")
                    }
                    return durability
                }
            case "--seconds": seconds = max(1, try number(argument))
            case "--warmup": warmup = try number(argument)
            case "--shards": shards = try integers(argument)[0]
            case "--summary-bytes": summaryBytes = Int(try number(argument))
            case "--drivers": drivers = try integers(argument)[0]
            case "--status-ms": statusMilliseconds = Int(try number(argument))
            case "--state-dir": stateDirectory = try value(argument)
            case "--json": jsonPath = try value(argument)
            case "--sizes": sizesOnly = true
            case "--model": modelPath = try value(argument)
            case "--summary-batches": summaryBatches = try integers(argument)[0]
            case "-h", "--help":
                print(Self.usage)
                exit(0)
            default: throw ClusterError("unknown argument \(argument)\n\(Self.usage)")
            }
        }
        if shards == 0 { shards = Int((seconds + warmup + 5) * 60_000) }
    }
}

// MARK: Measuring the process

/// CPU seconds of one thread of this process (`/proc/self/task/<tid>/stat`, user + system).
func threadCPUSeconds(_ tid: Int32) -> Double {
    guard let stat = try? String(contentsOfFile: "/proc/self/task/\(tid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")")
    else { return 0 }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    // Fields after the command: state is 3, utime 14 and stime 15 (1-based in proc(5)).
    guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

/// The kernel ids of this process's threads.
func threadIDs() -> Set<Int32> {
    Set(((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []).compactMap { Int32($0) })
}

/// CPU seconds of the whole process.
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// This process's I/O counters (`/proc/self/io`): bytes passed to write calls, write calls, bytes sent to storage.
struct IOCounters {
    var writtenBytes: Double = 0
    var writeCalls: Double = 0
    var storageBytes: Double = 0

    static func now() -> IOCounters {
        var counters = IOCounters()
        guard let text = try? String(contentsOfFile: "/proc/self/io", encoding: .utf8) else { return counters }
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":")
            guard parts.count == 2, let value = Double(parts[1].trimmingCharacters(in: .whitespaces)) else { continue }
            switch parts[0] {
            case "wchar": counters.writtenBytes = value
            case "syscw": counters.writeCalls = value
            case "write_bytes": counters.storageBytes = value
            default: break
            }
        }
        return counters
    }
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

// MARK: Simulated workers

/// One simulated worker's socket and state, owned by its driver thread.
struct SimulatedWorker {
    let socket: ZMQSocket
    /// When it last sent anything: a HEARTBEAT goes out after one interval of silence (spec: Heartbeating).
    var lastSent: ContinuousClock.Instant
}

/// A value that several threads read and write under a lock.
final class Shared<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<Result>(_ body: (inout Value) -> Result) -> Result { mutex.withLock { body(&$0) } }
}

/// This thread's kernel id (for `/proc/self/task/<tid>`), from the `/proc/thread-self` link (`<pid>/task/<tid>`).
func currentThreadID() -> Int32 {
    let link = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self")) ?? ""
    return link.split(separator: "/").last.flatMap { Int32($0) } ?? 0
}

/// The ERRORs and DISCONNECTs the simulated workers got, summed over the driver threads (none in a sound run).
struct DriverTally: Sendable {
    var errors: UInt64 = 0
    var disconnects: UInt64 = 0
}

/// Runs the simulated workers numbered `indices` on the calling thread until `stop` is set.
func driveWorkers(indices: [Int], slots: UInt16, endpoint: String, context: ZMQContext, summaryBytes: Int,
                  stop: StopSignal, tally: Shared<DriverTally>) throws {
    let clock = ContinuousClock()
    let poller = ZMQPoller()
    var workers: [SimulatedWorker] = []
    let ready = Ready(name: "", software: "MimeoClusterBenchmark", threads: 1, slots: slots,
                      kinds: [JobKindSupport(kind: GenerateShard.kind, version: GenerateShard.version)])
    for index in indices {
        let socket = try context.makeSocket(.dealer)
        try socket.setRoutingID(Array("sim-\(index)".utf8))
        try socket.setHighWaterMarks(send: 100_000, receive: 100_000)
        try socket.connect(endpoint)
        var named = ready
        named.name = "sim-\(index)"
        try socket.send(ZMQMessage(FrameCodec.encode(.ready(named))))
        poller.register(socket)
        workers.append(SimulatedWorker(socket: socket, lastSent: clock.now))
    }
    defer { for worker in workers { worker.socket.close() } }
    let checksum = ContentHash(bytes: [UInt8](repeating: 0xAB, count: ContentHash.byteCount))!
    let summaries = [UInt8](repeating: UInt8(ascii: "x"), count: summaryBytes)
    let heartbeat = ZMQMessage(FrameCodec.encode(.heartbeat))
    var local = DriverTally()
    while !stop.isStopped {
        let events = try poller.poll(timeout: .milliseconds(50))
        let now = clock.now
        for index in workers.indices {
            var replies: [ZMQMessage] = []
            var asks = false
            if !events[index].isEmpty {
                while let message = try workers[index].socket.receive(timeout: .zero) {
                    guard let decoded = try? FrameCodec.decode(frames: message.frames) else { continue }
                    switch decoded {
                    case .welcome:
                        asks = true
                    case let .lease(lease):
                        let rows = (try? lease.work(as: GenerateShard.self).rowCount) ?? 0
                        let result = GenerateResult(rows: rows, bytes: rows * 108, checksum: checksum,
                                                    elapsedMilliseconds: 1, summaryVersion: PartSummaries.version,
                                                    summaries: summaries)
                        replies.append(ZMQMessage(FrameCodec.encode(.result(ShardResult(id: lease.id, work: result)))))
                        asks = true
                    case .error: local.errors += 1
                    case .disconnect: local.disconnects += 1
                    default: break
                    }
                }
            }
            // Every lease is answered at once, so after the results all slots are free again.
            for reply in replies { try workers[index].socket.send(reply) }
            if asks { try workers[index].socket.send(ZMQMessage(FrameCodec.encode(.ask(Ask(slots: slots))))) }
            if asks || !replies.isEmpty { workers[index].lastSent = now }
            if now - workers[index].lastSent >= .seconds(1) {
                workers[index].lastSent = now
                try workers[index].socket.send(heartbeat)
            }
        }
        if local.errors > 0 || local.disconnects > 0 {
            let delta = local
            tally.withLock {
                $0.errors += delta.errors
                $0.disconnects += delta.disconnects
            }
            local = DriverTally()
        }
    }
    for worker in workers { _ = try? worker.socket.send(ZMQMessage(FrameCodec.encode(.disconnect)), timeout: .zero) }
}

// MARK: One run

/// The figures of one run over its timed window.
struct RunResult: Codable {
    var workers: Int
    var slots: Int
    var durability: String
    var drivers: Int
    var summaryBytes: Int
    /// STATUS queries answered in the window.
    var statusReplies: Int
    var shards: Int
    /// From SUBMIT to ACCEPTED: the model upload and the job's shards stored.
    var submitSeconds: Double
    var windowSeconds: Double
    var roundTripsPerSecond: Double
    var messagesInPerSecond: Double
    var messagesOutPerSecond: Double
    var meanRoundTripMilliseconds: Double
    /// CPU time of the coordinator's loop thread per round trip (its ZeroMQ I/O thread not included).
    var coordinatorCPUMicrosecondsPerRoundTrip: Double
    /// The same with the coordinator's ZeroMQ I/O thread: what one round trip costs the coordinator process.
    var coordinatorAllThreadsCPUMicrosecondsPerRoundTrip: Double
    var coordinatorThreadCPUShare: Double
    var processCPUShare: Double
    /// Poll-loop passes (one transaction, one commit each) per second, and round trips per pass.
    var passesPerSecond: Double
    var roundTripsPerPass: Double
    var writtenBytesPerRoundTrip: Double
    var writeCallsPerRoundTrip: Double
    var storageBytesPerRoundTrip: Double
    var stateFileBytes: Int
    var staleAnswers: UInt64
    var sendFailures: UInt64
    /// ERRORs and DISCONNECTs the simulated workers got.
    var driverErrors: UInt64
}

func fileSize(_ path: String) -> Int {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
}

func run(workers: Int, slots: Int, durability: CoordinatorStore.Durability, options: Options) throws -> RunResult {
    let folder = (options.stateDirectory as NSString).appendingPathComponent("mimeo-cluster-bench-\(getpid())-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    var configuration = CoordinatorConfiguration(endpoint: "tcp://127.0.0.1:*",
                                                 statePath: (folder as NSString).appendingPathComponent("state.db"))
    configuration.durability = durability
    configuration.writesManifests = false
    var logger = Logger(label: "mimeo.coordinator")
    logger.logLevel = .warning
    let coordinator = CoordinatorNode(configuration: configuration, logger: logger)

    // The coordinator's thread: it reports its thread id and endpoint, then serves until stopped.
    let stopCoordinator = StopSignal()
    let listening = DispatchSemaphore(value: 0)
    let coordinatorDone = DispatchSemaphore(value: 0)
    let started = Shared<(tid: Int32, endpoint: String?, error: String?)>((0, nil, nil))
    let threadsBefore = threadIDs()
    Thread {
        defer { coordinatorDone.signal() }
        started.withLock { $0.tid = currentThreadID() }
        do {
            try coordinator.run(stop: stopCoordinator) { endpoint in
                started.withLock { $0.endpoint = endpoint }
                listening.signal()
            }
        } catch {
            started.withLock { $0.error = "\(error)" }
            listening.signal()
        }
    }.start()
    defer {
        stopCoordinator.stop()
        coordinatorDone.wait()
    }
    guard listening.wait(timeout: .now() + 30) == .success else { throw ClusterError("the coordinator did not start") }
    let (tid, bound, failure) = started.withLock { $0 }
    // The coordinator's loop thread and its ZeroMQ context's I/O and reaper threads.
    let coordinatorThreads = threadIDs().subtracting(threadsBefore)
    func coordinatorCPUSeconds() -> Double { coordinatorThreads.reduce(0) { $0 + threadCPUSeconds($1) } }
    guard let endpoint = bound else { throw ClusterError("the coordinator failed: \(failure ?? "?")") }

    // The job: one batch per shard, a small fake model that the coordinator fetches and hashes.
    let modelPath = (folder as NSString).appendingPathComponent("model.bin")
    var generator = SystemRandomNumberGenerator()
    let model = (0..<65_536).map { _ in UInt8.random(in: 0...255, using: &generator) }
    try Data(model).write(to: URL(fileURLWithPath: modelPath))
    let job = GenerateJob(modelHash: .sha256(model), modelBytes: UInt64(model.count),
                          rows: UInt64(options.shards) * 4_096, seed: 7, batchesPerShard: 1, conditions: [],
                          delimiter: UInt8(ascii: ","), output: (folder as NSString).appendingPathComponent("out"),
                          maxAttempts: 0)
    let clock = ContinuousClock()
    let submitStart = clock.now
    let client = try ClusterClient(endpoint: endpoint, replyTimeout: .seconds(120))
    let jobID = try client.submit(job, label: "bench", modelPath: modelPath)
    let submitSeconds = seconds(clock.now - submitStart)

    // The simulated workers, spread over the driver threads.
    let context = try ZMQContext()
    defer { context.shutdown() }
    let stopDrivers = StopSignal()
    let tally = Shared(DriverTally())
    let driverCount = min(options.drivers, workers)
    let driversDone = DispatchSemaphore(value: 0)
    for driver in 0..<driverCount {
        let indices = Array(stride(from: driver, to: workers, by: driverCount))
        Thread {
            defer { driversDone.signal() }
            do {
                try driveWorkers(indices: indices, slots: UInt16(slots), endpoint: endpoint, context: context,
                                 summaryBytes: options.summaryBytes, stop: stopDrivers, tally: tally)
            } catch {
                FileHandle.standardError.write(Data("driver \(driver): \(error)\n".utf8))
            }
        }.start()
    }
    defer { for _ in 0..<driverCount { driversDone.wait() } }
    defer { stopDrivers.stop() }

    // The client waits as `ClusterClient.wait` does: one STATUS of the job every `statusMilliseconds`.
    var statusReplies = 0
    func wait(_ duration: Double) throws {
        let end = clock.now + .milliseconds(Int(duration * 1_000))
        while clock.now < end {
            guard options.statusMilliseconds > 0 else {
                Thread.sleep(forTimeInterval: seconds(end - clock.now))
                break
            }
            _ = try client.status(job: jobID, timeout: .seconds(10))
            statusReplies += 1
            let next = min(end, clock.now + .milliseconds(options.statusMilliseconds))
            if next > clock.now { Thread.sleep(forTimeInterval: seconds(next - clock.now)) }
        }
    }
    try wait(options.warmup)
    let before = coordinator.counters
    let ioBefore = IOCounters.now()
    let cpuBefore = (threadCPUSeconds(tid), processCPUSeconds(), coordinatorCPUSeconds())
    let windowStart = clock.now
    let statusBefore = statusReplies
    try wait(options.seconds)
    let after = coordinator.counters
    let window = seconds(clock.now - windowStart)
    let ioAfter = IOCounters.now()
    let cpuAfter = (threadCPUSeconds(tid), processCPUSeconds(), coordinatorCPUSeconds())
    let stateBytes = fileSize(configuration.statePath) + fileSize(configuration.statePath + "-wal")
    let driverErrors = tally.withLock { $0.errors + $0.disconnects }

    let trips = Double(after.resultsAccepted - before.resultsAccepted)
    let perTrip = { (value: Double) in trips > 0 ? value / trips : 0 }
    let passes = Double(after.passes - before.passes)
    return RunResult(
        workers: workers, slots: slots, durability: durability.rawValue, drivers: driverCount,
        summaryBytes: options.summaryBytes, statusReplies: statusReplies - statusBefore, shards: options.shards,
        submitSeconds: submitSeconds, windowSeconds: window,
        roundTripsPerSecond: trips / window,
        messagesInPerSecond: Double(after.messagesIn - before.messagesIn) / window,
        messagesOutPerSecond: Double(after.messagesOut - before.messagesOut) / window,
        meanRoundTripMilliseconds: Double(after.roundTripMillisecondsTotal - before.roundTripMillisecondsTotal)
            / max(1, trips),
        coordinatorCPUMicrosecondsPerRoundTrip: perTrip((cpuAfter.0 - cpuBefore.0) * 1e6),
        coordinatorAllThreadsCPUMicrosecondsPerRoundTrip: perTrip((cpuAfter.2 - cpuBefore.2) * 1e6),
        coordinatorThreadCPUShare: (cpuAfter.0 - cpuBefore.0) / window,
        processCPUShare: (cpuAfter.1 - cpuBefore.1) / window,
        passesPerSecond: passes / window, roundTripsPerPass: passes > 0 ? trips / passes : 0,
        writtenBytesPerRoundTrip: perTrip(ioAfter.writtenBytes - ioBefore.writtenBytes),
        writeCallsPerRoundTrip: perTrip(ioAfter.writeCalls - ioBefore.writeCalls),
        storageBytesPerRoundTrip: perTrip(ioAfter.storageBytes - ioBefore.storageBytes),
        stateFileBytes: stateBytes, staleAnswers: after.staleAnswers - before.staleAnswers,
        sendFailures: after.sendFailures - before.sendFailures, driverErrors: driverErrors)
}

// MARK: Message sizes

/// Bytes on the wire of one message (its frames; ZeroMQ adds 1-9 bytes of framing per frame, and the ROUTER
/// envelope adds the routing id frame).
func wireBytes(_ message: WireMessage) -> Int { FrameCodec.encode(message).reduce(0) { $0 + $1.count } }

/// The summaries blob a worker sends for a shard of `batches` batches of the model at `path` (`PartSummaries` with
/// the rows' statistics, no fidelity summary: the job names no real table).
func realSummaries(modelPath path: String, batches: Int) throws -> [UInt8] {
    let trained = try ModelFile.read(from: path)
    let sampler = try Sampler(model: trained.model, encoder: trained.metadata.encoder)
    let shard = try ShardGeneration(sampler: sampler, seed: 7, totalRows: batches * Sampler.batchSize, firstBatch: 0,
                                    batchCount: batches, threads: 1, computesStatistics: true)
    let part = try shard.run { _ in }
    return try PartSummaries(statistics: part.statistics, summary: nil).encoded()
}

/// The sizes of the messages of one lease round trip, for a realistic shard (about 1,000,000 rows of a 1e10-row job) and
/// results with summaries blobs of several sizes.
func messageSizes(summaryBytes: [Int], modelPath: String?, summaryBatches: Int) throws -> [(name: String, bytes: Int)] {
    let hash = ContentHash.sha256(Array("model".utf8))
    let job = GenerateJob(modelHash: hash, modelBytes: 1_234_567, rows: 10_000_000_000, seed: 7, batchesPerShard: 245,
                          conditions: [], delimiter: UInt8(ascii: ","), output: "/shared/mimeo/out/adult-1e10",
                          maxAttempts: 0)
    guard let shard = try ShardPlan(totalRows: job.rows, batchesPerShard: job.batchesPerShard).leasePayload(9_964, of: job)
    else { throw ClusterError("shard 9964 is outside the plan") }
    let id = AttemptID(job: 1, shard: 9_964, attempt: 1)
    var sizes: [(String, Int)] = [
        ("LEASE (1e10-row job, 245-batch shards, output /shared/mimeo/out/adult-1e10/part-NNNNN.csv)", wireBytes(.lease(Lease(id: id, work: shard)))),
        ("ASK", wireBytes(.ask(Ask(slots: 4)))),
        ("HEARTBEAT", wireBytes(.heartbeat)),
        ("PROGRESS", wireBytes(.progress(Progress(id: id, done: 500_000, total: 1_003_520)))),
    ]
    for bytes in summaryBytes {
        let result = GenerateResult(rows: 1_003_520, bytes: 110_000_000, checksum: hash, elapsedMilliseconds: 6_700,
                                    summaryVersion: 1, summaries: [UInt8](repeating: 0x20, count: bytes))
        sizes.append(("RESULT, summaries of \(bytes) bytes", wireBytes(.result(ShardResult(id: id, work: result)))))
    }
    if let modelPath {
        let summaries = try realSummaries(modelPath: modelPath, batches: summaryBatches)
        let rows = UInt64(summaryBatches * Sampler.batchSize)
        let result = GenerateResult(rows: rows, bytes: rows * 108, checksum: hash, elapsedMilliseconds: 20,
                                    summaryVersion: PartSummaries.version, summaries: summaries)
        sizes.append(("RESULT, statistics of a \(rows)-row shard of \((modelPath as NSString).lastPathComponent) (\(summaries.count) B blob)",
                      wireBytes(.result(ShardResult(id: id, work: result)))))
    }
    return sizes
}

// MARK: Main

func format(_ value: Double, _ digits: Int = 0) -> String { String(format: "%.\(digits)f", value) }

do {
    let options = try Options(arguments: Array(CommandLine.arguments.dropFirst()))
    print("Message sizes (FrameCodec.encode, frames summed):")
    let sizes = try messageSizes(summaryBytes: [0, 4_096, 16_384], modelPath: options.modelPath,
                                        summaryBatches: options.summaryBatches)
    for (name, bytes) in sizes { print("  \(name): \(bytes) B") }
    if options.sizesOnly { exit(0) }
    print("""

        \(options.shards) shards of 4,096 rows; window \(format(options.seconds)) s after \(format(options.warmup)) s \
        warm-up; summaries \(options.summaryBytes) B; \(options.drivers) driver thread(s); \
        STATUS every \(options.statusMilliseconds) ms
        """)
    print("workers slots durability | trips/s   msgs in/s msgs out/s | RTT ms | coord µs/trip (+I/O) coord CPU proc CPU | passes/s trips/pass | wchar B/trip disk B/trip")
    var results: [RunResult] = []
    for durability in options.durabilities {
        for slots in options.slots {
            for workers in options.workers {
                let result = try run(workers: workers, slots: slots, durability: durability, options: options)
                results.append(result)
                let columns = [
                    String(result.workers).leftPad(7), String(result.slots).leftPad(5), result.durability.leftPad(10), "|",
                    format(result.roundTripsPerSecond).leftPad(7), format(result.messagesInPerSecond).leftPad(11),
                    format(result.messagesOutPerSecond).leftPad(10), "|", format(result.meanRoundTripMilliseconds, 2).leftPad(6), "|",
                    format(result.coordinatorCPUMicrosecondsPerRoundTrip, 1).leftPad(13),
                    ("(" + format(result.coordinatorAllThreadsCPUMicrosecondsPerRoundTrip, 1) + ")").leftPad(7),
                    format(result.coordinatorThreadCPUShare * 100).leftPad(8) + "%",
                    format(result.processCPUShare * 100).leftPad(7) + "%", "|",
                    format(result.passesPerSecond).leftPad(8), format(result.roundTripsPerPass, 1).leftPad(10), "|",
                    format(result.writtenBytesPerRoundTrip).leftPad(12), format(result.storageBytesPerRoundTrip).leftPad(11),
                ]
                print(columns.joined(separator: " "))
                if result.staleAnswers + result.sendFailures + result.driverErrors > 0 {
                    print("  (stale answers \(result.staleAnswers), send failures \(result.sendFailures), ERROR or DISCONNECT to workers \(result.driverErrors))")
                }
            }
        }
    }
    if let path = options.jsonPath {
        struct Report: Codable {
            var date: String
            var cpu: String
            var cores: Int
            var messageSizes: [String: Int]
            var runs: [RunResult]
        }
        let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.split(separator: "\n")
            .first { $0.hasPrefix("model name") }.map { String($0.split(separator: ":").last ?? "").trimmingCharacters(in: .whitespaces) } ?? "?"
        let report = Report(date: ISO8601DateFormatter().string(from: Date()), cpu: cpu,
                            cores: ProcessInfo.processInfo.activeProcessorCount,
                            messageSizes: Dictionary(uniqueKeysWithValues: sizes), runs: results)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(report).write(to: URL(fileURLWithPath: path))
        print("wrote \(path)")
    }
} catch {
    FileHandle.standardError.write(Data("MimeoClusterBenchmark: \(error)\n".utf8))
    exit(1)
}

extension String {
    func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
