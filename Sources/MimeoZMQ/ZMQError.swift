import CZeroMQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An error reported by libzmq: the `errno` value it set and libzmq's message for it.
///
/// ```swift
/// do { try router.send(to: peer, message) }
/// catch let error as ZMQError where error.isHostUnreachable { forget(peer) }
/// ```
public struct ZMQError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The `errno` value (`EAGAIN`, `ETERM`, `EHOSTUNREACH`, …).
    public let code: Int32
    /// The libzmq call that failed, for the message.
    public let operation: String

    /// Creates an error from an explicit code.
    public init(code: Int32, operation: String) {
        self.code = code
        self.operation = operation
    }

    /// The error for the calling thread's current `zmq_errno()`.
    static func last(_ operation: String) -> ZMQError {
        ZMQError(code: zmq_errno(), operation: operation)
    }

    /// libzmq's text for the code (`zmq_strerror`).
    public var message: String { String(cString: zmq_strerror(code)) }

    /// `EAGAIN`: nothing could be sent or received before the timeout (or at once, with `dontWait`).
    public var isWouldBlock: Bool { code == EAGAIN }
    /// `ETERM`: the context was shut down; close the socket.
    public var isTerminated: Bool { code == czmq_eterm }
    /// `EHOSTUNREACH`: a ROUTER with `ROUTER_MANDATORY` has no peer with that routing id.
    public var isHostUnreachable: Bool { code == EHOSTUNREACH }
    /// `EINTR`: a signal interrupted the call.
    public var isInterrupted: Bool { code == EINTR }

    public var description: String { "\(operation): \(message) (errno \(code))" }
}

/// Any invalid input to the wrapper that libzmq never saw (bad key text, wrong length, bad file).
public struct ZMQUsageError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What was wrong, naming the value or file.
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
