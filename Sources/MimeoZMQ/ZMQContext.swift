import CZeroMQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A libzmq context: the I/O threads and the `inproc://` namespace its sockets share.
///
/// ```swift
/// let context = try ZMQContext()
/// let router = try context.makeSocket(.router)
/// ```
///
/// Sockets keep their context alive, so the context is terminated (`zmq_ctx_term`) only after its
/// last socket has closed; every socket is created with `LINGER 0`, so that never waits for
/// undelivered messages. To stop sockets that other threads are blocked on, call ``shutdown()``:
/// their blocking calls then throw a ``ZMQError`` whose `isTerminated` is true, and their owners
/// close them.
public final class ZMQContext: @unchecked Sendable {
    // @unchecked Sendable, proof: the only stored property is an immutable pointer to a libzmq
    // context, and libzmq documents contexts as thread safe ("a ØMQ context is thread safe and may
    // be shared among as many application threads as necessary", zmq_ctx_new(3)); every method
    // here only calls zmq_ctx_* / zmq_socket on it. Sockets, which are not thread safe, are a
    // separate, non-Sendable type.
    let handle: UnsafeMutableRawPointer

    /// Creates a context.
    /// - Parameters:
    ///   - ioThreads: libzmq I/O threads (`ZMQ_IO_THREADS`); one moves about a gigabyte a second.
    public init(ioThreads: Int32 = 1) throws {
        guard let handle = zmq_ctx_new() else { throw ZMQError.last("zmq_ctx_new") }
        self.handle = handle
        if ioThreads != 1, zmq_ctx_set(handle, ZMQ_IO_THREADS, ioThreads) != 0 {
            let error = ZMQError.last("zmq_ctx_set(ZMQ_IO_THREADS)")
            zmq_ctx_term(handle)
            throw error
        }
    }

    deinit {
        // All sockets are closed (each holds a strong reference) with LINGER 0, so this returns
        // at once. EINTR means a signal arrived; libzmq asks to call it again.
        while zmq_ctx_term(handle) != 0, zmq_errno() == EINTR {}
    }

    /// Makes every blocking call on this context's sockets, now and later, fail with `ETERM`.
    ///
    /// Safe from any thread. The sockets stay open until their owners close them (or drop them).
    public func shutdown() {
        zmq_ctx_shutdown(handle)
    }

    /// Creates a socket of the given type with `LINGER 0`.
    ///
    /// The socket belongs to the thread (or actor) that uses it; it is not `Sendable`.
    public func makeSocket(_ type: ZMQSocketType) throws -> ZMQSocket {
        try ZMQSocket(context: self, type: type)
    }

    /// Whether libzmq was built with a capability such as `"curve"` (`zmq_has`).
    public static func has(_ capability: String) -> Bool {
        zmq_has(capability) == 1
    }

    /// The libzmq version as (major, minor, patch).
    public static var version: (major: Int32, minor: Int32, patch: Int32) {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return (major, minor, patch)
    }
}
