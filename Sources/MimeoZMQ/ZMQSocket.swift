import CZeroMQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The socket types the wrapper offers.
public enum ZMQSocketType: Sendable, Hashable {
    /// Routes by the peer's routing id: receives `[id, frames…]`, sends to an id.
    case router
    /// Load-balances sends over its peers and fair-queues receives; no envelope.
    case dealer
    /// Strict request then reply.
    case request
    /// Strict receive then reply; used by the ZAP handler.
    case reply
    /// One peer, both directions; used by the socket monitor.
    case pair
    /// Raw TCP, no ZMTP: receives `[id, bytes]`, where empty bytes mean the connection opened or
    /// closed; sends `[id, bytes]`, and `[id, empty]` closes that connection (`ZMQ_STREAM`).
    case stream

    var rawValue: Int32 {
        switch self {
        case .router: ZMQ_ROUTER
        case .dealer: ZMQ_DEALER
        case .request: ZMQ_REQ
        case .reply: ZMQ_REP
        case .pair: ZMQ_PAIR
        case .stream: ZMQ_STREAM
        }
    }
}

/// A libzmq socket, owned by one thread or actor.
///
/// ```swift
/// let router = try context.makeSocket(.router)
/// try router.setRouterMandatory(true)
/// let endpoint = try router.bindToRandomPort(host: "127.0.0.1")
/// if let (peer, request) = try router.receiveRouted(timeout: .seconds(1)) {
///     try router.send(to: peer, ZMQMessage(strings: ["ok"]))
/// }
/// ```
///
/// libzmq sockets are not thread safe, so this class is deliberately not `Sendable`: create it on
/// the thread (or inside the actor) that uses it and keep it there. It is created with `LINGER 0`
/// and closed when dropped (or by ``close()``). Every blocking call has a variant with a timeout;
/// the blocking ones honour `RCVTIMEO`/`SNDTIMEO` and throw `EAGAIN` when those expire.
public final class ZMQSocket {
    /// The context, kept alive while the socket is open.
    public let context: ZMQContext
    /// The socket type.
    public let type: ZMQSocketType
    private(set) var handle: UnsafeMutableRawPointer?

    init(context: ZMQContext, type: ZMQSocketType) throws {
        guard let handle = zmq_socket(context.handle, type.rawValue) else {
            throw ZMQError.last("zmq_socket")
        }
        self.context = context
        self.type = type
        self.handle = handle
        var zero: Int32 = 0
        if zmq_setsockopt(handle, ZMQ_LINGER, &zero, MemoryLayout<Int32>.size) != 0 {
            let error = ZMQError.last("zmq_setsockopt(ZMQ_LINGER)")
            zmq_close(handle)
            self.handle = nil
            throw error
        }
    }

    deinit {
        close()
    }

    /// Whether ``close()`` has run.
    public var isClosed: Bool { handle == nil }

    /// Closes the socket with `LINGER 0`: unsent messages are dropped. Idempotent.
    public func close() {
        guard let handle else { return }
        var zero: Int32 = 0
        zmq_setsockopt(handle, ZMQ_LINGER, &zero, MemoryLayout<Int32>.size)
        zmq_close(handle)
        self.handle = nil
    }

    /// The open handle, or `ENOTSOCK` once closed.
    func openHandle(_ operation: String) throws -> UnsafeMutableRawPointer {
        guard let handle else { throw ZMQError(code: ENOTSOCK, operation: operation) }
        return handle
    }

    // MARK: Endpoints

    /// Binds to an endpoint such as `tcp://127.0.0.1:5555`, `tcp://127.0.0.1:*` or `inproc://name`.
    public func bind(_ endpoint: String) throws {
        let handle = try openHandle("zmq_bind(\(endpoint))")
        guard zmq_bind(handle, endpoint) == 0 else { throw ZMQError.last("zmq_bind(\(endpoint))") }
    }

    /// Binds to a free TCP port on `host` and returns the endpoint actually bound.
    public func bindToRandomPort(host: String = "127.0.0.1") throws -> String {
        try bind("tcp://\(host):*")
        return try lastEndpoint()
    }

