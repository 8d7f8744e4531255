import Foundation
import MimeoZMQ
import Testing
@testable import MimeoObservability

@Suite struct MetricsEndpointTests {
    static let getMetrics = Array("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/plain\r\n\r\n".utf8)

    /// Runs the endpoint's poll loop on this thread until every client has finished (or 10 s pass).
    func serve(
        _ endpoint: MetricsEndpoint, clients: () -> [HTTPTestClient], body: @escaping () -> [UInt8]
    ) throws {
        let poller = ZMQPoller()
        let index = poller.register(endpoint.socket)
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline, !clients().allSatisfy(\.isFinished) {
            if try poller.poll(timeout: .milliseconds(20))[index].contains(.readable) {
                try endpoint.serveReadable(body: body)
            }
        }
    }

    /// One client's exchange with a fresh endpoint.
    func exchange(
        _ chunks: [[UInt8]], pause: Duration = .zero, slowReader: Bool = false, body: [UInt8] = Array("m 1\n".utf8)
    ) throws -> HTTPTestClient.Outcome {
        let context = try ZMQContext()
        let endpoint = try MetricsEndpoint(context: context, address: "127.0.0.1:0")
        let client = HTTPTestClient(port: endpoint.port, chunks: chunks, pause: pause, slowReader: slowReader)
        try serve(endpoint, clients: { [client] }, body: { body })
        return try #require(client.result)
    }

    @Test func getMetricsAnswersWithTheExpositionAndCloses() throws {
        let context = try ZMQContext()
        let metrics = ClusterMetrics()
        metrics.setWorkersUp(3)
        metrics.shardDone()
        let endpoint = try MetricsEndpoint(context: context, address: "tcp://127.0.0.1:0")
        #expect(endpoint.port > 0)
        #expect(endpoint.endpoint == "tcp://127.0.0.1:\(endpoint.port)")
        let client = HTTPTestClient(port: endpoint.port, chunks: [Self.getMetrics])
        var calls = 0
        try serve(endpoint, clients: { [client] }) {
            calls += 1
            return metrics.exposition()
        }
        let outcome = try #require(client.result)
        #expect(outcome.failure == nil)
        #expect(outcome.sawEndOfStream)
        #expect(outcome.statusLine == "HTTP/1.1 200 OK")
        #expect(outcome.header("Content-Type")?.hasPrefix("text/plain; version=0.0.4") == true)
        #expect(outcome.header("Connection") == "close")
        #expect(outcome.header("Content-Length") == String(outcome.body.count))
        let values = samples(outcome.body)
        #expect(values["mimeo_workers_up"] == 3)
        #expect(values["mimeo_shards_done_total"] == 1)
        #expect(calls == 1)
        #expect(endpoint.openConnections == 0)
    }

    @Test func aLargeBodyArrivesWholeAtASlowReader() throws {
        // Closing the connection right after queuing the response must not cut the response short.
        var body: [UInt8] = []
        for line in 0..<100_000 { body += Array("mimeo_line_\(line) \(line)\n".utf8) }
        let outcome = try exchange([Self.getMetrics], slowReader: true, body: body)
        #expect(outcome.statusLine == "HTTP/1.1 200 OK")
        #expect(outcome.sawEndOfStream)
        #expect(outcome.body.count == body.count)
        #expect(outcome.body == body)
    }

    @Test func aRequestInPiecesIsAnsweredOnceItsHeadIsComplete() throws {
        let request = Self.getMetrics
        let outcome = try exchange(
            [Array(request[..<5]), Array(request[5..<21]), Array(request[21..<(request.count - 1)]), [request.last!]],
            pause: .milliseconds(30))
        #expect(outcome.statusLine == "HTTP/1.1 200 OK")
        #expect(outcome.text.hasSuffix("\r\n\r\nm 1\n"))
    }

    @Test func headGetsTheHeadersOnly() throws {
        let outcome = try exchange([Array("HEAD /metrics HTTP/1.0\r\n\r\n".utf8)], body: Array("m 1\n".utf8))
        #expect(outcome.statusLine == "HTTP/1.1 200 OK")
        #expect(outcome.header("Content-Length") == "4")
        #expect(outcome.body.isEmpty)
        #expect(outcome.sawEndOfStream)
    }

    @Test func otherPathsAreNotFoundAndOtherMethodsNotAllowed() throws {
        for path in ["/", "/metrics/", "/favicon.ico", "http://127.0.0.1/metrics"] {
            let outcome = try exchange([Array("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n".utf8)])
            #expect(outcome.statusLine == "HTTP/1.1 404 Not Found", "\(path)")
            #expect(outcome.sawEndOfStream)
        }
        let withQuery = try exchange([Array("GET /metrics?name=mimeo HTTP/1.1\r\n\r\n".utf8)])
        #expect(withQuery.statusLine == "HTTP/1.1 200 OK")
        let post = try exchange([Array("POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n".utf8)])
        #expect(post.statusLine == "HTTP/1.1 405 Method Not Allowed")
        #expect(post.header("Allow") == "GET, HEAD")
    }

