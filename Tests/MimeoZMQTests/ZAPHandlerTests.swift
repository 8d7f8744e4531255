import Foundation
import Testing
@testable import MimeoZMQ

@Suite struct ZAPHandlerTests {
    /// A CURVE ROUTER with a ZAP handler admitting `allowed`, and a record of its refusals.
    private struct Server {
        let context: ZMQContext
        let keys: ZMQCurveKeyPair
        let zap: ZAPHandler
        let refusals: Locked<[ZAPRefusal]>
        let router: ZMQSocket
        let monitor: ZMQMonitor
        let endpoint: String

        init(allowed: [ZMQCurveKey]) throws {
            context = try ZMQContext()
            keys = try ZMQCurveKeyPair.generate()
            let refusals = Locked<[ZAPRefusal]>([])
            self.refusals = refusals
            zap = try ZAPHandler(context: context, allowList: allowed) { refusal in
                refusals.withLock { $0.append(refusal) }
            }
            router = try context.makeSocket(.router)
            try router.makeCurveServer(secretKey: keys.secretKey)
            monitor = try router.makeMonitor()
            endpoint = try router.bindToRandomPort()
        }

        func makeClient(_ clientKeys: ZMQCurveKeyPair?, serverKey: ZMQCurveKey? = nil) throws -> ZMQSocket {
            let dealer = try context.makeSocket(.dealer)
            if let clientKeys { try dealer.makeCurveClient(keyPair: clientKeys, serverKey: serverKey ?? keys.publicKey) }
            try dealer.connect(endpoint)
            return dealer
        }
    }

    @Test func aListedClientConnectsAndExchangesMessages() throws {
        let worker = try ZMQCurveKeyPair.generate()
        let server = try Server(allowed: [worker.publicKey])
        defer { server.zap.stop() }
        #expect(try server.router.get(.mechanism) == 2)
        let dealer = try server.makeClient(worker)
        try dealer.send(ZMQMessage(strings: ["ready"]))
        let (peer, message) = try #require(try server.router.receiveRouted(timeout: .seconds(5)))
        #expect(message == ZMQMessage(strings: ["ready"]))
        try server.router.send(to: peer, ZMQMessage(strings: ["lease", "7"]))
        #expect(try dealer.receive(timeout: .seconds(5)) == ZMQMessage(strings: ["lease", "7"]))
        #expect(try server.monitor.waitForEvent(.handshakeSucceeded, timeout: .seconds(5)) != nil)
        #expect(server.refusals.withLock { $0 }.isEmpty)
    }

    @Test func anUnlistedClientIsRefusedAndTheRefusalIsReported() throws {
        let listed = try ZMQCurveKeyPair.generate()
        let stranger = try ZMQCurveKeyPair.generate()
        let server = try Server(allowed: [listed.publicKey])
        defer { server.zap.stop() }
        let dealer = try server.makeClient(stranger)
        try dealer.send(ZMQMessage(strings: ["let me in"]))

        let failure = try #require(try server.monitor.waitForEvent(.handshakeFailedAuth, timeout: .seconds(5)))
        #expect(failure.value == 400)
        #expect(try server.router.receive(timeout: .milliseconds(200)) == nil)
        let refusal = try #require(server.refusals.withLock { $0 }.first)
        #expect(refusal.request?.clientKey == stranger.publicKey)
        #expect(refusal.request?.mechanism == "CURVE")
        #expect(refusal.request?.domain == "mimeo")
        #expect(refusal.request?.address == "127.0.0.1")
        #expect(refusal.reason.contains(stranger.publicKey.z85))

        // Adding the key to the allow-list admits the same client on its next attempt.
        server.zap.authenticator.setAllowList([listed.publicKey, stranger.publicKey])
        #expect(server.zap.authenticator.allowList.count == 2)
        let retry = try server.makeClient(stranger)
        try retry.send(ZMQMessage(strings: ["again"]))
        #expect(try server.router.receiveRouted(timeout: .seconds(5))?.message == ZMQMessage(strings: ["again"]))
    }

    @Test func plaintextAndWrongServerKeyClientsDeliverNothing() throws {
        let listed = try ZMQCurveKeyPair.generate()
        let server = try Server(allowed: [listed.publicKey])
        defer { server.zap.stop() }
        let plaintext = try server.makeClient(nil)
        try plaintext.send(ZMQMessage(strings: ["plain"]), timeout: .milliseconds(100))
        let impostorServer = try ZMQCurveKeyPair.generate()
        let misdirected = try server.makeClient(listed, serverKey: impostorServer.publicKey)
        try misdirected.send(ZMQMessage(strings: ["wrong key"]), timeout: .milliseconds(100))
        #expect(try server.router.receive(timeout: .milliseconds(600)) == nil)
        var events: [ZMQMonitorEvent.Kind] = []
        while let event = try server.monitor.receiveEvent(timeout: .zero) { events.append(event.kind) }
        #expect(!events.contains(.handshakeSucceeded))
    }

