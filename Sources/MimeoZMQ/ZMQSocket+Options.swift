import CZeroMQ

/// An integer socket option (`int` in libzmq).
public struct ZMQIntOption: Sendable, Hashable, CustomStringConvertible {
    /// The libzmq option number.
    public let rawValue: Int32
    /// The libzmq name, for error messages.
    public let description: String

    init(_ rawValue: Int32, _ name: String) {
        self.rawValue = rawValue
        self.description = name
    }

    /// Milliseconds to keep unsent messages after close; the wrapper always uses 0 (`ZMQ_LINGER`).
    public static let linger = ZMQIntOption(ZMQ_LINGER, "ZMQ_LINGER")
    /// Messages queued per peer for sending before sends block or fail (`ZMQ_SNDHWM`, default 1000).
    public static let sendHighWaterMark = ZMQIntOption(ZMQ_SNDHWM, "ZMQ_SNDHWM")
    /// Messages queued per peer for receiving (`ZMQ_RCVHWM`, default 1000).
    public static let receiveHighWaterMark = ZMQIntOption(ZMQ_RCVHWM, "ZMQ_RCVHWM")
    /// Milliseconds a blocking receive waits before `EAGAIN`; -1 forever (`ZMQ_RCVTIMEO`).
    public static let receiveTimeout = ZMQIntOption(ZMQ_RCVTIMEO, "ZMQ_RCVTIMEO")
    /// Milliseconds a blocking send waits before `EAGAIN`; -1 forever (`ZMQ_SNDTIMEO`).
    public static let sendTimeout = ZMQIntOption(ZMQ_SNDTIMEO, "ZMQ_SNDTIMEO")
    /// Milliseconds between ZMTP heartbeat PINGs on each connection; 0 off (`ZMQ_HEARTBEAT_IVL`).
    public static let heartbeatInterval = ZMQIntOption(ZMQ_HEARTBEAT_IVL, "ZMQ_HEARTBEAT_IVL")
    /// Milliseconds the peer may go without hearing from us before it drops the connection
    /// (sent in our PINGs, in whole deciseconds; `ZMQ_HEARTBEAT_TTL`).
    public static let heartbeatTTL = ZMQIntOption(ZMQ_HEARTBEAT_TTL, "ZMQ_HEARTBEAT_TTL")
    /// Milliseconds to wait for any traffic after a PING before dropping the connection
    /// (`ZMQ_HEARTBEAT_TIMEOUT`, defaults to the interval).
    public static let heartbeatTimeout = ZMQIntOption(ZMQ_HEARTBEAT_TIMEOUT, "ZMQ_HEARTBEAT_TIMEOUT")
    /// Milliseconds a connection may take for the ZMTP handshake (`ZMQ_HANDSHAKE_IVL`, default 30000).
    public static let handshakeInterval = ZMQIntOption(ZMQ_HANDSHAKE_IVL, "ZMQ_HANDSHAKE_IVL")
    /// Milliseconds between reconnection attempts (`ZMQ_RECONNECT_IVL`, default 100).
    public static let reconnectInterval = ZMQIntOption(ZMQ_RECONNECT_IVL, "ZMQ_RECONNECT_IVL")
    /// 1: a ROUTER send to an unknown routing id fails with `EHOSTUNREACH` instead of being
    /// dropped, and a full peer gives `EAGAIN` (`ZMQ_ROUTER_MANDATORY`, write only).
    public static let routerMandatory = ZMQIntOption(ZMQ_ROUTER_MANDATORY, "ZMQ_ROUTER_MANDATORY")
    /// 1: queue messages only to completed connections (`ZMQ_IMMEDIATE`).
    public static let immediate = ZMQIntOption(ZMQ_IMMEDIATE, "ZMQ_IMMEDIATE")
    /// 1: act as the CURVE server (`ZMQ_CURVE_SERVER`).
    public static let curveServer = ZMQIntOption(ZMQ_CURVE_SERVER, "ZMQ_CURVE_SERVER")
    /// The socket's security mechanism: 0 NULL, 1 PLAIN, 2 CURVE (`ZMQ_MECHANISM`, read only).
    public static let mechanism = ZMQIntOption(ZMQ_MECHANISM, "ZMQ_MECHANISM")
}

