import Foundation
import Testing
@testable import MimeoZMQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A one-connection TCP relay on 127.0.0.1 that can be frozen: it then stops forwarding but
/// keeps both connections open, so the peers see a silent (not a closed) connection, as when a
/// machine hangs or a cable is pulled. Only heartbeats can notice that.
final class TCPProxy: Sendable {
    /// The port clients connect to.
    let port: UInt16
    private let isFrozen = Locked(false)
    private let isStopping = Locked(false)
    private let finished = DispatchSemaphore(value: 0)

    /// Starts relaying connections on a free port to `127.0.0.1:targetPort`.
    init(targetPort: UInt16) throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw ZMQUsageError("socket: \(errno)") }
        var address = Self.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        guard bound == 0, listen(listener, 4) == 0, named == 0 else {
            close(listener)
            throw ZMQUsageError("cannot listen on 127.0.0.1: errno \(errno)")
        }
        port = UInt16(bigEndian: address.sin_port)
        let isFrozen = self.isFrozen
        let isStopping = self.isStopping
        let finished = self.finished
        Thread {
            defer { finished.signal() }
            var open: [Int32] = [listener]
            defer { open.forEach { close($0) } }
            var pair: (Int32, Int32)?
            var buffer = [UInt8](repeating: 0, count: 64 << 10)
            while !isStopping.withLock({ $0 }) {
                guard let (client, server) = pair else {
                    var item = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
                    guard poll(&item, 1, 20) == 1 else { continue }
                    let client = accept(listener, nil, nil)
                    let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                    var target = Self.loopback(port: targetPort)
                    let connected = withUnsafePointer(to: &target) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                            connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                        }
                    }
                    open += [client, server]
                    if client >= 0, connected == 0 { pair = (client, server) } else { return }
                    continue
                }
                if isFrozen.withLock({ $0 }) {
                    usleep(10_000)
                    continue
                }
                var items = [pollfd(fd: client, events: Int16(POLLIN), revents: 0),
                             pollfd(fd: server, events: Int16(POLLIN), revents: 0)]
                guard poll(&items, 2, 20) > 0 else { continue }
                for (from, to) in [(0, server), (1, client)] where items[from].revents != 0 {
                    let count = buffer.withUnsafeMutableBytes { read(items[from].fd, $0.baseAddress, $0.count) }
                    if count <= 0 { return }
                    var sent = 0
                    while sent < count {
                        let written = buffer.withUnsafeBytes { write(to, $0.baseAddress! + sent, count - sent) }
                        if written <= 0 { return }
                        sent += written
                    }
                }
            }
        }.start()
    }

    /// Stops forwarding, keeping the connections open.
    func freeze() {
        isFrozen.withLock { $0 = true }
    }

    /// Closes everything and waits for the relay thread to end.
    func stop() {
        isStopping.withLock { $0 = true }
        finished.wait()
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}

/// The port of a `tcp://host:port` endpoint.
func port(of endpoint: String) throws -> UInt16 {
    try #require(endpoint.split(separator: ":").last.flatMap { UInt16($0) })
}