    /// The coordinator's way: one thread polls the ROUTER, the ZAP socket and the monitor.
    @Test func anAuthenticatorServedFromAPollLoopAdmitsOnlyListedKeys() throws {
        let context = try ZMQContext()
        let serverKeys = try ZMQCurveKeyPair.generate()
        let listed = try ZMQCurveKeyPair.generate()
        let stranger = try ZMQCurveKeyPair.generate()
        let refused = Locked<[ZMQCurveKey?]>([])
        let authenticator = ZAPAuthenticator(allowList: [listed.publicKey]) { refusal in
            refused.withLock { $0.append(refusal.request?.clientKey) }
        }
        let zapSocket = try authenticator.makeSocket(context: context)
        let router = try context.makeSocket(.router)
        try router.makeCurveServer(secretKey: serverKeys.secretKey)
        let monitor = try router.makeMonitor()
        let endpoint = try router.bindToRandomPort()
        let dealers = try [stranger, listed].map { keys in
            let dealer = try context.makeSocket(.dealer)
            try dealer.makeCurveClient(keyPair: keys, serverKey: serverKeys.publicKey)
            try dealer.connect(endpoint)
            try dealer.send(ZMQMessage([keys.publicKey.bytes]))
            return dealer
        }
        defer { dealers.forEach { $0.close() } }

        let poller = ZMQPoller()
        let routerIndex = poller.register(router)
        let zapIndex = poller.register(zapSocket)
        let monitorIndex = poller.register(monitor.socket)
        var delivered: [[UInt8]] = []
        var failures: [ZMQMonitorEvent] = []
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(5)
        while (delivered.isEmpty || failures.isEmpty) && clock.now < deadline {
            let ready = try poller.poll(timeout: .milliseconds(100))
            if ready[zapIndex].contains(.readable) { try authenticator.serve(zapSocket) }
            if ready[monitorIndex].contains(.readable) {
                while let event = try monitor.receiveEvent(timeout: .zero) {
                    if event.kind == .handshakeFailedAuth { failures.append(event) }
                }
            }
            if ready[routerIndex].contains(.readable) {
                while let (_, message) = try router.receiveRouted(timeout: .zero) { delivered.append(message[0]) }
            }
        }
        #expect(delivered == [listed.publicKey.bytes])
        // The refused client retries every 100 ms, so there may be more than one refusal.
        #expect(!failures.isEmpty && failures.allSatisfy { $0.value == 400 })
        #expect(Set(refused.withLock { $0 }) == [stranger.publicKey])
    }

    @Test func repliesFollowRFC27() throws {
        let listed = try ZMQCurveKeyPair.generate()
        let refusals = Locked<[ZAPRefusal]>([])
        let authenticator = ZAPAuthenticator(allowList: [listed.publicKey]) { refusal in
            refusals.withLock { $0.append(refusal) }
        }
        func request(_ mechanism: String, _ credentials: [[UInt8]]) -> ZMQMessage {
            ZMQMessage([Array("1.0".utf8), [9], Array("mimeo".utf8), Array("127.0.0.1".utf8), [], Array(mechanism.utf8)] + credentials)
        }
        let admitted = authenticator.reply(to: request("CURVE", [listed.publicKey.bytes]))
        #expect(admitted == ZMQMessage([Array("1.0".utf8), [9], Array("200".utf8), Array("OK".utf8),
                                       Array(listed.publicKey.z85.utf8), []]))
        #expect(authenticator.reply(to: request("NULL", [])).string(at: 2) == "400")
        #expect(authenticator.reply(to: request("CURVE", [[1, 2, 3]])).string(at: 2) == "400")
        let malformed = authenticator.reply(to: ZMQMessage(strings: ["0.9", "x"]))
        #expect(malformed.string(at: 2) == "500")
        #expect(malformed.string(at: 1) == "x")
        #expect(refusals.withLock { $0 }.count == 3)
        #expect(refusals.withLock { $0 }.last?.request == nil)
    }

    @Test func aSecondHandlerOnTheSameContextFailsAndStopIsIdempotent() throws {
        let context = try ZMQContext()
        let first = try ZAPHandler(context: context, allowList: [])
        #expect { try ZAPHandler(context: context, allowList: []) } throws: {
            ($0 as? ZMQError)?.code == EADDRINUSE
        }
        first.stop()
        first.stop()
        // Once stopped, the endpoint is free again.
        let second = try ZAPHandler(context: context, allowList: [])
        second.stop()
    }
}
