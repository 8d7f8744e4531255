import MimeoZMQ

/// Serves `GET /metrics` over HTTP/1.x from inside a ZeroMQ poll loop, on a `ZMQ_STREAM` socket:
/// no threads of its own, no other I/O.
///
/// ```swift
/// let endpoint = try MetricsEndpoint(context: context, address: "127.0.0.1:9570")
/// let metricsIndex = poller.register(endpoint.socket)
/// while running {
///     let ready = try poller.poll(timeout: .milliseconds(250))
///     if ready[metricsIndex].contains(.readable) {
///         try endpoint.serveReadable { metrics.exposition() }
///     }
///     …
/// }
/// ```
///
/// Each connection gets one response and is then closed (`Connection: close`): `200` with the
/// Prometheus text format for `GET` (or `HEAD`) `/metrics`, `405` for other methods there, `404`
/// for other paths, and `400` for a request head that is malformed or over
/// ``maxRequestHeadBytes`` without ending. Bytes after the head are ignored. At most
/// ``maxConnections`` connections are kept; a new one beyond that closes the oldest.
///
/// Like its socket, an endpoint belongs to one thread and is not `Sendable`.
public final class MetricsEndpoint {
    /// The largest request head read, blank line included; a longer one is answered with `400`.
    public static let maxRequestHeadBytes = 8192
    /// The `Content-Type` of a `200` response.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The `ZMQ_STREAM` socket, to register with a ``ZMQPoller`` for `.readable`.
    public let socket: ZMQSocket
    /// The endpoint bound, with the port resolved: `tcp://127.0.0.1:9570`.
    public let endpoint: String
    /// The TCP port bound.
    public let port: Int
    /// The most connections kept open at once.
    public let maxConnections: Int
    /// The most socket messages one ``serveReadable(body:)`` call reads, so that a flood of
    /// connections cannot hold the poll loop; what is left keeps the socket readable.
    public let maxMessagesPerCall: Int

    private struct Connection {
        let opened: UInt64
        var buffer: [UInt8] = []
        var searchedUpTo = 0
    }

    private var connections: [[UInt8]: Connection] = [:]
    /// Connections this endpoint closed, so that their late bytes and close notices are not taken
    /// for new connections; libzmq never reuses a routing id.
    private var recentlyClosed: Set<[UInt8]> = []
    private var recentlyClosedOrder: [[UInt8]] = []
    private var openedCount: UInt64 = 0

    /// Binds a `ZMQ_STREAM` socket.
    /// - Parameters:
    ///   - context: the poll loop's context.
    ///   - address: `HOST:PORT` as given to `--metrics` (`127.0.0.1:9570`), or `tcp://HOST:PORT`;
    ///     port 0 picks a free port (see ``port``); `*` as the host listens on every interface.
    ///   - maxConnections: the most connections kept open at once.
    ///   - maxMessagesPerCall: the most socket messages one ``serveReadable(body:)`` reads.
    public init(context: ZMQContext, address: String, maxConnections: Int = 64, maxMessagesPerCall: Int = 1024) throws {
        precondition(maxConnections > 0 && maxMessagesPerCall > 0, "limits must be positive")
        let (host, port) = try Self.parse(address: address)
        let socket = try context.makeSocket(.stream)
        try socket.bind("tcp://\(host):\(port == 0 ? "*" : String(port))")
        let bound = try socket.lastEndpoint()
        guard let colon = bound.lastIndex(of: ":"), let boundPort = Int(bound[bound.index(after: colon)...]) else {
            throw ZMQUsageError("cannot read the port of the metrics endpoint \(bound)")
        }
        self.socket = socket
        self.endpoint = bound
        self.port = boundPort
        self.maxConnections = maxConnections
        self.maxMessagesPerCall = maxMessagesPerCall
    }

    /// Splits `HOST:PORT` (or `tcp://HOST:PORT`) into its parts.
    static func parse(address: String) throws -> (host: String, port: Int) {
        let bare = address.hasPrefix("tcp://") ? String(address.dropFirst(6)) : address
        guard let colon = bare.lastIndex(of: ":"),
              case let host = String(bare[..<colon]), !host.isEmpty,
              !host.contains(where: { $0 == "/" || $0 == ":" || $0.isWhitespace }),
              let port = Int(bare[bare.index(after: colon)...]), (0...65535).contains(port)
        else {
            throw ZMQUsageError("a metrics address is HOST:PORT, such as 127.0.0.1:9570; got '\(address)'")
        }
        return (host, port)
    }

    /// The number of connections open now.
    public var openConnections: Int { connections.count }

    /// Reads what is waiting on the socket without blocking and answers every complete request.
    /// - Parameters:
    ///   - body: the metrics text; called at most once per call, and only for a `GET /metrics`.
    /// - Throws: a ``ZMQError`` from the socket itself (`ETERM` when the context shuts down);
    ///   a connection that went away is not an error.
    public func serveReadable(body: () -> [UInt8]) throws {
        var metrics: [UInt8]?
        let lazyBody = {
            if metrics == nil { metrics = body() }
            return metrics!
        }
        for _ in 0..<maxMessagesPerCall {
            guard let message = try socket.receive(timeout: .zero) else { return }
            // A STREAM socket delivers [routing id, bytes]; anything else is not from libzmq.
            guard message.count == 2 else { continue }
            try handle(id: message[0], bytes: message[1], body: lazyBody)
        }
    }

