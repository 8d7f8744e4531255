import Dispatch
import Foundation

/// One ZAP (ZeroMQ Authentication Protocol, RFC 27) request from libzmq.
public struct ZAPRequest: Sendable, Hashable {
    /// Echoed in the reply.
    public let requestID: [UInt8]
    /// The server socket's `ZMQ_ZAP_DOMAIN`.
    public let domain: String
    /// The client's IP address.
    public let address: String
    /// The routing id of the connection, if any.
    public let routingID: [UInt8]
    /// `"NULL"`, `"PLAIN"` or `"CURVE"`.
    public let mechanism: String
    /// The client's public key, for CURVE.
    public let clientKey: ZMQCurveKey?
}

/// A client the ZAP handler turned away, and why.
public struct ZAPRefusal: Sendable, Hashable {
    /// The request, as far as it could be read; `nil` when it was malformed.
    public let request: ZAPRequest?
    /// Why it was refused, for a log line.
    public let reason: String
}

/// Decides ZAP requests against an allow-list of CURVE public keys.
///
/// Only CURVE clients whose public key is listed are admitted; everything else (unlisted keys,
/// other mechanisms, malformed requests) is refused and reported to `onRefusal`. The list can
/// be replaced while running.
///
/// Use it through ``ZAPHandler`` (its own thread), or serve its socket from your own poll loop:
/// ```swift
/// let zap = try authenticator.makeSocket(context: context)   // binds inproc://zeromq.zap.01
/// let zapIndex = poller.register(zap)
/// if ready[zapIndex].contains(.readable) { try authenticator.serve(zap) }
/// ```
public final class ZAPAuthenticator: Sendable {
    /// The endpoint libzmq sends ZAP requests to.
    public static let endpoint = "inproc://zeromq.zap.01"

    private let allowed: Locked<Set<ZMQCurveKey>>
    private let onRefusal: @Sendable (ZAPRefusal) -> Void

    /// An authenticator admitting `allowList`.
    /// - Parameters:
    ///   - allowList: the CURVE public keys to admit.
    ///   - onRefusal: called (on the serving thread) for every refused client.
    public init(allowList: some Sequence<ZMQCurveKey>, onRefusal: @escaping @Sendable (ZAPRefusal) -> Void = { _ in }) {
        self.allowed = Locked(Set(allowList))
        self.onRefusal = onRefusal
    }

    /// Replaces the allow-list; later handshakes use the new one.
    public func setAllowList(_ keys: some Sequence<ZMQCurveKey>) {
        let keys = Set(keys)
        allowed.withLock { $0 = keys }
    }

    /// The keys admitted now.
    public var allowList: Set<ZMQCurveKey> { allowed.withLock { $0 } }

    /// Creates the REP socket bound to ``endpoint``. Only one may exist per context.
    public func makeSocket(context: ZMQContext) throws -> ZMQSocket {
        let socket = try context.makeSocket(.reply)
        try socket.bind(Self.endpoint)
        return socket
    }

    /// Answers one waiting request on `socket` (from ``makeSocket(context:)``), if there is one.
    /// - Returns: whether a request was answered.
    @discardableResult
    public func serve(_ socket: ZMQSocket) throws -> Bool {
        guard let request = try socket.receive(timeout: .zero) else { return false }
        try socket.send(reply(to: request))
        return true
    }

    /// The reply to a ZAP request message: status 200 for a listed CURVE key, 400 otherwise.
    public func reply(to message: ZMQMessage) -> ZMQMessage {
        guard message.count >= 6, message.string(at: 0) == "1.0" else {
            onRefusal(ZAPRefusal(request: nil, reason: "malformed ZAP request (\(message.count) frames)"))
            let requestID = message.count >= 2 ? message[1] : []
            return ZMQMessage(
                [Array("1.0".utf8), requestID, Array("500".utf8), Array("malformed request".utf8), [], []])
        }
        let mechanism = message.string(at: 5)
        let clientKey = (mechanism == "CURVE" && message.count == 7) ? try? ZMQCurveKey(bytes: message[6]) : nil
        let request = ZAPRequest(
            requestID: message[1], domain: message.string(at: 2), address: message.string(at: 3),
            routingID: message[4], mechanism: mechanism, clientKey: clientKey)
        let refusal: String?
        if let clientKey {
            let isListed = allowed.withLock { $0.contains(clientKey) }
            refusal = isListed ? nil : "CURVE key \(clientKey.z85) is not on the allow-list"
        } else {
            refusal = mechanism == "CURVE"
                ? "CURVE request without a 32-byte key" : "mechanism \(mechanism) is not allowed"
        }
        if let refusal {
            onRefusal(ZAPRefusal(request: request, reason: refusal))
            return Self.reply(request, status: "400", text: refusal, userID: "")
        }
        return Self.reply(request, status: "200", text: "OK", userID: clientKey?.z85 ?? "")
    }