/// A byte-string socket option.
public struct ZMQBytesOption: Sendable, Hashable, CustomStringConvertible {
    /// The libzmq option number.
    public let rawValue: Int32
    /// The libzmq name, for error messages.
    public let description: String

    init(_ rawValue: Int32, _ name: String) {
        self.rawValue = rawValue
        self.description = name
    }

    /// The id a ROUTER peer sees for this socket, 1-255 bytes, set before connecting (`ZMQ_ROUTING_ID`).
    public static let routingID = ZMQBytesOption(ZMQ_ROUTING_ID, "ZMQ_ROUTING_ID")
    /// This socket's CURVE public key, 32 bytes (`ZMQ_CURVE_PUBLICKEY`).
    public static let curvePublicKey = ZMQBytesOption(ZMQ_CURVE_PUBLICKEY, "ZMQ_CURVE_PUBLICKEY")
    /// This socket's CURVE secret key, 32 bytes (`ZMQ_CURVE_SECRETKEY`).
    public static let curveSecretKey = ZMQBytesOption(ZMQ_CURVE_SECRETKEY, "ZMQ_CURVE_SECRETKEY")
    /// A CURVE client's copy of the server's public key, 32 bytes (`ZMQ_CURVE_SERVERKEY`).
    public static let curveServerKey = ZMQBytesOption(ZMQ_CURVE_SERVERKEY, "ZMQ_CURVE_SERVERKEY")
    /// The ZAP domain sent with this socket's authentication requests (`ZMQ_ZAP_DOMAIN`).
    public static let zapDomain = ZMQBytesOption(ZMQ_ZAP_DOMAIN, "ZMQ_ZAP_DOMAIN")
}

extension ZMQSocket {
    /// Sets an integer option.
    public func set(_ option: ZMQIntOption, _ value: Int32) throws {
        let handle = try openHandle("zmq_setsockopt(\(option))")
        var value = value
        guard zmq_setsockopt(handle, option.rawValue, &value, MemoryLayout<Int32>.size) == 0 else {
            throw ZMQError.last("zmq_setsockopt(\(option))")
        }
    }

    /// Reads an integer option.
    public func get(_ option: ZMQIntOption) throws -> Int32 {
        let handle = try openHandle("zmq_getsockopt(\(option))")
        var value: Int32 = 0
        var size = MemoryLayout<Int32>.size
        guard zmq_getsockopt(handle, option.rawValue, &value, &size) == 0 else {
            throw ZMQError.last("zmq_getsockopt(\(option))")
        }
        return value
    }

    /// Sets a byte-string option.
    public func set(_ option: ZMQBytesOption, _ value: [UInt8]) throws {
        let handle = try openHandle("zmq_setsockopt(\(option))")
        let rc = value.withUnsafeBytes { zmq_setsockopt(handle, option.rawValue, $0.baseAddress, $0.count) }
        guard rc == 0 else { throw ZMQError.last("zmq_setsockopt(\(option))") }
    }

    /// Reads a byte-string option (at most 256 bytes; CURVE keys come back as 32 raw bytes).
    public func get(_ option: ZMQBytesOption) throws -> [UInt8] {
        try bytesOption(option.rawValue, name: option.description, capacity: 256)
    }

    func bytesOption(_ option: Int32, name: String, capacity: Int) throws -> [UInt8] {
        let handle = try openHandle("zmq_getsockopt(\(name))")
        var bytes = [UInt8](repeating: 0, count: capacity)
        var size = capacity
        let rc = bytes.withUnsafeMutableBytes { zmq_getsockopt(handle, option, $0.baseAddress, &size) }
        guard rc == 0 else { throw ZMQError.last("zmq_getsockopt(\(name))") }
        return Array(bytes.prefix(size))
    }

    /// Sets the largest message this socket accepts; a peer sending more is disconnected
    /// (`ZMQ_MAXMSGSIZE`, bytes, -1 for no limit).
    public func setMaxMessageSize(_ bytes: Int64) throws {
        let handle = try openHandle("zmq_setsockopt(ZMQ_MAXMSGSIZE)")
        var value = bytes
        guard zmq_setsockopt(handle, ZMQ_MAXMSGSIZE, &value, MemoryLayout<Int64>.size) == 0 else {
            throw ZMQError.last("zmq_setsockopt(ZMQ_MAXMSGSIZE)")
        }
    }

