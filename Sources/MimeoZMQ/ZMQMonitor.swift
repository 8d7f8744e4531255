import CZeroMQ

/// A connection event reported by a socket monitor (`zmq_socket_monitor`).
public struct ZMQMonitorEvent: Sendable, Hashable {
    /// What happened.
    public let kind: Kind
    /// The event's value: a file descriptor (connected, accepted, closed, disconnected), an
    /// `errno` (failures), a ZAP status code such as 400 (`handshakeFailedAuth`), or a ZMTP
    /// error code (`handshakeFailedProtocol`).
    public let value: UInt32
    /// The endpoint the event is about (`tcp://127.0.0.1:40123`).
    public let endpoint: String

    /// The kinds of event (the `ZMQ_EVENT_*` values of libzmq 4.3).
    public enum Kind: Sendable, Hashable {
        case connected, connectDelayed, connectRetried, listening, bindFailed
        case accepted, acceptFailed, closed, closeFailed, disconnected, monitorStopped
        case handshakeFailedNoDetail, handshakeSucceeded, handshakeFailedProtocol, handshakeFailedAuth
        /// An event number this wrapper does not know.
        case other(UInt16)

        init(rawValue: UInt16) {
            switch Int32(rawValue) {
            case ZMQ_EVENT_CONNECTED: self = .connected
            case ZMQ_EVENT_CONNECT_DELAYED: self = .connectDelayed
            case ZMQ_EVENT_CONNECT_RETRIED: self = .connectRetried
            case ZMQ_EVENT_LISTENING: self = .listening
            case ZMQ_EVENT_BIND_FAILED: self = .bindFailed
            case ZMQ_EVENT_ACCEPTED: self = .accepted
            case ZMQ_EVENT_ACCEPT_FAILED: self = .acceptFailed
            case ZMQ_EVENT_CLOSED: self = .closed
            case ZMQ_EVENT_CLOSE_FAILED: self = .closeFailed
            case ZMQ_EVENT_DISCONNECTED: self = .disconnected
            case ZMQ_EVENT_MONITOR_STOPPED: self = .monitorStopped
            case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL: self = .handshakeFailedNoDetail
            case ZMQ_EVENT_HANDSHAKE_SUCCEEDED: self = .handshakeSucceeded
            case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL: self = .handshakeFailedProtocol
            case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH: self = .handshakeFailedAuth
            default: self = .other(rawValue)
            }
        }
    }
}

/// Which events a monitor reports.
public struct ZMQMonitorEvents: OptionSet, Sendable, Hashable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let connected = ZMQMonitorEvents(rawValue: ZMQ_EVENT_CONNECTED)
    public static let accepted = ZMQMonitorEvents(rawValue: ZMQ_EVENT_ACCEPTED)
    public static let closed = ZMQMonitorEvents(rawValue: ZMQ_EVENT_CLOSED)
    public static let disconnected = ZMQMonitorEvents(rawValue: ZMQ_EVENT_DISCONNECTED)
    public static let handshakeSucceeded = ZMQMonitorEvents(rawValue: ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
    /// The three handshake failures: no detail, protocol, and authentication (ZAP refusal).
    public static let handshakeFailed = ZMQMonitorEvents(
        rawValue: ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
            | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
    /// What a coordinator needs to track its peers.
    public static let connections: ZMQMonitorEvents = [
        .connected, .accepted, .closed, .disconnected, .handshakeSucceeded, .handshakeFailed,
    ]
    /// Every event.
    public static let all = ZMQMonitorEvents(rawValue: ZMQ_EVENT_ALL)
}

/// Reports a socket's connection events on a PAIR socket that a poll loop can watch.
///
/// ```swift
/// let monitor = try router.makeMonitor()          // before bind/connect, to see every event
/// let routerIndex = poller.register(router)
/// let monitorIndex = poller.register(monitor.socket)
/// …
/// while let event = try monitor.receiveEvent(timeout: .zero) { log(event) }
/// ```
///
/// Owned by the thread that owns the monitored socket; not `Sendable`.
public final class ZMQMonitor {
    /// The PAIR socket the events arrive on; register it with a ``ZMQPoller``.
    public let socket: ZMQSocket
    /// The `inproc://` endpoint libzmq publishes the events on.
    public let endpoint: String

    init(monitoring target: ZMQSocket, events: ZMQMonitorEvents) throws {
        let endpoint = "inproc://mimeo-monitor-\(UInt64.random(in: 0...UInt64.max))"
        let handle = try target.openHandle("zmq_socket_monitor")
        guard zmq_socket_monitor(handle, endpoint, events.rawValue) == 0 else {
            throw ZMQError.last("zmq_socket_monitor")
        }
        let socket = try target.context.makeSocket(.pair)
        try socket.connect(endpoint)
        self.socket = socket
        self.endpoint = endpoint
    }

    /// The next event, waiting at most `timeout`; `nil` on timeout.
    public func receiveEvent(timeout: Duration) throws -> ZMQMonitorEvent? {
        guard let message = try socket.receive(timeout: timeout) else { return nil }
        return try Self.decode(message)
    }

    /// The next event, blocking.
    public func receiveEvent() throws -> ZMQMonitorEvent {
        try Self.decode(socket.receive())
    }

    /// Waits up to `timeout` for an event of `kind`, skipping others.
    /// - Returns: the event, or `nil` if none came in time.
    public func waitForEvent(_ kind: ZMQMonitorEvent.Kind, timeout: Duration) throws -> ZMQMonitorEvent? {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            guard let event = try receiveEvent(timeout: deadline - clock.now) else { return nil }
            if event.kind == kind { return event }
        }
        return nil
    }

    /// Decodes libzmq's two-frame event: `[event: UInt16, value: UInt32]` (host order), endpoint.
    static func decode(_ message: ZMQMessage) throws -> ZMQMonitorEvent {
        guard message.count == 2, message[0].count == 6 else {
            throw ZMQUsageError("a monitor event has 2 frames, the first 6 bytes; got \(message.frames.map(\.count))")
        }
        let head = message[0]
        let event = head.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 0, as: UInt16.self) }
        let value = head.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 2, as: UInt32.self) }
        return ZMQMonitorEvent(kind: .init(rawValue: event), value: value, endpoint: message.string(at: 1))
    }
}

extension ZMQSocket {
    /// Starts monitoring this socket's connection events; create it before bind/connect.
    /// - Parameters:
    ///   - events: which events to report; ``ZMQMonitorEvents/connections`` by default.
    public func makeMonitor(events: ZMQMonitorEvents = .connections) throws -> ZMQMonitor {
        try ZMQMonitor(monitoring: self, events: events)
    }
}
