import Synchronization
import Foundation
@testable import MimeoObservability
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A plain TCP client on 127.0.0.1 for the metrics endpoint's tests, run on a thread of its own
/// so that the test's thread can drive the poll loop.
final class HTTPTestClient: Sendable {
    /// What a client saw: the bytes it read, whether the server closed the connection, and
    /// the errors it met.
    struct Outcome: Sendable, CustomStringConvertible {
        var received: [UInt8] = []
        var sawEndOfStream = false
        var failure: String?

        var text: String { String(decoding: received, as: UTF8.self) }
        var description: String {
            "\(received.count) bytes, end of stream \(sawEndOfStream), failure \(failure ?? "none"): \(text.prefix(300).debugDescription)"
        }
        /// `HTTP/1.1 200 OK`.
        var statusLine: String { text.components(separatedBy: "\r\n").first ?? "" }
        /// The value of a response header, by case-insensitive name.
        func header(_ name: String) -> String? {
            let head = text.components(separatedBy: "\r\n\r\n").first ?? ""
            for line in head.components(separatedBy: "\r\n").dropFirst() {
                let parts = line.split(separator: ":", maxSplits: 1)
                if parts.count == 2, parts[0].lowercased() == name.lowercased() {
                    return parts[1].trimmingCharacters(in: .whitespaces)
                }
            }
            return nil
        }
        /// The bytes after the head.
        var body: [UInt8] {
            guard let range = received.firstRange(of: Array("\r\n\r\n".utf8)) else { return [] }
            return Array(received[range.upperBound...])
        }
    }

    private let outcome = Mutex<Outcome?>(nil)

    /// Connects to `127.0.0.1:port`, sends `chunks` with `pause` between them, then reads until
    /// the server closes the connection or `timeout` passes. With `closeWithoutReading`, closes
    /// right after sending instead. A `slowReader` has a 4 KiB receive buffer and waits 300 ms
    /// before reading, so the server must close while most of a large response is still unsent.
    init(port: Int, chunks: [[UInt8]], pause: Duration = .zero, closeWithoutReading: Bool = false,
         slowReader: Bool = false, timeout: Duration = .seconds(5)) {
        Thread { [self] in
            let result = Self.exchange(
                port: port, chunks: chunks, pause: pause, closeWithoutReading: closeWithoutReading,
                slowReader: slowReader, timeout: timeout)
            self.outcome.withLock { $0 = result }
        }.start()
    }

    /// Whether the exchange has ended.
    var isFinished: Bool { outcome.withLock { $0 != nil } }
    /// The outcome, once finished.
    var result: Outcome? { outcome.withLock { $0 } }

    private static func exchange(
        port: Int, chunks: [[UInt8]], pause: Duration, closeWithoutReading: Bool, slowReader: Bool, timeout: Duration
    ) -> Outcome {
        var outcome = Outcome()
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return Outcome(failure: "socket: errno \(errno)") }
        defer { close(descriptor) }
        if slowReader {
            var bytes: Int32 = 4096
            setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &bytes, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7F00_0001).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return Outcome(failure: "connect: errno \(errno)") }
        for (index, chunk) in chunks.enumerated() {
            if index > 0, pause > .zero { Thread.sleep(forTimeInterval: pause.seconds) }
            var sent = 0
            while sent < chunk.count {
                let result = chunk[sent...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if result < 0 {
                    if errno == EINTR { continue }
                    // The server may answer and close before all of a flood is sent; read what it said.
                    outcome.failure = "send: errno \(errno)"
                    break
                }
                sent += result
            }
            if outcome.failure != nil { break }
        }
        if closeWithoutReading { return outcome }
        if slowReader { Thread.sleep(forTimeInterval: 0.3) }
        let deadline = ContinuousClock.now + timeout
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while ContinuousClock.now < deadline {
            var item = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&item, 1, 50) == 1 else { continue }
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                outcome.received += buffer[..<count]
            } else if count == 0 {
                outcome.sawEndOfStream = true
                return outcome
            } else if errno != EINTR {
                outcome.failure = (outcome.failure.map { $0 + "; " } ?? "") + "recv: errno \(errno)"
                return outcome
            }
        }
        return outcome
    }
}
