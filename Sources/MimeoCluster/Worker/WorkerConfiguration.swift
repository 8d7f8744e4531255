import Foundation
import MimeoWire
import MimeoZMQ

/// What a `WorkerNode` connects to, how much work it takes, and where it writes (`mimeo worker`'s flags).
///
/// ```swift
/// var configuration = WorkerConfiguration(endpoint: "tcp://127.0.0.1:5570", name: "w1", threads: 4,
///                                         cacheDirectory: "/var/cache/mimeo/models")
/// configuration.outputRoot = "/data/out"
/// ```
public struct WorkerConfiguration: Sendable {
    /// The coordinator's ZeroMQ endpoint, for example `tcp://127.0.0.1:5570`.
    public var endpoint: String
    /// The worker's name in READY (status and logs).
    public var name: String
    /// Threads one lease runs on.
    public var threads: Int
    /// Leases held at once (at least 1).
    public var slots: Int
    /// CURVE keys; nil connects in plaintext.
    public var curve: CurveClientKeys?
    /// Part files must lie inside this folder; "/" allows any path without a ".." component.
    public var outputRoot: String
    /// The folder of the model cache (`BlobStore`).
    public var cacheDirectory: String
    /// Whether results carry `TableStatistics` of the part's rows (off by default: they cost a parse of every
    /// batch, and exact counts of a continuous column's values can be large; over `PartSummaries.maximumBytes`
    /// they are left out).
    public var computesStatistics: Bool
    /// The software named in READY (name and version, for the coordinator's logs).
    public var software: String
    /// Free-form labels sent in READY, shown by `mimeo status`.
    public var labels: [String: String]
    /// The first reconnect delay after the coordinator went silent; it doubles after each failed attempt.
    public var reconnectInitialDelay: Duration
    /// The largest reconnect delay.
    public var reconnectMaximumDelay: Duration
    /// MODEL-GETs kept outstanding while fetching a model (the spec recommends 4).
    public var modelWindow: Int
    /// Samplers kept loaded for later leases, keyed by model, conditions and delimiter.
    public var cachedSamplers: Int
    /// A federated site's own table (`--data`): the worker then runs kind-2 train tasks for the site of its name.
    public var site: SiteData?
    /// Appends every frame the worker sends to this file (`--record-frames`, for audits and the test that no raw
    /// cell leaves a site): per message, a `u32` frame count, then each frame as a `u32` length and its bytes.
    public var recordFramesPath: String?

    public init(endpoint: String, name: String, threads: Int, slots: Int = 1, curve: CurveClientKeys? = nil,
                outputRoot: String = "/", cacheDirectory: String, computesStatistics: Bool = false,
                software: String = "mimeo", labels: [String: String] = [:]) {
        self.endpoint = endpoint
        self.name = name
        self.threads = threads
        self.slots = slots
        self.curve = curve
        self.outputRoot = outputRoot
        self.cacheDirectory = cacheDirectory
        self.computesStatistics = computesStatistics
        self.software = software
        self.labels = labels
        reconnectInitialDelay = .milliseconds(Int(ProtocolVersion.reconnectInitialMilliseconds))
        reconnectMaximumDelay = .milliseconds(Int(ProtocolVersion.reconnectMaximumMilliseconds))
        modelWindow = 4
        cachedSamplers = 4
    }

    /// The default name of a worker: `<hostname>-<pid>`.
    public static var defaultName: String {
        "\(ProcessInfo.processInfo.hostName)-\(getpid())"
    }

    /// Checks the numbers and the endpoint's form.
    ///
    /// - Throws: `WorkerError` naming the first problem.
    public func validate() throws {
        try Self.validate(endpoint: endpoint)
        guard (1 ... Int(UInt16.max)).contains(slots) else { throw WorkerError("slots must be 1 to 65535, got \(slots)") }
        guard (1 ... Int(UInt16.max)).contains(threads) else { throw WorkerError("threads must be 1 to 65535, got \(threads)") }
        guard !name.isEmpty, name.utf8.count <= ProtocolVersion.maxStringBytes else {
            throw WorkerError("the worker name must be 1 to \(ProtocolVersion.maxStringBytes) bytes")
        }
        guard labels.count <= ProtocolVersion.maxMapCount else {
            throw WorkerError("at most \(ProtocolVersion.maxMapCount) labels")
        }
        guard !outputRoot.isEmpty else { throw WorkerError("the output root is empty; use / to allow any folder") }
        guard modelWindow >= 1, cachedSamplers >= 1 else { throw WorkerError("modelWindow and cachedSamplers must be at least 1") }
    }

    /// Checks that `endpoint` is `tcp://HOST:PORT`, `ipc://PATH` or `inproc://NAME`.
    ///
    /// - Throws: `WorkerError` with an example of the expected form.
    public static func validate(endpoint: String) throws {
        let example = "expected tcp://HOST:PORT, for example tcp://127.0.0.1:5570"
        if endpoint.hasPrefix("ipc://") || endpoint.hasPrefix("inproc://") {
            guard !endpoint.hasSuffix("//") else { throw WorkerError("malformed endpoint '\(endpoint)': no name after the scheme") }
            return
        }
        guard endpoint.hasPrefix("tcp://") else { throw WorkerError("malformed endpoint '\(endpoint)': \(example)") }
        let address = endpoint.dropFirst("tcp://".count)
        guard let colon = address.lastIndex(of: ":") else {
            throw WorkerError("malformed endpoint '\(endpoint)': no port; \(example)")
        }
        let host = address[..<colon], port = address[address.index(after: colon)...]
        guard !host.isEmpty, !host.contains("/"), let number = Int(port), (1 ... 65_535).contains(number) else {
            throw WorkerError("malformed endpoint '\(endpoint)': \(example)")
        }
    }
}

/// Counts of what a worker has done, for status lines and logs.
public struct WorkerCounters: Sendable, Equatable {
    /// LEASE messages received (including refused ones).
    public var leasesReceived = 0
    /// Leases answered with RESULT.
    public var leasesSucceeded = 0
    /// Leases answered with FAIL.
    public var leasesFailed = 0
    /// Leases abandoned without an answer: CANCEL, a lost coordinator, or stopping.
    public var leasesAbandoned = 0
    /// Data rows in the parts reported with RESULT.
    public var rowsWritten: UInt64 = 0
    /// Messages from the coordinator that could not be decoded (dropped, never answered).
    public var droppedMessages = 0
    /// MODEL-GET messages sent.
    public var modelRequests = 0
    /// Models fetched, verified and cached.
    public var modelsFetched = 0
    /// Times the socket was closed and a reconnect scheduled (silent coordinator).
    public var reconnects = 0
    /// WELCOME messages received.
    public var joins = 0
    /// The worker id of the latest WELCOME, nil before the first.
    public var workerID: UInt64?

    public init() {}
}

/// Why a worker cannot start or had to stop.
public struct WorkerError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
