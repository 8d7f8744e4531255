import Foundation

/// An output file that appears at its path only when complete; or, when the path is not a regular file
/// (a FIFO, a device, a socket, an open descriptor such as `/dev/stdout`), a stream written straight through.
///
/// ```swift
/// let output = try AtomicFileOutput(path: "synthetic.csv")
/// try output.write(bytes)
/// try output.commit()          // renames synthetic.csv.tmp-<pid> onto synthetic.csv
/// ```
///
/// What the path names decides how it is written (see ``OutputTarget``):
/// - a regular file, or nothing yet: bytes go to `<target>.tmp-<pid>` in the target's directory (so the
///   final rename stays on one file system), where `<target>` is the path with symbolic links followed, so a
///   link survives and the file it points to is replaced. `commit()` flushes the file to disk, closes it and
///   renames it onto the target. If the output is discarded (`discard()`, or deinitialized) without a commit,
///   the temporary file is removed and an existing file is left untouched. Opening also removes the
///   `<target>.tmp-<pid>` files of processes that no longer exist (left by `kill -9` or a crash).
/// - a FIFO, character or block device or socket (possibly through symbolic links): it is opened for
///   writing and written through: no temporary file, no rename, no truncation. Opening a FIFO waits for
///   a reader, as a shell redirection does.
/// - an open descriptor of this process (`/dev/stdout`, `/dev/fd/N`, `/proc/self/fd/N`): written through a
///   duplicate of the descriptor, like `-`, which means standard output.
/// - a directory: an error.
public final class AtomicFileOutput {
    /// The path as given (`-` for standard output).
    public let path: String
    /// What the path names once symbolic links are followed.
    public let target: OutputTarget
    /// Where bytes are written until `commit()`: the temporary file, or the target itself when writing through.
    public let temporaryPath: String
    /// The open file descriptor bytes are written to.
    public let fileDescriptor: Int32
    /// Whether this output is standard output (`-`).
    public var isStandardOutput: Bool { path == "-" }
    /// Whether bytes go straight to the target (no temporary file and no rename).
    public var writesThrough: Bool {
        if case .file = target { return false }
        return true
    }
    /// Whether `commit()` has succeeded.
    public private(set) var isCommitted = false
    private var isClosed = false

