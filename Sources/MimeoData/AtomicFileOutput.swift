import Foundation

/// An output file that appears at its path only when complete.
///
/// ```swift
/// let output = try AtomicFileOutput(path: "synthetic.csv")
/// try output.write(bytes)
/// try output.commit()          // renames synthetic.csv.tmp-<pid> onto synthetic.csv
/// ```
///
/// Bytes go to `<path>.tmp-<pid>` in the same directory (so the final rename stays on one file system).
/// `commit()` flushes the file to disk, closes it and renames it onto `path`, replacing any old file.
/// If the output is discarded (`discard()`, or deinitialized) without a commit, the temporary file is
/// removed and an existing file at `path` is left untouched. The path `-` means standard output:
/// bytes are written directly and `commit()` does nothing else.
public final class AtomicFileOutput {
    /// The final path (`-` for standard output).
    public let path: String
    /// Where bytes are written until `commit()` (equal to `path` for standard output).
    public let temporaryPath: String
    /// The open file descriptor bytes are written to.
    public let fileDescriptor: Int32
    /// Whether this output is standard output.
    public var isStandardOutput: Bool { path == "-" }
    /// Whether `commit()` has succeeded.
    public private(set) var isCommitted = false
    private var isClosed = false

    /// Creates the temporary file next to `path` (or uses standard output for `-`).
    ///
    /// - Parameter path: The final file path.
    /// - Throws: `DataError` if the temporary file cannot be created.
    public init(path: String) throws {
        self.path = path
        if path == "-" {
            temporaryPath = path
            fileDescriptor = STDOUT_FILENO
            return
        }
        temporaryPath = "\(path).tmp-\(getpid())"
        let fd = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw DataError(file: path,
                            message: "cannot create temporary file '\(temporaryPath)': \(errnoDescription())")
        }
        fileDescriptor = fd
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

    /// Makes the output final: syncs and closes the temporary file, then renames it onto `path`.
    ///
    /// - Throws: `DataError` if syncing, closing or renaming fails (the temporary file is then removed).
    public func commit() throws {
        guard !isCommitted else { return }
        precondition(!isClosed, "commit() after discard()")
        if isStandardOutput {
            isClosed = true
            isCommitted = true
            return
        }
        isClosed = true
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
        if rename(temporaryPath, path) != 0 {
            let message = "cannot rename '\(temporaryPath)' to the output path: \(errnoDescription())"
            unlink(temporaryPath)
            throw DataError(file: path, message: message)
        }
        isCommitted = true
    }

    /// Abandons the output: closes and removes the temporary file. Does nothing after `commit()`.
    public func discard() {
        guard !isClosed else { return }
        isClosed = true
        if isStandardOutput { return }
        close(fileDescriptor)
        unlink(temporaryPath)
    }
}