    @Test func malformedRequestsGet400AndAreClosed() throws {
        let malformed = [
            "HELLO\r\n\r\n",
            "GET /metrics\r\n\r\n",
            "GET  /metrics HTTP/1.1\r\n\r\n",
            "GET /metrics HTTP/2.0\r\n\r\n",
            "GET /metrics HTTP/1.1\r\nno colon here\r\n\r\n",
            "GET /metrics HTTP/1.1\r\n: empty name\r\n\r\n",
            "GET /metrics HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
            "GET /metrics HTTP/1.1\nHost: a\r\n\r\n",
            "GET /metr\u{01}cs HTTP/1.1\r\n\r\n",
            "\r\n\r\n",
        ]
        for request in malformed {
            let outcome = try exchange([Array(request.utf8)])
            #expect(outcome.statusLine == "HTTP/1.1 400 Bad Request", "\(request.debugDescription)")
            #expect(outcome.sawEndOfStream, "\(request.debugDescription)")
        }
        // A bad request line is answered before the head ends.
        let early = try exchange([Array("BAD REQUEST LINE HERE\r\n".utf8)])
        #expect(early.statusLine == "HTTP/1.1 400 Bad Request")
        let binary = try exchange([[0x00, 0xFF, 0x0D, 0x0A, 0x16, 0x03, 0x01]])
        #expect(binary.statusLine == "HTTP/1.1 400 Bad Request")
    }

    @Test func twentyKibibytesOfGarbageGet400AndTheNextClientIsServed() throws {
        let context = try ZMQContext()
        let endpoint = try MetricsEndpoint(context: context, address: "127.0.0.1:0")
        var generator = SystemRandomNumberGenerator()
        // No CR or LF, so no request line ever ends: only the size limit can stop it.
        let garbage = (0..<(20 << 10)).map { _ in UInt8.random(in: 0x20...0x7E, using: &generator) }
        let flood = HTTPTestClient(port: endpoint.port, chunks: [garbage])
        try serve(endpoint, clients: { [flood] }, body: { Array("m 1\n".utf8) })
        let floodOutcome = try #require(flood.result)
        #expect(floodOutcome.statusLine == "HTTP/1.1 400 Bad Request")
        #expect(floodOutcome.text.contains("request head too large"))

        let next = HTTPTestClient(port: endpoint.port, chunks: [Self.getMetrics])
        try serve(endpoint, clients: { [next] }, body: { Array("m 1\n".utf8) })
        #expect(next.result?.statusLine == "HTTP/1.1 200 OK")
        #expect(endpoint.openConnections == 0)
    }

    @Test func randomInputFromManyClientsAlwaysGetsAnAnswerAndAClose() throws {
        let context = try ZMQContext()
        let endpoint = try MetricsEndpoint(context: context, address: "127.0.0.1:0")
        var generator = SystemRandomNumberGenerator()
        let pieces = ["GET ", "/metrics", " HTTP/1.1", "\r\n", "\r\n\r\n", "Host: a", ":", " ", "\n", "\r", "\u{0}", "é"]
        var clients: [HTTPTestClient] = []
        for _ in 0..<24 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 1...40, using: &generator) {
                if Bool.random(using: &generator) {
                    bytes += Array(pieces.randomElement(using: &generator)!.utf8)
                } else {
                    bytes += (0..<Int.random(in: 1...600, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                }
            }
            // Always ends the head, so every client is owed an answer.
            bytes += Array("\r\n\r\n".utf8)
            let chunkSize = Int.random(in: 1...4096, using: &generator)
            let chunks = stride(from: 0, to: bytes.count, by: chunkSize).map { Array(bytes[$0..<min($0 + chunkSize, bytes.count)]) }
            clients.append(HTTPTestClient(port: endpoint.port, chunks: chunks, pause: .milliseconds(1)))
        }
        try serve(endpoint, clients: { clients }, body: { Array("m 1\n".utf8) })
        let answers: Set<String> = ["HTTP/1.1 200 OK", "HTTP/1.1 400 Bad Request", "HTTP/1.1 404 Not Found", "HTTP/1.1 405 Method Not Allowed"]
        for client in clients {
            let outcome = try #require(client.result)
            #expect(answers.contains(outcome.statusLine), "\(outcome)")
        }
        let next = HTTPTestClient(port: endpoint.port, chunks: [Self.getMetrics])
        try serve(endpoint, clients: { [next] }, body: { Array("m 1\n".utf8) })
        #expect(next.result?.statusLine == "HTTP/1.1 200 OK")
    }

    @Test func aHeadOfExactlyTheLimitIsReadAndOneByteMoreIsNot() throws {
        func request(headBytes: Int) -> [UInt8] {
            let start = "GET /metrics HTTP/1.1\r\nX-Pad: "
            let padding = headBytes - start.utf8.count - 4
            return Array((start + String(repeating: "a", count: padding) + "\r\n\r\n").utf8)
        }
        let limit = MetricsEndpoint.maxRequestHeadBytes
        #expect(try exchange([request(headBytes: limit)]).statusLine == "HTTP/1.1 200 OK")
        #expect(try exchange([request(headBytes: limit + 1)]).statusLine == "HTTP/1.1 400 Bad Request")
    }

