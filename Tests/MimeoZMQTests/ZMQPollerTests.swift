import Testing
@testable import MimeoZMQ

@Suite struct ZMQPollerTests {
    @Test func pollReportsOnlyTheReadySocketsAndHonoursTheTimeout() throws {
        let context = try ZMQContext()
        var receivers: [ZMQSocket] = []
        var senders: [ZMQSocket] = []
        let poller = ZMQPoller()
        for index in 0..<3 {
            let receiver = try context.makeSocket(.pair)
            try receiver.bind("inproc://poll-\(index)")
            let sender = try context.makeSocket(.pair)
            try sender.connect("inproc://poll-\(index)")
            #expect(poller.register(receiver) == index)
            receivers.append(receiver)
            senders.append(sender)
        }
        #expect(poller.count == 3)

        let clock = ContinuousClock()
        let start = clock.now
        let idle = try poller.poll(timeout: .milliseconds(150))
        let waited = clock.now - start
        #expect(idle.allSatisfy { $0.isEmpty })
        #expect(waited >= .milliseconds(140))
        #expect(waited < .seconds(2))
        #expect(try poller.poll(timeout: .zero).allSatisfy { $0.isEmpty })

        try senders[1].send(ZMQMessage(strings: ["one"]))
        try senders[2].send(ZMQMessage(strings: ["two"]))
        let ready = try poller.poll(timeout: .seconds(5))
        #expect(ready[0].isEmpty)
        #expect(ready[1] == .readable)
        #expect(ready[2] == .readable)
        #expect(try receivers[1].receive(timeout: .zero) == ZMQMessage(strings: ["one"]))
        #expect(try receivers[2].receive(timeout: .seconds(1)) == ZMQMessage(strings: ["two"]))
        #expect(try poller.poll(timeout: .milliseconds(20)).allSatisfy { $0.isEmpty })
    }

    @Test func pollReportsWritableSockets() throws {
        let context = try ZMQContext()
        let receiver = try context.makeSocket(.pair)
        try receiver.bind("inproc://writable")
        let sender = try context.makeSocket(.pair)
        try sender.set(.sendHighWaterMark, 1)
        try receiver.set(.receiveHighWaterMark, 1)
        try sender.connect("inproc://writable")
        let poller = ZMQPoller()
        poller.register(sender, for: .writable)
        #expect(try poller.poll(timeout: .seconds(1))[0] == .writable)
        while try sender.send(ZMQMessage(strings: ["x"]), timeout: .zero) {}
        #expect(try poller.poll(timeout: .milliseconds(50))[0].isEmpty)
    }

    @Test func pollingAClosedSocketThrows() throws {
        let context = try ZMQContext()
        let socket = try context.makeSocket(.dealer)
        let poller = ZMQPoller()
        poller.register(socket)
        socket.close()
        #expect(throws: ZMQError.self) { try poller.poll(timeout: .zero) }
    }

    @Test func durationsRoundUpToWholeMilliseconds() {
        #expect(Duration.zero.roundedUpMilliseconds == 0)
        #expect(Duration.microseconds(1).roundedUpMilliseconds == 1)
        #expect(Duration.milliseconds(250).roundedUpMilliseconds == 250)
        #expect(Duration.seconds(2).roundedUpMilliseconds == 2000)
        #expect(Duration.milliseconds(-5).roundedUpMilliseconds == 0)
        #expect(Duration.seconds(Int64.max / 2).roundedUpMilliseconds == Int(Int32.max))
    }
}