    /// The largest message this socket accepts (`ZMQ_MAXMSGSIZE`), -1 for no limit.
    public func maxMessageSize() throws -> Int64 {
        let handle = try openHandle("zmq_getsockopt(ZMQ_MAXMSGSIZE)")
        var value: Int64 = 0
        var size = MemoryLayout<Int64>.size
        guard zmq_getsockopt(handle, ZMQ_MAXMSGSIZE, &value, &size) == 0 else {
            throw ZMQError.last("zmq_getsockopt(ZMQ_MAXMSGSIZE)")
        }
        return value
    }

    // MARK: Typed conveniences

    /// Sets both high-water marks (messages per peer; 0 means no limit).
    public func setHighWaterMarks(send: Int32, receive: Int32) throws {
        try set(.sendHighWaterMark, send)
        try set(.receiveHighWaterMark, receive)
    }

    /// Sets the timeouts of the blocking `send`/`receive` calls; `nil` waits forever.
    public func setTimeouts(send: Duration?, receive: Duration?) throws {
        try set(.sendTimeout, send.map { Int32($0.roundedUpMilliseconds) } ?? -1)
        try set(.receiveTimeout, receive.map { Int32($0.roundedUpMilliseconds) } ?? -1)
    }

    /// Turns on ZMTP heartbeats, so a silent or vanished peer is disconnected (and the monitor
    /// reports `disconnected`) after about `interval + timeout`.
    /// - Parameters:
    ///   - interval: time between PINGs.
    ///   - timeout: how long to wait for traffic after a PING; defaults to `interval`.
    ///   - ttl: how long the peer should wait for us before it disconnects; `nil` leaves it off.
    public func setHeartbeat(interval: Duration, timeout: Duration? = nil, ttl: Duration? = nil) throws {
        try set(.heartbeatInterval, Int32(interval.roundedUpMilliseconds))
        try set(.heartbeatTimeout, Int32((timeout ?? interval).roundedUpMilliseconds))
        if let ttl { try set(.heartbeatTTL, Int32(ttl.roundedUpMilliseconds)) }
    }

    /// Sets the routing id a ROUTER peer will see; call before ``connect(_:)``.
    public func setRoutingID(_ id: [UInt8]) throws {
        guard (1...255).contains(id.count) else {
            throw ZMQUsageError("a routing id needs 1 to 255 bytes, got \(id.count)")
        }
        try set(.routingID, id)
    }

    /// This socket's routing id (`ZMQ_ROUTING_ID`).
    public func routingID() throws -> [UInt8] {
        try get(.routingID)
    }

    /// On a ROUTER, makes sends to departed peers fail with `EHOSTUNREACH` instead of vanishing.
    public func setRouterMandatory(_ isMandatory: Bool) throws {
        try set(.routerMandatory, isMandatory ? 1 : 0)
    }

    /// Makes this socket a CURVE server. Clients are then checked by the context's ZAP handler
    /// (``ZAPHandler``) if one runs; without one, any client knowing the public key is admitted.
    /// - Parameters:
    ///   - secretKey: the server's secret key (its public key is what clients are given).
    ///   - zapDomain: the domain sent to the ZAP handler.
    public func makeCurveServer(secretKey: ZMQCurveKey, zapDomain: String = "mimeo") throws {
        try set(.curveServer, 1)
        try set(.curveSecretKey, secretKey.bytes)
        try set(.zapDomain, Array(zapDomain.utf8))
    }

    /// Makes this socket a CURVE client of the server whose public key is `serverKey`.
    /// - Parameters:
    ///   - keyPair: the client's own keys (the server's allow-list holds its public key).
    ///   - serverKey: the server's public key.
    public func makeCurveClient(keyPair: ZMQCurveKeyPair, serverKey: ZMQCurveKey) throws {
        try set(.curveServerKey, serverKey.bytes)
        try set(.curvePublicKey, keyPair.publicKey.bytes)
        try set(.curveSecretKey, keyPair.secretKey.bytes)
    }
}
