import Foundation
import Testing
@testable import MimeoZMQ

@Suite struct ZMQContextTests {
    @Test func curveIsAvailable() {
        #expect(ZMQContext.has("curve"))
        #expect(ZMQContext.version.major == 4)
    }

    /// Undelivered messages (LINGER 0 drops them) and open sockets do not keep the context
    /// from terminating.
    @Test func terminatingWithQueuedMessagesDoesNotHang() throws {
        let done = DispatchSemaphore(value: 0)
        let elapsed = Locked<Duration?>(nil)
        // A port that nobody listens on: bind, read the port, unbind.
        let deadPort: String
        do {
            let context = try ZMQContext()
            let probe = try context.makeSocket(.router)
            deadPort = try probe.bindToRandomPort()
        }
        Thread {
            let clock = ContinuousClock()
            let start = clock.now
            do {
                let context = try ZMQContext()
                let dealer = try context.makeSocket(.dealer)
                try dealer.connect(deadPort)
                for _ in 0..<100 { _ = try dealer.send(ZMQMessage([[UInt8](repeating: 1, count: 1000)]), timeout: .zero) }
                let other = try context.makeSocket(.router)
                _ = try other.bindToRandomPort()
                // Both sockets and the context go out of scope here: close, close, zmq_ctx_term.
            } catch {
                Issue.record(error)
            }
            elapsed.withLock { $0 = clock.now - start }
            done.signal()
        }.start()
        #expect(done.wait(timeout: .now() + 5) == .success, "zmq_ctx_term hung")
        #expect((elapsed.withLock { $0 } ?? .seconds(99)) < .seconds(2))
    }

    /// `shutdown()` from another thread wakes a socket blocked in `receive()` with ETERM.
    @Test func shutdownWakesBlockedReceivers() throws {
        let context = try ZMQContext()
        let started = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        let outcome = Locked<ZMQError?>(nil)
        Thread {
            do {
                let socket = try context.makeSocket(.dealer)
                try socket.bind("inproc://blocked")
                started.signal()
                _ = try socket.receive()
            } catch let error as ZMQError {
                outcome.withLock { $0 = error }
            } catch {
                Issue.record(error)
            }
            done.signal()
        }.start()
        #expect(started.wait(timeout: .now() + 5) == .success)
        Thread.sleep(forTimeInterval: 0.05)
        context.shutdown()
        #expect(done.wait(timeout: .now() + 5) == .success, "receive() did not return after shutdown()")
        #expect(outcome.withLock { $0 }?.isTerminated == true)
        #expect { try context.makeSocket(.dealer) } throws: { ($0 as? ZMQError)?.isTerminated == true }
    }

    @Test func errorsCarryLibzmqMessages() {
        let error = ZMQError(code: EHOSTUNREACH, operation: "zmq_msg_send")
        #expect(error.isHostUnreachable)
        #expect(error.message == "Host unreachable")
        #expect(error.description == "zmq_msg_send: Host unreachable (errno \(EHOSTUNREACH))")
        #expect(ZMQError(code: EAGAIN, operation: "x").isWouldBlock)
    }
}
