import Foundation
import Logging
import MimeoZMQ
import Synchronization

/// A cluster on this machine with no set-up (`--workers N`): a coordinator on a thread of this process, bound to a
/// free loopback port, and N worker processes connected to it. `stop()` ends them all; so does dropping it.
///
/// ```swift
/// let cluster = try LocalCluster(workers: 2, executable: "/usr/bin/mimeo", folder: tmp) { index, endpoint in
///     ["worker", "--connect", endpoint, "--name", "local-\(index + 1)"]
/// }
/// let client = try ClusterClient(endpoint: cluster.endpoint)
/// ...
/// cluster.stop()
/// ```
public final class LocalCluster {
    /// The coordinator's endpoint (tcp://127.0.0.1:port).
    public let endpoint: String
    /// The worker processes' ids.
    public var workerPIDs: [Int32] { workers.map(\.processIdentifier) }

    private let stopCoordinator = StopSignal()
    private let coordinatorDone = DispatchSemaphore(value: 0)
    private var workers: [Process] = []
    private var isStopped = false

    /// Starts the coordinator (state in `statePath`, or in `folder`) and the workers; returns once the coordinator
    /// listens.
    ///
    /// - Parameters:
    ///   - workers: how many worker processes.
    ///   - executable: the `mimeo` binary the workers run.
    ///   - folder: a folder of this run (state file, model cache).
    ///   - arguments: the arguments of worker `index` given the coordinator's endpoint.
    public init(workers count: Int, executable: String, folder: String, statePath: String? = nil,
                logger: Logger = Logger(label: "mimeo.coordinator"),
                arguments: (_ index: Int, _ endpoint: String) -> [String]) throws {
        var configuration = CoordinatorConfiguration(endpoint: "tcp://127.0.0.1:*",
                                                     statePath: statePath ?? (folder as NSString).appendingPathComponent("coordinator.db"))
        configuration.modelsPath = (folder as NSString).appendingPathComponent("models")
        let node = CoordinatorNode(configuration: configuration, logger: logger)
        let bound = DispatchSemaphore(value: 0)
        let outcome = LockedBox<Result<String, any Error>?>(nil)
        let stop = stopCoordinator, done = coordinatorDone
        let thread = Thread {
            defer { done.signal() }
            do {
                try node.run(stop: stop) { endpoint in
                    outcome.set(.success(endpoint))
                    bound.signal()
                }
            } catch {
                if outcome.get() == nil {
                    outcome.set(.failure(error))
                    bound.signal()
                } else {
                    logger.critical("coordinator stopped", metadata: ["error": "\(error)"])
                }
            }
        }
        thread.name = "mimeo-coordinator"
        thread.start()
        bound.wait()
        switch outcome.get()! {
        case let .failure(error):
            done.wait()
            throw error
        case let .success(endpoint):
            self.endpoint = endpoint
        }
        do {
            for index in 0..<count {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: executable)
                process.arguments = arguments(index, endpoint)
                try process.run()
                workers.append(process)
            }
        } catch {
            self.stop()
            throw ClusterError("cannot start a worker process (\(executable)): \(error.localizedDescription)")
        }
    }

    deinit { stop() }

    /// How many worker processes are still running.
    public var runningWorkers: Int { workers.count { $0.isRunning } }

    /// Stops the workers (SIGTERM, then SIGKILL after `grace`) and the coordinator; idempotent.
    public func stop(grace: Duration = .seconds(5)) {
        guard !isStopped else { return }
        isStopped = true
        for worker in workers where worker.isRunning { kill(worker.processIdentifier, SIGTERM) }
        let clock = ContinuousClock()
        let deadline = clock.now + grace
        for worker in workers {
            while worker.isRunning && clock.now < deadline { usleep(10_000) }
            if worker.isRunning {
                kill(worker.processIdentifier, SIGKILL)
                worker.waitUntilExit()
            }
        }
        stopCoordinator.stop()
        coordinatorDone.wait()
    }
}

/// A value behind a lock, for handing a result from one thread to another.
final class LockedBox<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    func get() -> Value { mutex.withLock { $0 } }

    func set(_ newValue: Value) { mutex.withLock { $0 = newValue } }
}