    /// Connects to an endpoint; the connection is made (and remade) in the background.
    public func connect(_ endpoint: String) throws {
        let handle = try openHandle("zmq_connect(\(endpoint))")
        guard zmq_connect(handle, endpoint) == 0 else { throw ZMQError.last("zmq_connect(\(endpoint))") }
    }

    /// Stops listening on an endpoint given to ``bind(_:)`` (the resolved one, for `*` ports).
    public func unbind(_ endpoint: String) throws {
        let handle = try openHandle("zmq_unbind(\(endpoint))")
        guard zmq_unbind(handle, endpoint) == 0 else { throw ZMQError.last("zmq_unbind(\(endpoint))") }
    }

    /// Drops a connection made by ``connect(_:)``.
    public func disconnect(_ endpoint: String) throws {
        let handle = try openHandle("zmq_disconnect(\(endpoint))")
        guard zmq_disconnect(handle, endpoint) == 0 else { throw ZMQError.last("zmq_disconnect(\(endpoint))") }
    }

    /// The endpoint last bound or connected (`ZMQ_LAST_ENDPOINT`), with `*` ports resolved.
    public func lastEndpoint() throws -> String {
        let bytes = try bytesOption(ZMQ_LAST_ENDPOINT, name: "ZMQ_LAST_ENDPOINT", capacity: 512)
        return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    // MARK: Frames

    /// Sends one frame, copying `bytes`.
    /// - Parameters:
    ///   - bytes: the frame's content.
    ///   - more: whether further frames of the same message follow (`ZMQ_SNDMORE`).
    ///   - dontWait: return `false` instead of blocking when the frame cannot be queued now.
    /// - Returns: `false` when the send would block (`EAGAIN`: `dontWait`, or `SNDTIMEO` expired).
    @discardableResult
    public func sendFrame(_ bytes: [UInt8], more: Bool = false, dontWait: Bool = false) throws -> Bool {
        try bytes.withUnsafeBytes { try sendFrame(copying: $0, more: more, dontWait: dontWait) }
    }

    /// Sends one frame, copying the bytes behind `buffer`.
    @discardableResult
    public func sendFrame(
        copying buffer: UnsafeRawBufferPointer, more: Bool = false, dontWait: Bool = false
    ) throws -> Bool {
        let handle = try openHandle("zmq_send")
        let flags = (more ? ZMQ_SNDMORE : 0) | (dontWait ? ZMQ_DONTWAIT : 0)
        while true {
            if zmq_send(handle, buffer.baseAddress, buffer.count, flags) >= 0 { return true }
            let error = ZMQError.last("zmq_send")
            if error.isInterrupted { continue }
            if error.isWouldBlock { return false }
            throw error
        }
    }

    /// Sends one frame without copying it: libzmq takes the buffer and frees it when sent.
    ///
    /// Use it for large payloads. The buffer is consumed whether or not the send succeeds.
    /// - Parameters:
    ///   - buffer: the frame's content; ownership passes to libzmq.
    ///   - more: whether further frames of the same message follow.
    ///   - dontWait: return `false` instead of blocking (the buffer is then freed).
    @discardableResult
    public func sendFrame(_ buffer: consuming ZMQBuffer, more: Bool = false, dontWait: Bool = false) throws -> Bool {
        let handle = try openHandle("zmq_msg_send")
        let count = buffer.count
        let base = buffer.release()
        let flags = (more ? ZMQ_SNDMORE : 0) | (dontWait ? ZMQ_DONTWAIT : 0)
        return try withUnsafeTemporaryAllocation(of: zmq_msg_t.self, capacity: 1) { storage in
            let message = storage.baseAddress!
            // The free callback captures nothing: the buffer came from malloc in ZMQBuffer.
            guard zmq_msg_init_data(message, base, count, { data, _ in free(data) }, nil) == 0 else {
                free(base)
                throw ZMQError.last("zmq_msg_init_data")
            }
            while true {
                if zmq_msg_send(message, handle, flags) >= 0 { return true }
                let error = ZMQError.last("zmq_msg_send")
                if error.isInterrupted { continue }
                zmq_msg_close(message)  // calls the free callback
                if error.isWouldBlock { return false }
                throw error
            }
        }
    }

    /// Receives one frame and lends its bytes to `body` without copying them.
    /// - Parameters:
    ///   - dontWait: return `nil` instead of blocking when no frame is waiting.
    ///   - body: reads the frame; `more` says whether further frames of the message follow.
    /// - Returns: what `body` returned, or `nil` when the receive would block (`EAGAIN`).
    public func receiveFrame<Result>(
        dontWait: Bool = false,
        _ body: (_ bytes: UnsafeRawBufferPointer, _ more: Bool) throws -> Result
    ) throws -> Result? {
        try receiveMessage(dontWait: dontWait) { message in
            try body(UnsafeRawBufferPointer(start: zmq_msg_data(message), count: zmq_msg_size(message)),
                     zmq_msg_more(message) == 1)
        }
    }

    /// Receives one frame as an array, with the address of the peer it came from (libzmq's `Peer-Address`
    /// metadata, for example `127.0.0.2`), when the transport has one.
    /// - Returns: the bytes, whether more frames follow and the address, or `nil` when the receive would block.
    public func receiveFrameWithPeerAddress(dontWait: Bool = false) throws -> (bytes: [UInt8], more: Bool, peerAddress: String?)? {
        try receiveMessage(dontWait: dontWait) { message in
            (Array(UnsafeRawBufferPointer(start: zmq_msg_data(message), count: zmq_msg_size(message))),
             zmq_msg_more(message) == 1, zmq_msg_gets(message, "Peer-Address").map { String(cString: $0) })
        }
    }

    /// Receives one frame into a `zmq_msg_t` lent to `body` (retrying on `EINTR`); nil when it would block.
    private func receiveMessage<Result>(
        dontWait: Bool, _ body: (UnsafeMutablePointer<zmq_msg_t>) throws -> Result
    ) throws -> Result? {
        let handle = try openHandle("zmq_msg_recv")
        return try withUnsafeTemporaryAllocation(of: zmq_msg_t.self, capacity: 1) { storage in
            let message = storage.baseAddress!
            zmq_msg_init(message)
            defer { zmq_msg_close(message) }
            while true {
                if zmq_msg_recv(message, handle, dontWait ? ZMQ_DONTWAIT : 0) >= 0 { break }
                let error = ZMQError.last("zmq_msg_recv")
                if error.isInterrupted { continue }
                if error.isWouldBlock { return nil }
                throw error
            }
            return try body(message)
        }
    }

    /// Receives one frame as an array (a copy).
    /// - Returns: the bytes and whether more frames follow, or `nil` when the receive would block.
    public func receiveFrame(dontWait: Bool = false) throws -> (bytes: [UInt8], more: Bool)? {
        try receiveFrame(dontWait: dontWait) { bytes, more in (Array(bytes), more) }
    }

    // MARK: Messages

    /// Sends a multipart message, blocking until it is queued (or `SNDTIMEO` expires: `EAGAIN`).
    public func send(_ message: ZMQMessage) throws {
        guard try send(message, firstFrameDontWait: false) else {
            throw ZMQError(code: EAGAIN, operation: "zmq_send")
        }
    }

    /// Sends a multipart message if it can be queued within `timeout`.
    /// - Parameters:
    ///   - message: the frames (at least one).
    ///   - timeout: how long to wait for room; `.zero` never waits.
    /// - Returns: `false` when there was no room in time (high-water mark reached, no peer).
    @discardableResult
    public func send(_ message: ZMQMessage, timeout: Duration) throws -> Bool {
        // Try first, so errors such as EHOSTUNREACH surface at once, then wait for room.
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            if try send(message, firstFrameDontWait: true) { return true }
            let remaining = deadline - clock.now
            guard remaining > .zero, try wait(for: .writable, timeout: remaining) else { return false }
            // A ROUTER is writable when any peer has room, perhaps not the addressed one:
            // do not spin while that peer stays full.
            if try send(message, firstFrameDontWait: true) { return true }
            usleep(1000)
        }
    }

