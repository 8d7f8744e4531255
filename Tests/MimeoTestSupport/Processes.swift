import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Starts `executable` with `arguments` (standard streams inherited) and returns its pid.
public func spawnProcess(_ executable: String, _ arguments: [String] = []) throws -> pid_t {
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let result = posix_spawn(&pid, executable, nil, nil, argv, environ)
    guard result == 0 else { throw TestSupportError("posix_spawn \(executable) failed: errno \(result)") }
    return pid
}

/// Waits for the child `pid` to end (reaping it).
public func reap(_ pid: pid_t) {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
}

/// The pid of a process that existed and no longer does: a child started and reaped here.
public func deadProcessID() throws -> pid_t {
    let pid = try spawnProcess("/bin/true")
    reap(pid)
    return pid
}

/// A child process that stays alive (`sleep`) until this value is dropped, then is killed and reaped.
public final class LiveProcess {
    public let pid: pid_t

    public init() throws {
        pid = try spawnProcess("/bin/sleep", ["120"])
    }

    deinit {
        kill(pid, SIGKILL)
        reap(pid)
    }
}

/// Reads a FIFO on a background thread, so that a writer (this process or another) never blocks on a full pipe.
///
/// The read end is opened without waiting for a writer, and the reader also holds a write end of its own, so
/// the FIFO never reports end-of-file before the real writer has come and gone: `finish()` drops that write
/// end and collects everything read. Every wait is bounded by `timeout`.
public final class FIFOReader: @unchecked Sendable {
    private let readEnd: Int32
    private var keepAlive: Int32
    private let done = DispatchSemaphore(value: 0)
    private let timeout: Double
    private var bytes: [UInt8] = []
    private var failure: String?

    /// Opens `path` (a FIFO) for reading and starts draining it.
    public init(path: String, timeout: Double = 60) throws {
        self.timeout = timeout
        readEnd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard readEnd >= 0 else { throw TestSupportError("cannot open FIFO \(path) for reading: errno \(errno)") }
        keepAlive = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
        guard keepAlive >= 0 else {
            close(readEnd)
            throw TestSupportError("cannot open FIFO \(path) for writing: errno \(errno)")
        }
        Thread { [self] in drain() }.start()
    }

    private func drain() {
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            if Date() > deadline {
                failure = "no end of file within \(timeout) s"
                break
            }
            var entry = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, 100) > 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
            if count > 0 {
                bytes.append(contentsOf: buffer[0 ..< count])
            } else if count == 0 {
                break
            } else if errno != EAGAIN && errno != EINTR {
                failure = "read failed: errno \(errno)"
                break
            }
        }
        done.signal()
    }

    /// Lets the FIFO reach end-of-file once its writer has closed it, and returns everything read.
    ///
    /// - Throws: `TestSupportError` if end-of-file does not come within the timeout, or reading failed.
    public func finish() throws -> [UInt8] {
        if keepAlive >= 0 {
            close(keepAlive)
            keepAlive = -1
        }
        guard done.wait(timeout: .now() + timeout + 5) == .success else {
            throw TestSupportError("the FIFO reader did not finish")
        }
        close(readEnd)
        if let failure { throw TestSupportError(failure) }
        return bytes
    }
}

/// A failure of the test machinery itself.
public struct TestSupportError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
