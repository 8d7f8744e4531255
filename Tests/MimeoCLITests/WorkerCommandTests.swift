import Foundation
import MimeoTestSupport
import MimeoZMQ
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `mimeo worker` as a process: usage errors, key errors, and a clean stop on SIGTERM seen from a ROUTER socket.
@Suite struct WorkerCommandTests {
    @Test(arguments: ["localhost:5570", "tcp://127.0.0.1", "tcp://127.0.0.1:0", "http://127.0.0.1:5570", "tcp://:5570"])
    func malformedEndpointIsAUsageError(endpoint: String) throws {
        let run = try Mimeo.run(["worker", "--connect", endpoint])
        #expect(run.status == 64, "\(run)")
        #expect(run.standardError.contains("malformed endpoint '\(endpoint)'"), "\(run)")
    }

    @Test func keyErrorsNameTheProblem() throws {
        let directory = try TemporaryDirectory(prefix: "mimeo-worker-cli")
        let missing = try Mimeo.run(["worker", "--connect", "tcp://127.0.0.1:5570", "--curve-secret-file",
                                     directory.file("w1.key"), "--coordinator-key", directory.file("coord.pub")])
        #expect(missing.status == 1 && missing.standardError.contains("\(directory.file("w1.key")): cannot read key file"),
                "\(missing)")
        let half = try Mimeo.run(["worker", "--connect", "tcp://127.0.0.1:5570"],
                                 environment: ["MIMEO_CURVE_SECRET_KEY": try ZMQCurveKeyPair.generate().secretKey.z85])
        #expect(half.status == 1 && half.standardError.contains("not the coordinator's public key"), "\(half)")
    }

    /// The worker joins (READY), and SIGTERM makes it send DISCONNECT and exit 0.
    @Test func sigtermStopsCleanly() throws {
        guard let executable = Mimeo.executable else { throw MimeoTestError("the mimeo executable was not found") }
        let context = try ZMQContext()
        let router = try context.makeSocket(.router)
        let endpoint = try router.bindToRandomPort(host: "127.0.0.1")
        let directory = try TemporaryDirectory(prefix: "mimeo-worker-cli")
        let log = directory.file("worker.log")
        let pid = try Self.spawn(executable, ["worker", "--connect", endpoint, "--name", "w-cli", "--cache",
                                              directory.file("cache")], standardError: log)
        var exited = false
        defer {
            if !exited {
                kill(pid, SIGKILL)
                reap(pid)
            }
        }
        let ready = try #require(try Self.receive(router, command: 0x01, within: .seconds(20)), "READY")
        #expect(String(decoding: ready, as: UTF8.self).contains("w-cli"))
        kill(pid, SIGTERM)
        #expect(try Self.receive(router, command: 0x12, within: .seconds(20)) != nil, "DISCONNECT")
        let status = try #require(Self.wait(pid, within: .seconds(20)), "exited")
        exited = true
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(status == 0, "\(text)")
        #expect(text.contains("worker stopped"), "\(text)")
    }

    /// The body of the first message with command byte `command`, or nil after `within`.
    static func receive(_ router: ZMQSocket, command: UInt8, within: Duration) throws -> [UInt8]? {
        let deadline = ContinuousClock.now + within
        while ContinuousClock.now < deadline {
            guard let (_, message) = try router.receiveRouted(timeout: .milliseconds(50)) else { continue }
            if message.frames.count >= 2, message.frames[0] == Array("MWP01".utf8), message.frames[1] == [command] {
                return message.frames.count > 2 ? message.frames[2] : []
            }
        }
        return nil
    }

    /// Starts `executable` with standard error to the file `standardError` (standard output to /dev/null).
    static func spawn(_ executable: String, _ arguments: [String], standardError: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, standardError, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard result == 0 else { throw MimeoTestError("posix_spawn \(executable) failed: errno \(result)") }
        return pid
    }

    /// The exit status of `pid` once it ends (nil when killed by a signal or still running after `within`).
    static func wait(_ pid: pid_t, within: Duration) -> Int32? {
        let deadline = ContinuousClock.now + within
        var status: Int32 = 0
        while ContinuousClock.now < deadline {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { return status & 0x7f == 0 ? (status >> 8) & 0xff : nil }
            if result < 0 && errno != EINTR { return nil }
            usleep(20_000)
        }
        return nil
    }
}
