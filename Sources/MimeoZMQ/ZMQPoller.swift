import CZeroMQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The readiness a poller waits for, and reports.
public struct ZMQPollEvents: OptionSet, Sendable, Hashable {
    public let rawValue: Int16
    public init(rawValue: Int16) { self.rawValue = rawValue }

    /// At least one message can be received without blocking (`ZMQ_POLLIN`).
    public static let readable = ZMQPollEvents(rawValue: Int16(ZMQ_POLLIN))
    /// At least one message can be sent without blocking (`ZMQ_POLLOUT`).
    public static let writable = ZMQPollEvents(rawValue: Int16(ZMQ_POLLOUT))
}

/// Waits on several sockets at once (`zmq_poll`), for a coordinator's poll loop.
///
/// ```swift
/// let poller = ZMQPoller()
/// let routerIndex = poller.register(router)
/// let monitorIndex = poller.register(monitor.socket)
/// let ready = try poller.poll(timeout: .milliseconds(250))
/// if ready[routerIndex].contains(.readable) { … }
/// ```
///
/// Like its sockets, a poller belongs to one thread and is not `Sendable`.
public final class ZMQPoller {
    private var sockets: [ZMQSocket] = []
    private var interests: [ZMQPollEvents] = []

    /// An empty poller.
    public init() {}

    /// The number of registered sockets.
    public var count: Int { sockets.count }

    /// Adds a socket.
    /// - Parameters:
    ///   - socket: a socket owned by the same thread.
    ///   - events: what to wait for; `.readable` by default.
    /// - Returns: the socket's index in ``poll(timeout:)``'s result.
    @discardableResult
    public func register(_ socket: ZMQSocket, for events: ZMQPollEvents = .readable) -> Int {
        sockets.append(socket)
        interests.append(events)
        return sockets.count - 1
    }

    /// Waits until a registered socket is ready or the timeout passes.
    ///
    /// A signal (`EINTR`) does not end the wait early; the remaining time is waited again.
    /// - Parameters:
    ///   - timeout: the longest wait; `nil` waits forever, `.zero` only looks.
    /// - Returns: the ready events of each socket, in registration order (empty when not ready,
    ///   all empty on timeout).
    public func poll(timeout: Duration?) throws -> [ZMQPollEvents] {
        var items = try zip(sockets, interests).map { socket, events in
            zmq_pollitem_t(socket: try socket.openHandle("zmq_poll"), fd: 0, events: events.rawValue, revents: 0)
        }
        let clock = ContinuousClock()
        let deadline = timeout.map { clock.now + $0 }
        while true {
            let milliseconds: Int
            if let deadline {
                milliseconds = (clock.now < deadline) ? (deadline - clock.now).roundedUpMilliseconds : 0
            } else {
                milliseconds = -1
            }
            let rc = zmq_poll(&items, Int32(items.count), milliseconds)
            if rc >= 0 { break }
            let error = ZMQError.last("zmq_poll")
            if error.isInterrupted { continue }
            throw error
        }
        return items.map { ZMQPollEvents(rawValue: $0.revents).intersection([.readable, .writable]) }
    }
}

extension Duration {
    /// The duration in whole milliseconds, rounded up (so a wait never ends early); at least 0.
    var roundedUpMilliseconds: Int {
        let (seconds, attoseconds) = components
        guard seconds >= 0, attoseconds >= 0 else { return 0 }
        let perMillisecond: Int64 = 1_000_000_000_000_000
        let fraction = (attoseconds + perMillisecond - 1) / perMillisecond
        let total = seconds.multipliedReportingOverflow(by: 1000)
        guard !total.overflow, total.partialValue < Int64(Int32.max) else { return Int(Int32.max) }
        return Int(total.partialValue + fraction)
    }
}