    /// Opens the output: creates the temporary file next to the target, or opens the stream to write through.
    ///
    /// - Parameter path: The output path (`-` for standard output).
    /// - Throws: `DataError` if the path is a directory or cannot be opened, or the temporary file cannot be created.
    public init(path: String) throws {
        self.path = path
        target = try OutputTarget(path: path)
        switch target {
        case .standardOutput:
            temporaryPath = path
            fileDescriptor = STDOUT_FILENO
        case .descriptor(let number):
            temporaryPath = path
            let fd = fcntl(number, F_DUPFD_CLOEXEC, 0)
            guard fd >= 0 else {
                throw DataError(file: path, message: "cannot write to descriptor \(number): \(errnoDescription())")
            }
            fileDescriptor = fd
        case .stream(let resolved):
            temporaryPath = resolved
            let fd = open(resolved, O_WRONLY | O_CLOEXEC | O_NOCTTY)
            guard fd >= 0 else {
                throw DataError(file: path, message: "cannot open for writing: \(errnoDescription())")
            }
            fileDescriptor = fd
        case .file(let resolved):
            Self.removeStaleTemporaries(of: resolved)
            temporaryPath = "\(resolved).tmp-\(getpid())"
            // A leftover of this very pid (pid reuse) is replaced; O_EXCL | O_NOFOLLOW never follows a planted link.
            unlink(temporaryPath)
            let fd = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw DataError(file: path,
                                message: "cannot create temporary file '\(temporaryPath)': \(errnoDescription())")
            }
            // Replacing a file keeps its permissions.
            var existing = stat()
            if stat(resolved, &existing) == 0 { fchmod(fd, existing.st_mode & 0o7777) }
            fileDescriptor = fd
        }
    }

    deinit {
        discard()
    }

    /// Writes all of `bytes`.
    ///
    /// - Throws: `DataError` on a write error (disk full, closed pipe, …).
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        precondition(!isClosed, "write after commit() or discard()")
        guard var pointer = bytes.baseAddress else { return }
        var remaining = bytes.count
        while remaining > 0 {
            let written = Foundation.write(fileDescriptor, pointer, remaining)
            if written < 0 {
                let code = errno
                if code == EINTR { continue }
                throw DataError(file: path, message: "cannot write: \(errnoDescription(code))")
            }
            pointer += written
            remaining -= written
        }
    }

    /// Writes all of `bytes`.
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Writes a whole file at once: `bytes` through a temporary name, renamed onto `path` when complete (the
    /// temporary file is removed if any step fails).
    public static func write(_ bytes: [UInt8], toFileAt path: String) throws {
        let output = try AtomicFileOutput(path: path)
        do {
            try output.write(bytes)
            try output.commit()
        } catch {
            output.discard()
            throw error
        }
    }

    /// Makes the output final: syncs and closes the temporary file, then renames it onto the target.
    /// When writing through, closes the stream (standard output stays open).
    ///
    /// - Throws: `DataError` if syncing, closing or renaming fails (the temporary file is then removed).
    public func commit() throws {
        guard !isCommitted else { return }
        precondition(!isClosed, "commit() after discard()")
        isClosed = true
        guard case .file(let resolved) = target else {
            if !isStandardOutput && close(fileDescriptor) != 0 && errno != EINTR {
                throw DataError(file: path, message: "cannot close: \(errnoDescription())")
            }
            isCommitted = true
            return
        }
        if fsync(fileDescriptor) != 0 && errno != EINVAL {
            let message = "cannot sync temporary file: \(errnoDescription())"
            close(fileDescriptor)
            unlink(temporaryPath)
            throw DataError(file: path, message: message)
        }
        if close(fileDescriptor) != 0 {
            let message = "cannot close temporary file: \(errnoDescription())"
            unlink(temporaryPath)
            throw DataError(file: path, message: message)
        }
        if rename(temporaryPath, resolved) != 0 {
            let message = "cannot rename '\(temporaryPath)' to the output path: \(errnoDescription())"
            unlink(temporaryPath)
            throw DataError(file: path, message: message)
        }
        isCommitted = true
    }

    /// Abandons the output: closes and removes the temporary file (a stream is only closed). Does nothing after
    /// `commit()`.
    public func discard() {
        guard !isClosed else { return }
        isClosed = true
        if isStandardOutput { return }
        close(fileDescriptor)
        if case .file = target { unlink(temporaryPath) }
    }

    /// Removes the temporary files `<target>.tmp-<pid>` beside `target` whose process no longer exists
    /// (`kill(pid, 0)` fails with `ESRCH`); those of live processes, and every other file, are kept.
    ///
    /// - Returns: The paths removed.
    @discardableResult
    public static func removeStaleTemporaries(of target: String) -> [String] {
        let (directory, name) = OutputTarget.split(target)
        let prefix = name + ".tmp-"
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        var removed: [String] = []
        for entry in entries where entry.hasPrefix(prefix) {
            let digits = entry.utf8.dropFirst(prefix.utf8.count)
            guard !digits.isEmpty, digits.count <= 10, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                  let pid = pid_t(String(decoding: digits, as: UTF8.self)), pid > 0, pid != getpid() else { continue }
            guard kill(pid, 0) != 0 && errno == ESRCH else { continue }
            let stale = directory == "/" ? "/" + entry : directory + "/" + entry
            var info = stat()
            guard lstat(stale, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
            if unlink(stale) == 0 { removed.append(stale) }
        }
        return removed
    }
}

/// What an output path names, once symbolic links are followed.
public enum OutputTarget: Equatable, Sendable {
    /// `-`.
    case standardOutput
    /// An open descriptor of this process, named as `/dev/stdout`, `/dev/fd/N` or `/proc/self/fd/N`.
    case descriptor(Int32)
    /// A FIFO, a device or a socket, at this path (symbolic links followed).
    case stream(String)
    /// A regular file, or nothing yet, at this path (symbolic links followed).
    case file(String)

    /// Follows `path`'s symbolic links (each relative link from the link's directory) to what they name.
    ///
    /// - Throws: `DataError` if the path is empty, a directory, a link loop, or cannot be inspected.
    public init(path: String) throws {
        if path == "-" {
            self = .standardOutput
            return
        }
        guard !path.isEmpty else { throw DataError(file: path, message: "empty output path; expected a file path") }
        var current = path
        for _ in 0 ..< 40 {
            if let number = Self.descriptorNumber(current) {
                self = .descriptor(number)
                return
            }
            var info = stat()
            guard lstat(current, &info) == 0 else {
                let code = errno
                // Nothing there yet (or a dangling link's end): a new file. A missing directory fails on creation.
                guard code == ENOENT || code == ENOTDIR else {
                    throw DataError(file: path, message: "cannot inspect the output path: \(errnoDescription(code))")
                }
                self = .file(current)
                return
            }
            switch info.st_mode & S_IFMT {
            case S_IFLNK:
                var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let count = readlink(current, &buffer, buffer.count - 1)
                guard count > 0 else {
                    throw DataError(file: path, message: "cannot read the symbolic link '\(current)': \(errnoDescription())")
                }
                let link = String(decoding: buffer[0 ..< count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if link.hasPrefix("/") {
                    current = link
                } else {
                    let directory = Self.split(current).directory
                    current = directory == "/" ? "/" + link : directory + "/" + link
                }
            case S_IFREG:
                self = .file(current)
                return
            case S_IFDIR:
                throw DataError(file: path, message: "is a directory; expected a file path")
            default:
                self = .stream(current)
                return
            }
        }
        throw DataError(file: path, message: "too many levels of symbolic links")
    }

    /// The descriptor number of `/dev/fd/N`, `/proc/self/fd/N`, `/proc/thread-self/fd/N` or `/proc/<own pid>/fd/N`.
    static func descriptorNumber(_ path: String) -> Int32? {
        let prefixes = ["/dev/fd/", "/proc/self/fd/", "/proc/thread-self/fd/", "/proc/\(getpid())/fd/"]
        guard let prefix = prefixes.first(where: { path.hasPrefix($0) }) else { return nil }
        let digits = path.dropFirst(prefix.count)
        guard !digits.isEmpty, digits.count <= 9, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int32(digits)
    }

    /// The directory (`.` for a bare name) and the last component of `path`.
    static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }
}

/// The identity of a file (device and inode number): two paths name the same file, through symbolic or hard
/// links, exactly when their identities are equal.
public struct FileIdentity: Hashable, Sendable {
    public let device: UInt64
    public let inode: UInt64

    /// The identity of the file at `path` with symbolic links followed, or nil when there is none.
    public init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }
}