    private func send(_ message: ZMQMessage, firstFrameDontWait: Bool) throws -> Bool {
        guard !message.frames.isEmpty else { throw ZMQUsageError("a message needs at least one frame") }
        let last = message.frames.count - 1
        for (index, frame) in message.frames.enumerated() {
            // libzmq queues a message atomically once its first frame is accepted, so only the
            // first frame can meet a full pipe or an unroutable peer.
            let sent = try sendFrame(frame, more: index < last, dontWait: index == 0 && firstFrameDontWait)
            if !sent {
                if index == 0 { return false }
                throw ZMQError(code: EAGAIN, operation: "zmq_send (frame \(index))")
            }
        }
        return true
    }

    /// Receives a whole multipart message, blocking (or until `RCVTIMEO`: `EAGAIN`).
    public func receive() throws -> ZMQMessage {
        guard let message = try receive(firstFrameDontWait: false) else {
            throw ZMQError(code: EAGAIN, operation: "zmq_msg_recv")
        }
        return message
    }

    /// Receives a whole multipart message if one arrives within `timeout`.
    /// - Parameters:
    ///   - timeout: how long to wait; `.zero` only takes a message that is already there.
    /// - Returns: the message, or `nil` on timeout.
    public func receive(timeout: Duration) throws -> ZMQMessage? {
        if timeout > .zero, try !wait(for: .readable, timeout: timeout) { return nil }
        return try receive(firstFrameDontWait: true)
    }