    private static func reply(_ request: ZAPRequest, status: String, text: String, userID: String) -> ZMQMessage {
        ZMQMessage([Array("1.0".utf8), request.requestID, Array(status.utf8), Array(text.utf8), Array(userID.utf8), []])
    }
}

/// Runs a ``ZAPAuthenticator`` on its own thread until stopped.
///
/// ```swift
/// let zap = try ZAPHandler(context: context, allowList: workerKeys) { refusal in log(refusal.reason) }
/// try router.makeCurveServer(secretKey: serverKeys.secretKey)
/// …
/// zap.stop()
/// ```
///
/// Start it before any CURVE server socket accepts connections: without a handler, libzmq
/// admits every client that knows the server's key.
public final class ZAPHandler: Sendable {
    /// The decisions; its allow-list can be changed while the handler runs.
    public let authenticator: ZAPAuthenticator
    private let isStopping = Locked(false)
    private let finished = DispatchSemaphore(value: 0)
    private let stopped = Locked(false)

    /// Starts the handler thread and returns once its socket is bound.
    /// - Parameters:
    ///   - context: the context whose CURVE servers it answers for.
    ///   - allowList: the client public keys to admit.
    ///   - onRefusal: called on the handler thread for each refused client.
    public convenience init(
        context: ZMQContext, allowList: some Sequence<ZMQCurveKey>,
        onRefusal: @escaping @Sendable (ZAPRefusal) -> Void = { _ in }
    ) throws {
        try self.init(context: context, authenticator: ZAPAuthenticator(allowList: allowList, onRefusal: onRefusal))
    }

    /// Starts a handler thread serving `authenticator`; returns once its socket is bound.
    public init(context: ZMQContext, authenticator: ZAPAuthenticator) throws {
        self.authenticator = authenticator
        let bound = DispatchSemaphore(value: 0)
        let bindError = Locked<ZMQError?>(nil)
        let isStopping = self.isStopping
        let finished = self.finished
        let thread = Thread {
            defer { finished.signal() }
            let socket: ZMQSocket
            do {
                socket = try authenticator.makeSocket(context: context)
            } catch {
                bindError.withLock { $0 = (error as? ZMQError) ?? ZMQError(code: EINVAL, operation: "ZAP handler") }
                bound.signal()
                return
            }
            bound.signal()
            let poller = ZMQPoller()
            poller.register(socket)
            // Poll in short slices so stop() is noticed; a shut-down context (ETERM) ends it too.
            while !isStopping.withLock({ $0 }) {
                do {
                    if try !poller.poll(timeout: .milliseconds(50))[0].isEmpty {
                        try authenticator.serve(socket)
                    }
                } catch {
                    break
                }
            }
            // Unbinding an inproc endpoint is immediate, closing is not: unbind first so a new
            // handler can bind as soon as stop() returns.
            try? socket.unbind(ZAPAuthenticator.endpoint)
            socket.close()
        }
        thread.name = "mimeo-zap"
        thread.start()
        bound.wait()
        if let error = bindError.withLock({ $0 }) {
            stopped.withLock { $0 = true }
            throw error
        }
    }

    deinit {
        stop()
    }

    /// Stops the thread and closes its socket; returns when it has (within about 50 ms).
    /// Idempotent.
    public func stop() {
        let alreadyStopped = stopped.withLock { value in
            defer { value = true }
            return value
        }
        guard !alreadyStopped else { return }
        isStopping.withLock { $0 = true }
        finished.wait()
    }
}

/// A value behind a lock, shareable across threads.
final class Locked<Value: Sendable>: @unchecked Sendable {
    // @unchecked Sendable, proof: `value` is private and only read or written inside
    // `withLock`, which holds `lock` for the whole access; `Value` itself is Sendable, so
    // copies handed out do not share mutable state.
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) {
        self.value = value
    }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
