// Loopback benchmark of MimeoZMQ: round-trip latency, pipelined small messages, large frames,
// with and without CURVE. Not part of the test suite; run it with
//   swift run -c release MimeoZMQBenchmark
// It talks only to 127.0.0.1. The numbers go into docs/zeromq.md.
import Foundation
import MimeoZMQ

/// CURVE settings for one run: the server's keys and a listed client's keys.
struct Curve: Sendable {
    let server: ZMQCurveKeyPair
    let client: ZMQCurveKeyPair
}

/// Starts the peer thread: a DEALER with routing id "peer" that echoes every message, or,
/// for a "count" request, counts `n` bytes of frames that follow and answers "done".
func startPeer(context: ZMQContext, endpoint: String, curve: Curve?) -> DispatchSemaphore {
    let finished = DispatchSemaphore(value: 0)
    Thread {
        defer { finished.signal() }
        do {
            let dealer = try context.makeSocket(.dealer)
            try dealer.setRoutingID(Array("peer".utf8))
            if let curve { try dealer.makeCurveClient(keyPair: curve.client, serverKey: curve.server.publicKey) }
            try dealer.connect(endpoint)
            try dealer.send(ZMQMessage(strings: ["hello"]))
            while let message = try dealer.receive(timeout: .seconds(30)) {
                switch message.string(at: 0) {
                case "stop":
                    return
                case "count":
                    let target = Int(message.string(at: 1))!
                    var received = 0
                    while received < target {
                        received += try dealer.receiveFrame { bytes, _ in bytes.count } ?? 0
                    }
                    try dealer.send(ZMQMessage(strings: ["done"]))
                default:
                    try dealer.send(message)
                }
            }
        } catch {
            print("peer: \(error)")
        }
    }.start()
    return finished
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

func run(curve: Curve?) throws {
    let context = try ZMQContext()
    let zap = try curve.map { try ZAPHandler(context: context, allowList: [$0.client.publicKey]) }
    defer { zap?.stop() }
    let router = try context.makeSocket(.router)
    try router.setRouterMandatory(true)
    if let curve { try router.makeCurveServer(secretKey: curve.server.secretKey) }
    let endpoint = try router.bindToRandomPort(host: "127.0.0.1")
    let clock = ContinuousClock()
    let connectStart = clock.now
    let finished = startPeer(context: context, endpoint: endpoint, curve: curve)
    guard let (peer, _) = try router.receiveRouted(timeout: .seconds(10)) else { throw ZMQUsageError("peer never said hello") }
    let label = curve == nil ? "plain " : "CURVE "
    print("\(label) connect + handshake + first message: \(String(format: "%.2f", seconds(clock.now - connectStart) * 1000)) ms")

    // Round trips of a 64-byte message.
    let small = ZMQMessage([[UInt8](repeating: 42, count: 64)])
    for _ in 0..<1000 { try router.send(to: peer, small); _ = try router.receiveRouted(timeout: nil) }
    var times: [Double] = []
    for _ in 0..<20_000 {
        let start = clock.now
        try router.send(to: peer, small)
        _ = try router.receiveRouted(timeout: nil)
        times.append(seconds(clock.now - start) * 1e6)
    }
    times.sort()
    print("\(label) round trip, 64 B: median \(String(format: "%.1f", times[times.count / 2])) µs, p99 \(String(format: "%.1f", times[times.count * 99 / 100])) µs (20,000 trips)")

    // Pipelined one-way 64-byte messages.
    let count = 200_000
    var start = clock.now
    try router.send(to: peer, ZMQMessage(strings: ["count", String(count * 64)]))
    for _ in 0..<count { try router.send(to: peer, small) }
    _ = try router.receiveRouted(timeout: nil)
    let rate = Double(count) / seconds(clock.now - start)
    print("\(label) pipelined 64 B: \(String(format: "%.0f", rate)) msg/s (\(count) messages)")

    // Large frames: copying sends of an existing array, then zero-copy sends of buffers filled in place.
    for (size, frames) in [(1 << 20, 1024), (64 << 20, 16)] {
        let payload = [UInt8](repeating: 7, count: size)
        start = clock.now
        try router.send(to: peer, ZMQMessage(strings: ["count", String(size * frames)]))
        for _ in 0..<frames { try router.send(to: peer, ZMQMessage([payload])) }
        _ = try router.receiveRouted(timeout: nil)
        let copying = Double(size * frames) / seconds(clock.now - start) / Double(1 << 20)

        start = clock.now
        try router.send(to: peer, ZMQMessage(strings: ["count", String(size * frames)]))
        for index in 0..<frames {
            var buffer = try ZMQBuffer(count: size)
            buffer.withUnsafeMutableBytes { _ = memset($0.baseAddress!, Int32(index & 0xFF), size) }
            try router.sendFrame(peer, more: true)
            try router.sendFrame(buffer)
        }
        _ = try router.receiveRouted(timeout: nil)
        let zeroCopy = Double(size * frames) / seconds(clock.now - start) / Double(1 << 20)
        print("\(label) \(size >> 20) MiB frames × \(frames): copying send \(String(format: "%.0f", copying)) MiB/s, zero-copy send (buffer filled in place) \(String(format: "%.0f", zeroCopy)) MiB/s")
    }

    try router.send(to: peer, ZMQMessage(strings: ["stop"]))
    finished.wait()
}

print("libzmq \(ZMQContext.version), CURVE \(ZMQContext.has("curve")), \(ProcessInfo.processInfo.activeProcessorCount) cores")
try run(curve: nil)
try run(curve: Curve(server: ZMQCurveKeyPair.generate(), client: ZMQCurveKeyPair.generate()))