    private func receive(firstFrameDontWait: Bool) throws -> ZMQMessage? {
        guard var frame = try receiveFrame(dontWait: firstFrameDontWait) else { return nil }
        var frames = [frame.bytes]
        while frame.more {
            // The rest of a multipart message arrives with its first frame.
            guard let next = try receiveFrame(dontWait: false) else {
                throw ZMQError(code: EAGAIN, operation: "zmq_msg_recv (frame \(frames.count))")
            }
            frame = next
            frames.append(frame.bytes)
        }
        return ZMQMessage(frames)
    }

    // MARK: ROUTER envelopes

    /// Receives a message on a ROUTER and splits off the sender's routing id.
    /// - Parameters:
    ///   - timeout: how long to wait; `nil` blocks.
    /// - Returns: the routing id and the remaining frames, or `nil` on timeout.
    public func receiveRouted(timeout: Duration?) throws -> (routingID: [UInt8], message: ZMQMessage)? {
        let received: ZMQMessage?
        if let timeout { received = try receive(timeout: timeout) } else { received = try receive() }
        guard var message = received else { return nil }
        guard message.frames.count >= 2 else {
            throw ZMQUsageError(
                "a ROUTER message needs a routing id and at least one frame, got \(message.frames.count) frame(s)")
        }
        let routingID = message.frames.removeFirst()
        return (routingID, message)
    }

    /// Sends a message from a ROUTER to the peer with `routingID`.
    ///
    /// With `ROUTER_MANDATORY` on, an unknown or departed peer throws a ``ZMQError`` whose
    /// `isHostUnreachable` is true and nothing is sent; without it, libzmq drops the message.
    /// - Parameters:
    ///   - routingID: the id received with the peer's messages (or set by it with `ZMQ_ROUTING_ID`).
    ///   - message: the frames after the id.
    ///   - timeout: how long to wait for room; `nil` blocks.
    /// - Returns: `false` when there was no room in time.
    @discardableResult
    public func send(to routingID: [UInt8], _ message: ZMQMessage, timeout: Duration? = nil) throws -> Bool {
        let envelope = ZMQMessage([routingID] + message.frames)
        if let timeout { return try send(envelope, timeout: timeout) }
        try send(envelope)
        return true
    }

    // MARK: Waiting

    /// Waits until the socket is readable or writable, or the timeout passes.
    /// - Returns: whether the socket became ready.
    public func wait(for events: ZMQPollEvents, timeout: Duration) throws -> Bool {
        let poller = ZMQPoller()
        poller.register(self, for: events)
        return try !poller.poll(timeout: timeout)[0].isEmpty
    }
}