    /// Closes every connection and the socket.
    public func close() {
        socket.close()
        connections.removeAll()
    }

    private func handle(id: [UInt8], bytes: [UInt8], body: () -> [UInt8]) throws {
        guard !bytes.isEmpty else {
            // An empty frame: a connection opened, or one closed by its peer.
            if connections.removeValue(forKey: id) == nil, !recentlyClosed.contains(id) {
                try open(id)
            }
            return
        }
        guard var connection = connections[id] else { return }
        let limit = Self.maxRequestHeadBytes
        connection.buffer.append(contentsOf: bytes.prefix(limit - connection.buffer.count))
        let searchEnd = connection.buffer.count
        if let headEnd = Self.blankLine(in: connection.buffer, from: connection.searchedUpTo, to: searchEnd) {
            let response = respond(to: HTTPRequestHead(connection.buffer[..<headEnd]), body: body)
            try finish(id, sending: response)
        } else if connection.buffer.count >= limit {
            try finish(id, sending: Self.response(status: "400 Bad Request", text: "request head too large\n"))
        } else if !Self.requestLineMayBeValid(connection.buffer) {
            try finish(id, sending: Self.response(status: "400 Bad Request", text: "malformed request line\n"))
        } else {
            connection.searchedUpTo = max(0, searchEnd - 3)
            connections[id] = connection
        }
    }

    /// Whether the request line, if it has arrived, is well formed: a bad one is answered at
    /// once rather than after the whole head.
    private static func requestLineMayBeValid(_ buffer: [UInt8]) -> Bool {
        guard let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) else { return true }
        return newline > 0 && buffer[newline - 1] == UInt8(ascii: "\r")
            && HTTPRequestHead(buffer[..<(newline - 1)]) != nil
    }

    private func open(_ id: [UInt8]) throws {
        if connections.count >= maxConnections,
           let oldest = connections.min(by: { $0.value.opened < $1.value.opened })?.key {
            try finish(oldest, sending: nil)
        }
        openedCount += 1
        connections[id] = Connection(opened: openedCount)
    }

    /// The index where `\r\n\r\n` starts in `buffer[from..<to]`, if it is there.
    private static func blankLine(in buffer: [UInt8], from start: Int, to end: Int) -> Int? {
        guard end - start >= 4 else { return nil }
        for index in start...(end - 4)
        where buffer[index] == 0x0D && buffer[index + 1] == 0x0A && buffer[index + 2] == 0x0D && buffer[index + 3] == 0x0A {
            return index
        }
        return nil
    }

    private func respond(to head: HTTPRequestHead?, body: () -> [UInt8]) -> [UInt8] {
        guard let head else {
            return Self.response(status: "400 Bad Request", text: "malformed request\n")
        }
        guard head.path == "/metrics" else {
            return Self.response(status: "404 Not Found", text: "not found; metrics are at /metrics\n")
        }
        switch head.method {
        case "GET", "HEAD":
            return Self.response(
                status: "200 OK", contentType: Self.contentType, body: body(), includeBody: head.method == "GET")
        default:
            return Self.response(
                status: "405 Method Not Allowed", text: "only GET and HEAD\n", extraHeaders: "Allow: GET, HEAD\r\n")
        }
    }

    private static func response(status: String, text: String, extraHeaders: String = "") -> [UInt8] {
        response(status: status, contentType: "text/plain; charset=utf-8", body: Array(text.utf8), extraHeaders: extraHeaders)
    }

    private static func response(
        status: String, contentType: String, body: [UInt8], includeBody: Bool = true, extraHeaders: String = ""
    ) -> [UInt8] {
        let head = "HTTP/1.1 \(status)\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n"
            + extraHeaders + "Connection: close\r\n\r\n"
        return includeBody ? Array(head.utf8) + body : Array(head.utf8)
    }

    /// Sends `response` (if any) and closes the connection; a peer already gone is no error.
    private func finish(_ id: [UInt8], sending response: [UInt8]?) throws {
        connections[id] = nil
        remember(closed: id)
        do {
            if let response {
                guard try socket.sendFrame(id, more: true, dontWait: true) else { return }
                try socket.sendFrame(response)
            }
            guard try socket.sendFrame(id, more: true, dontWait: true) else { return }
            try socket.sendFrame([])
        } catch let error as ZMQError where error.isHostUnreachable || error.isWouldBlock {
            return
        }
    }

    private func remember(closed id: [UInt8]) {
        recentlyClosed.insert(id)
        recentlyClosedOrder.append(id)
        if recentlyClosedOrder.count > 4 * maxConnections {
            let forgotten = recentlyClosedOrder.prefix(2 * maxConnections)
            recentlyClosed.subtract(forgotten)
            recentlyClosedOrder.removeFirst(forgotten.count)
        }
    }
}
