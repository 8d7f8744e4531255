import Testing
@testable import MimeoZMQ

@Suite struct ZMQMonitorTests {
    @Test func monitorReportsAcceptHandshakeAndDisconnect() throws {
        let context = try ZMQContext()
        let router = try context.makeSocket(.router)
        let monitor = try router.makeMonitor()
        let endpoint = try router.bindToRandomPort()
        let dealer = try context.makeSocket(.dealer)
        let dealerMonitor = try dealer.makeMonitor()
        try dealer.connect(endpoint)

        let accepted = try #require(try monitor.waitForEvent(.accepted, timeout: .seconds(5)))
        #expect(accepted.endpoint == endpoint)
        #expect(try monitor.waitForEvent(.handshakeSucceeded, timeout: .seconds(5)) != nil)
        let connected = try #require(try dealerMonitor.waitForEvent(.connected, timeout: .seconds(5)))
        #expect(connected.endpoint == endpoint)

        dealer.close()
        #expect(try monitor.waitForEvent(.disconnected, timeout: .seconds(5)) != nil)
        router.close()
        #expect(try monitor.waitForEvent(.closed, timeout: .seconds(5)) != nil)
    }

    /// A peer that goes silent without closing its connection (the relay freezes) is only
    /// noticed with heartbeats: with them the ROUTER's monitor reports `disconnected` within
    /// about interval + timeout; without them it never does.
    @Test(arguments: [true, false])
    func heartbeatsMakeASilentPeerVisibleAsDisconnected(heartbeats: Bool) throws {
        let context = try ZMQContext()
        let router = try context.makeSocket(.router)
        if heartbeats { try router.setHeartbeat(interval: .milliseconds(100), timeout: .milliseconds(300)) }
        let monitor = try router.makeMonitor()
        let endpoint = try router.bindToRandomPort()
        let proxy = try TCPProxy(targetPort: port(of: endpoint))
        defer { proxy.stop() }

        let dealer = try context.makeSocket(.dealer)
        try dealer.connect("tcp://127.0.0.1:\(proxy.port)")
        try dealer.send(ZMQMessage(strings: ["ready"]))
        _ = try #require(try router.receiveRouted(timeout: .seconds(5)))
        #expect(try monitor.waitForEvent(.handshakeSucceeded, timeout: .seconds(5)) != nil)

        proxy.freeze()
        let clock = ContinuousClock()
        let start = clock.now
        let event = try monitor.waitForEvent(.disconnected, timeout: heartbeats ? .seconds(5) : .milliseconds(1200))
        if heartbeats {
            #expect(event != nil)
            #expect(clock.now - start < .seconds(3))
        } else {
            #expect(event == nil)
        }
    }

    @Test func decodesLibzmqEventFrames() throws {
        var head = [UInt8](repeating: 0, count: 6)
        head.withUnsafeMutableBytes {
            $0.storeBytes(of: UInt16(0x4000), toByteOffset: 0, as: UInt16.self)
            $0.storeBytes(of: UInt32(400), toByteOffset: 2, as: UInt32.self)
        }
        let event = try ZMQMonitor.decode(ZMQMessage([head, Array("tcp://127.0.0.1:1".utf8)]))
        #expect(event == ZMQMonitorEvent(kind: .handshakeFailedAuth, value: 400, endpoint: "tcp://127.0.0.1:1"))
        #expect(throws: ZMQUsageError.self) { try ZMQMonitor.decode(ZMQMessage([[1, 2]])) }
        #expect(ZMQMonitorEvent.Kind(rawValue: 0x0001) == .connected)
        #expect(ZMQMonitorEvent.Kind(rawValue: 0x8000) == .other(0x8000))
    }
}