    @Test func aClientThatConnectsAndLeavesSilentlyIsForgotten() throws {
        let context = try ZMQContext()
        let endpoint = try MetricsEndpoint(context: context, address: "127.0.0.1:0")
        let silent = (0..<3).map { _ in HTTPTestClient(port: endpoint.port, chunks: [], closeWithoutReading: true) }
        let partial = HTTPTestClient(port: endpoint.port, chunks: [Array("GET /met".utf8)], closeWithoutReading: true)
        try serve(endpoint, clients: { silent + [partial] }, body: { [] })
        // The close notices may trail the clients' ends a little.
        let poller = ZMQPoller()
        poller.register(endpoint.socket)
        let deadline = ContinuousClock.now + .seconds(5)
        while endpoint.openConnections > 0, ContinuousClock.now < deadline {
            if try poller.poll(timeout: .milliseconds(20))[0].contains(.readable) {
                try endpoint.serveReadable { [] }
            }
        }
        #expect(endpoint.openConnections == 0)
        let next = HTTPTestClient(port: endpoint.port, chunks: [Self.getMetrics])
        try serve(endpoint, clients: { [next] }, body: { Array("m 1\n".utf8) })
        #expect(next.result?.statusLine == "HTTP/1.1 200 OK")
    }

    @Test func idleConnectionsBeyondTheLimitCloseTheOldest() throws {
        let context = try ZMQContext()
        let endpoint = try MetricsEndpoint(context: context, address: "127.0.0.1:0", maxConnections: 4)
        // Idle clients that wait up to 3 s for a response that never comes, unless closed.
        var idle: [HTTPTestClient] = []
        let poller = ZMQPoller()
        poller.register(endpoint.socket)
        for _ in 0..<10 {
            idle.append(HTTPTestClient(port: endpoint.port, chunks: [], timeout: .seconds(3)))
            // Let each connection be seen before the next, so "oldest" is well defined.
            let until = ContinuousClock.now + .milliseconds(100)
            while ContinuousClock.now < until {
                if try poller.poll(timeout: .milliseconds(10))[0].contains(.readable) {
                    try endpoint.serveReadable { [] }
                }
            }
            #expect(endpoint.openConnections <= 4)
        }
        #expect(endpoint.openConnections == 4)
        let next = HTTPTestClient(port: endpoint.port, chunks: [Self.getMetrics])
        try serve(endpoint, clients: { idle + [next] }, body: { Array("m 1\n".utf8) })
        #expect(next.result?.statusLine == "HTTP/1.1 200 OK")
        // The seven oldest were closed by the endpoint (end of stream, nothing sent), the rest timed out.
        let closedEarly = idle.prefix(7).filter { $0.result?.sawEndOfStream == true && $0.result?.received.isEmpty == true }
        #expect(closedEarly.count == 7)
        #expect(idle.suffix(3).allSatisfy { $0.result?.sawEndOfStream == false })
    }

    @Test func addressesAreHostColonPort() throws {
        #expect(try MetricsEndpoint.parse(address: "127.0.0.1:9570") == ("127.0.0.1", 9570))
        #expect(try MetricsEndpoint.parse(address: "tcp://0.0.0.0:0") == ("0.0.0.0", 0))
        #expect(try MetricsEndpoint.parse(address: "*:9570") == ("*", 9570))
        for bad in ["9570", ":9570", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "a b:1", "::1:80"] {
            #expect(throws: ZMQUsageError.self, "\(bad)") { try MetricsEndpoint.parse(address: bad) }
        }
    }

    @Test func requestHeadsParseStrictly() {
        func head(_ text: String) -> HTTPRequestHead? { HTTPRequestHead(Array(text.utf8)[...]) }
        #expect(head("GET /metrics HTTP/1.1") == HTTPRequestHead(method: "GET", path: "/metrics"))
        #expect(head("GET /metrics?x=1 HTTP/1.0\r\nHost: a\r\nAccept:\t*/*") == HTTPRequestHead(method: "GET", path: "/metrics"))
        #expect(head("get /metrics HTTP/1.1")?.method == "get")
        for bad in ["", "GET", "GET /metrics", "GET /metrics HTTP/1.1 extra", "GET /metrics HTTP/11",
                    "GET /metrics HTTP/1.1\r\nHost", "GET /metrics HTTP/1.1\r\nHo st: a", "GET /metrics HTTP/1.1\r\n",
                    "GET /metrics HTTP/1.1\r\nHost: a\u{7F}", "GET /metrics HTTP/1.1\rHost: a", "G(T /metrics HTTP/1.1"] {
            #expect(head(bad) == nil, "\(bad.debugDescription)")
        }
    }
}
