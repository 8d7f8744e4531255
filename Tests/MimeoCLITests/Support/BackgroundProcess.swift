import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A process a cluster test starts and leaves running (a coordinator, a worker, a client): output goes to files
/// the test can read at any time; the process is SIGKILLed and reaped when the value is dropped, so a failing test
/// leaves nothing behind.
final class BackgroundProcess {
    let pid: pid_t
    let name: String
    private let outPath: String
    private let errPath: String
    private var exitStatus: Int32?

    /// Starts `executable` with `arguments` and `environment` on top of this process's.
    init(_ executable: String, _ arguments: [String], environment: [String: String] = [:], name: String? = nil) throws {
        self.name = name ?? arguments.first ?? executable
        let scratch = NSTemporaryDirectory() + "mimeo-bg-\(UUID().uuidString)"
        outPath = scratch + ".out"
        errPath = scratch + ".err"
        pid = try spawnWithOutputFiles(executable, arguments, environment: environment, standardOutput: outPath,
                                       standardError: errPath)
    }

    deinit {
        if exitStatus == nil {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }
        unlink(outPath)
        unlink(errPath)
    }

    var standardOutput: String { String(decoding: FileManager.default.contents(atPath: outPath) ?? Data(), as: UTF8.self) }
    var standardError: String { String(decoding: FileManager.default.contents(atPath: errPath) ?? Data(), as: UTF8.self) }

    /// Sends `signal`.
    func signal(_ signal: Int32) { kill(pid, signal) }

    /// The exit status once the process has ended (a signal death is 128 + signal), or nil while it runs.
    func poll() -> Int32? {
        if let exitStatus { return exitStatus }
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        guard result == pid else { return nil }
        let signal = status & 0x7f
        exitStatus = signal == 0 ? (status >> 8) & 0xff : 128 + signal
        return exitStatus
    }

    /// Waits up to `timeout` seconds for the process to end; its exit status, or nil if it still runs.
    @discardableResult
    func wait(timeout: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let status = poll() { return status }
            usleep(20_000)
        }
        return poll()
    }

    /// SIGKILLs the process and reaps it.
    func killNow() {
        guard poll() == nil else { return }
        kill(pid, SIGKILL)
        _ = wait(timeout: 10)
    }

    /// Asks the process to stop (SIGTERM) and waits; SIGKILL after `timeout`. Returns the exit status.
    @discardableResult
    func stop(timeout: Double = 10) -> Int32? {
        guard poll() == nil else { return exitStatus }
        kill(pid, SIGTERM)
        if let status = wait(timeout: timeout) { return status }
        killNow()
        return exitStatus
    }
}

/// Starts `executable` with `arguments`, standard input from /dev/null, standard output and error to the files given
/// (created or truncated), and `environment` on top of this process's; returns its pid.
func spawnWithOutputFiles(_ executable: String, _ arguments: [String], environment: [String: String],
                          standardOutput: String, standardError: String) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, standardOutput, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, standardError, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    var variables = ProcessInfo.processInfo.environment
    for (key, value) in environment { variables[key] = value }
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    let envp = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
        argv.forEach { free($0) }
        envp.forEach { free($0) }
    }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, executable, &actions, nil, argv, envp)
    guard spawned == 0 else { throw MimeoTestError("posix_spawn \(executable) failed: errno \(spawned)") }
    return pid
}

/// Waits up to `timeout` seconds for `condition` to hold, checking every 50 ms; whether it did.
func eventually(timeout: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return true }
        usleep(50_000)
    }
    return try condition()
}

/// A free TCP port on 127.0.0.1 (bound and released; good enough for a test that binds it next).
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw MimeoTestError("socket failed: errno \(errno)") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { throw MimeoTestError("bind failed: errno \(errno)") }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// A plain HTTP/1.1 GET over TCP (the test's own client: FoundationNetworking is not linked); the whole response.
func httpGet(host: String, port: Int, path: String, timeout: Double = 10) throws -> String {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw MimeoTestError("socket failed: errno \(errno)") }
    defer { close(fd) }
    var limit = timeval(tv_sec: Int(timeout), tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = inet_addr(host)
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw MimeoTestError("cannot connect to \(host):\(port): errno \(errno)") }
    let request = Array("GET \(path) HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n".utf8)
    guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == request.count else {
        throw MimeoTestError("cannot send the request")
    }
    var response: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { break }
        response += buffer[0..<count]
    }
    return String(decoding: response, as: UTF8.self)
}
