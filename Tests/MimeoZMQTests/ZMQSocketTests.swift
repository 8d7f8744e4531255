import Testing
@testable import MimeoZMQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite struct ZMQSocketTests {
    @Test func routerDealerRoundTripKeepsRoutingIDsAndFrames() throws {
        let context = try ZMQContext()
        let router = try context.makeSocket(.router)
        try router.setRouterMandatory(true)
        let endpoint = try router.bindToRandomPort(host: "127.0.0.1")
        #expect(endpoint.hasPrefix("tcp://127.0.0.1:"))
        #expect(!endpoint.hasSuffix(":*"))

        var dealers: [ZMQSocket] = []
        for name in ["w1", "w2"] {
            let dealer = try context.makeSocket(.dealer)
            try dealer.setRoutingID(Array(name.utf8))
            try dealer.connect(endpoint)
            try dealer.send(ZMQMessage([Array("hello".utf8), Array(name.utf8), Array(0...255), []]))
            dealers.append(dealer)
        }
        #expect(try dealers[0].routingID() == Array("w1".utf8))

        var seen: Set<String> = []
        for _ in 0..<2 {
            let received = try #require(try router.receiveRouted(timeout: .seconds(5)))
            let name = String(decoding: received.routingID, as: UTF8.self)
            #expect(received.message.count == 4)
            #expect(received.message.string(at: 0) == "hello")
            #expect(received.message.string(at: 1) == name)
            #expect(received.message[2] == Array(0...255))
            #expect(received.message[3].isEmpty)
            seen.insert(name)
            #expect(try router.send(to: received.routingID, ZMQMessage(strings: ["reply", name]), timeout: .seconds(1)))
        }
        #expect(seen == ["w1", "w2"])
        for (dealer, name) in zip(dealers, ["w1", "w2"]) {
            let reply = try #require(try dealer.receive(timeout: .seconds(5)))
            #expect(reply == ZMQMessage(strings: ["reply", name]))
        }
    }

    @Test func largeFrameIsSentWithoutCopyAndArrivesIntact() throws {
        let context = try ZMQContext()
        let router = try context.makeSocket(.router)
        let endpoint = try router.bindToRandomPort()
        let dealer = try context.makeSocket(.dealer)
        try dealer.connect(endpoint)

        let words = 8 << 20  // 64 MiB
        var payload = try ZMQBuffer(count: words * 8)
        payload.withUnsafeMutableBytes { bytes in
            let values = bytes.bindMemory(to: UInt64.self)
            for index in 0..<words { values[index] = UInt64(index) &* 0x9E37_79B9_7F4A_7C15 }
        }
        try dealer.sendFrame(Array("blob".utf8), more: true)
        try dealer.sendFrame(payload)

        #expect(try router.wait(for: .readable, timeout: .seconds(10)))
        let routingID = try #require(try router.receiveFrame())
        #expect(routingID.more)
        let header = try #require(try router.receiveFrame())
        #expect(header.bytes == Array("blob".utf8) && header.more)
        let mismatches = try router.receiveFrame { bytes, more -> Int in
            #expect(!more)
            #expect(bytes.count == words * 8)
            var bad = 0
            for index in 0..<words where bytes.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self)
                != UInt64(index) &* 0x9E37_79B9_7F4A_7C15 {
                bad += 1
            }
            return bad
        }
        #expect(mismatches == 0)
    }

    @Test func sendsFailWithEAGAINOnceTheHighWaterMarkIsReached() throws {
        let context = try ZMQContext()
        let receiver = try context.makeSocket(.pair)
        try receiver.set(.receiveHighWaterMark, 4)
        try receiver.bind("inproc://hwm")
        let sender = try context.makeSocket(.pair)
        try sender.set(.sendHighWaterMark, 4)
        try sender.connect("inproc://hwm")
        #expect(try sender.get(.sendHighWaterMark) == 4)

        var accepted = 0
        while try sender.send(ZMQMessage(strings: ["x"]), timeout: .zero) {
            accepted += 1
            try #require(accepted < 1000, "the high-water mark never stopped the sender")
        }
        #expect(accepted >= 4)
        #expect(try sender.sendFrame(Array("y".utf8), dontWait: true) == false)
        #expect(try sender.send(ZMQMessage(strings: ["y"]), timeout: .milliseconds(50)) == false)

        // The blocking send honours SNDTIMEO and reports EAGAIN.
        try sender.setTimeouts(send: .milliseconds(20), receive: nil)
        #expect(throws: ZMQError(code: EAGAIN, operation: "zmq_send")) { try sender.send(ZMQMessage(strings: ["z"])) }

        // Draining the receiver makes room again.
        for _ in 0..<accepted { _ = try #require(try receiver.receive(timeout: .seconds(1))) }
        #expect(try sender.send(ZMQMessage(strings: ["again"]), timeout: .seconds(1)))
    }

    @Test func routerMandatoryFailsCleanlyForUnknownAndDepartedPeers() throws {
        let context = try ZMQContext()
        let router = try context.makeSocket(.router)
        try router.setRouterMandatory(true)
        let endpoint = try router.bindToRandomPort()

        #expect {
            try router.send(to: Array("nobody".utf8), ZMQMessage(strings: ["x"]))
        } throws: { ($0 as? ZMQError)?.isHostUnreachable == true }
        let clock = ContinuousClock()
        let start = clock.now
        #expect {
            try router.send(to: Array("nobody".utf8), ZMQMessage(strings: ["x"]), timeout: .seconds(3))
        } throws: { ($0 as? ZMQError)?.isHostUnreachable == true }
        #expect(clock.now - start < .seconds(1), "an unroutable send should fail at once, not wait out its timeout")

        var dealer: ZMQSocket? = try context.makeSocket(.dealer)
        try dealer?.setRoutingID(Array("w1".utf8))
        try dealer?.connect(endpoint)
        try dealer?.send(ZMQMessage(strings: ["ready"]))
        _ = try #require(try router.receiveRouted(timeout: .seconds(5)))
        try router.send(to: Array("w1".utf8), ZMQMessage(strings: ["lease"]))
        #expect(try dealer?.receive(timeout: .seconds(5)) == ZMQMessage(strings: ["lease"]))

        dealer = nil  // closes it
        let deadline = clock.now + .seconds(5)
        var gone = false
        while !gone && clock.now < deadline {
            do {
                try router.send(to: Array("w1".utf8), ZMQMessage(strings: ["lease"]))
                _ = try router.receive(timeout: .milliseconds(10))
            } catch let error as ZMQError where error.isHostUnreachable {
                gone = true
            }
        }
        #expect(gone)
    }

    @Test func receiveTimesOutAndClosedSocketsThrow() throws {
        let context = try ZMQContext()
        let socket = try context.makeSocket(.dealer)
        try socket.bind("inproc://quiet")
        let clock = ContinuousClock()
        let start = clock.now
        #expect(try socket.receive(timeout: .milliseconds(100)) == nil)
        #expect(clock.now - start >= .milliseconds(90))
        #expect(try socket.receive(timeout: .zero) == nil)
        try socket.setTimeouts(send: nil, receive: .milliseconds(10))
        #expect { try socket.receive() } throws: { ($0 as? ZMQError)?.isWouldBlock == true }

        socket.close()
        socket.close()
        #expect(socket.isClosed)
        #expect { try socket.send(ZMQMessage(strings: ["x"])) } throws: { ($0 as? ZMQError)?.code == ENOTSOCK }
    }

    @Test func optionsReadBackAndRejectBadValues() throws {
        let context = try ZMQContext()
        let socket = try context.makeSocket(.router)
        #expect(try socket.get(.linger) == 0)
        try socket.setHighWaterMarks(send: 10, receive: 20)
        #expect(try socket.get(.sendHighWaterMark) == 10)
        #expect(try socket.get(.receiveHighWaterMark) == 20)
        try socket.setTimeouts(send: .milliseconds(1500), receive: nil)
        #expect(try socket.get(.sendTimeout) == 1500)
        #expect(try socket.get(.receiveTimeout) == -1)
        try socket.setHeartbeat(interval: .milliseconds(200), timeout: .milliseconds(600), ttl: .seconds(2))
        #expect(try socket.get(.heartbeatInterval) == 200)
        #expect(try socket.get(.heartbeatTimeout) == 600)
        #expect(try socket.get(.heartbeatTTL) == 2000)
        try socket.set(.immediate, 1)
        #expect(try socket.get(.immediate) == 1)
        try socket.setMaxMessageSize(1 << 20)
        #expect(try socket.maxMessageSize() == 1 << 20)
        #expect(throws: ZMQUsageError.self) { try socket.setRoutingID([]) }
        #expect(throws: ZMQUsageError.self) { try socket.setRoutingID([UInt8](repeating: 1, count: 256)) }
        #expect { try socket.set(.heartbeatInterval, -5) } throws: { ($0 as? ZMQError)?.code == EINVAL }
        #expect { try socket.bind("nonsense://x") } throws: { $0 is ZMQError }
    }

    @Test func oversizedMessagesAreNotDelivered() throws {
        let context = try ZMQContext()
        let router = try context.makeSocket(.router)
        try router.setMaxMessageSize(1024)
        let endpoint = try router.bindToRandomPort()
        let dealer = try context.makeSocket(.dealer)
        try dealer.connect(endpoint)
        try dealer.send(ZMQMessage([[UInt8](repeating: 7, count: 4096)]))
        #expect(try router.receive(timeout: .milliseconds(300)) == nil)
    }
}
