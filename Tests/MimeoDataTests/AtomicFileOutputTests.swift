import MimeoTestSupport
import Foundation
import Testing

@testable import MimeoData

@Suite struct AtomicFileOutputTests {
    @Test func writesToATemporaryFileUntilCommitted() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("result.csv")
        let output = try AtomicFileOutput(path: path)
        #expect(output.temporaryPath == "\(path).tmp-\(getpid())")
        try output.write(Array("a,b\n".utf8))
        #expect(try directory.contents() == ["result.csv.tmp-\(getpid())"])
        try output.commit()
        #expect(output.isCommitted)
        #expect(try directory.contents() == ["result.csv"])
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "a,b\n")
        try output.commit()  // a second commit does nothing
    }

    @Test func uncommittedOutputLeavesNoFile() throws {
        let directory = try TemporaryDirectory()
        do {
            let output = try AtomicFileOutput(path: directory.file("result.csv"))
            try output.write(Array("partial".utf8))
        }
        #expect(try directory.contents().isEmpty)
    }

    @Test func discardKeepsTheOldFile() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("old\n", to: "result.csv")
        let output = try AtomicFileOutput(path: path)
        try output.write(Array("new\n".utf8))
        output.discard()
        #expect(try directory.contents() == ["result.csv"])
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "old\n")
    }

    @Test func commitReplacesTheOldFile() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("old\n", to: "result.csv")
        let output = try AtomicFileOutput(path: path)
        try output.write(Array("new\n".utf8))
        try output.commit()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "new\n")
    }

    @Test func missingDirectoryIsADataError() throws {
        let error = try #require(dataError { _ = try AtomicFileOutput(path: "/nonexistent-dir/out.csv") })
        #expect(error.file == "/nonexistent-dir/out.csv")
        #expect(error.message.contains("cannot create temporary file"))
    }

    @Test func dashIsStandardOutput() throws {
        let output = try AtomicFileOutput(path: "-")
        #expect(output.isStandardOutput)
        #expect(output.fileDescriptor == STDOUT_FILENO)
        try output.commit()
        #expect(output.isCommitted)
    }

    // MARK: - What the path names

    /// Bytes written to a FIFO reach its reader; the FIFO stays a FIFO and no temporary file appears.
    /// (The old code renamed a regular file onto the FIFO's path: the reader got nothing.)
    @Test func writesThroughAFIFO() throws {
        let directory = try TemporaryDirectory()
        let fifo = directory.file("pipe")
        #expect(mkfifo(fifo, 0o600) == 0)
        let reader = try FIFOReader(path: fifo)
        let payload = (0 ..< 300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }  // more than a pipe holds
        let output = try AtomicFileOutput(path: fifo)
        #expect(output.writesThrough)
        #expect(output.target == .stream(fifo))
        try output.write(payload)
        try output.commit()
        let received = try reader.finish()
        let same = received == payload  // a Bool: a failed comparison of 300 kB would make the test library diff them
        #expect(same, "the reader got \(received.count) of \(payload.count) bytes")
        #expect(try fileType(fifo) == S_IFIFO)
        #expect(try directory.contents() == ["pipe"])
    }

    /// A symbolic link to a FIFO is followed and written through; the link stays.
    @Test func writesThroughASymbolicLinkToAFIFO() throws {
        let directory = try TemporaryDirectory()
        let fifo = directory.file("pipe")
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(symlink("pipe", directory.file("link")) == 0)
        let reader = try FIFOReader(path: fifo)
        let output = try AtomicFileOutput(path: directory.file("link"))
        #expect(output.target == .stream(fifo))
        try output.write(Array("a,b\n1,2\n".utf8))
        try output.commit()
        #expect(try reader.finish() == Array("a,b\n1,2\n".utf8))
        #expect(try fileType(directory.file("link")) == S_IFLNK)
        #expect(try fileType(fifo) == S_IFIFO)
        #expect(try directory.contents() == ["link", "pipe"])
    }

    /// A symbolic link to a regular file: the file it points to is replaced, the link is kept, and the
    /// temporary file lives beside the target (not beside the link).
    @Test func replacesTheTargetOfASymbolicLink() throws {
        let directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.file("data"), withIntermediateDirectories: true)
        let target = try directory.write("old\n", to: "data/result.csv")
        #expect(symlink("data/result.csv", directory.file("link.csv")) == 0)
        let output = try AtomicFileOutput(path: directory.file("link.csv"))
        #expect(output.target == .file(directory.file("data/result.csv")))
        #expect(output.temporaryPath == "\(target).tmp-\(getpid())")
        try output.write(Array("new\n".utf8))
        try output.commit()
        #expect(try fileType(directory.file("link.csv")) == S_IFLNK)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: directory.file("link.csv")) == "data/result.csv")
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "new\n")
        #expect(try directory.contents() == ["data", "link.csv"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.file("data")) == ["result.csv"])
    }

    /// A dangling symbolic link: the file it names is created, through a chain of two links.
    @Test func createsTheTargetOfADanglingLink() throws {
        let directory = try TemporaryDirectory()
        #expect(symlink("second", directory.file("first")) == 0)
        #expect(symlink(directory.file("new.csv"), directory.file("second")) == 0)
        let output = try AtomicFileOutput(path: directory.file("first"))
        try output.write(Array("x\n".utf8))
        try output.commit()
        #expect(try fileType(directory.file("first")) == S_IFLNK)
        #expect(try fileType(directory.file("new.csv")) == S_IFREG)
        #expect(try String(contentsOfFile: directory.file("new.csv"), encoding: .utf8) == "x\n")
    }

    @Test func aDirectoryIsAnError() throws {
        let directory = try TemporaryDirectory()
        let error = try #require(dataError { _ = try AtomicFileOutput(path: directory.path) })
        #expect(error.message == "is a directory; expected a file path")
        #expect(symlink(directory.path, directory.file("link")) == 0)
        #expect(dataError { _ = try AtomicFileOutput(path: directory.file("link")) }?.message
                == "is a directory; expected a file path")
        #expect(try directory.contents() == ["link"])
    }

    @Test func anEmptyPathIsAnError() throws {
        #expect(dataError { _ = try AtomicFileOutput(path: "") }?.message == "empty output path; expected a file path")
    }

    @Test func aLinkLoopIsAnError() throws {
        let directory = try TemporaryDirectory()
        #expect(symlink("b", directory.file("a")) == 0)
        #expect(symlink("a", directory.file("b")) == 0)
        #expect(dataError { _ = try AtomicFileOutput(path: directory.file("a")) }?.message == "too many levels of symbolic links")
    }

    /// `/proc/self/fd/N` (what `/dev/stdout` and `/dev/fd/N` point to) writes through the open descriptor,
    /// keeping its offset: nothing is renamed over the file it is open on.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/self/fd"), "needs /proc (Linux)"))
    func writesThroughAnOpenDescriptor() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("first\n", to: "log.txt")
        let fd = open(path, O_WRONLY | O_APPEND)
        #expect(fd >= 0)
        defer { close(fd) }
        let output = try AtomicFileOutput(path: "/proc/self/fd/\(fd)")
        #expect(output.target == .descriptor(fd))
        try output.write(Array("second\n".utf8))
        try output.commit()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "first\nsecond\n")
        #expect(try directory.contents() == ["log.txt"])
    }

    @Test func replacingAFileKeepsItsPermissions() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("old\n", to: "secret.csv")
        #expect(chmod(path, 0o600) == 0)
        let output = try AtomicFileOutput(path: path)
        try output.write(Array("new\n".utf8))
        try output.commit()
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }

    // MARK: - Stale temporary files

    /// `<name>.tmp-<pid>` of a process that has exited (a `kill -9` leftover) is removed when the output is
    /// opened again; that of a live process, other names and other outputs' leftovers are kept.
    @Test func removesStaleTemporariesOfDeadProcesses() throws {
        let directory = try TemporaryDirectory()
        let dead = try deadProcessID()
        let live = try LiveProcess()
        let path = try directory.write("old\n", to: "result.csv")
        try directory.write("partial", to: "result.csv.tmp-\(dead)")
        try directory.write("in progress", to: "result.csv.tmp-\(live.pid)")
        try directory.write("other output", to: "other.csv.tmp-\(dead)")
        try directory.write("not a pid", to: "result.csv.tmp-12ab")
        let output = try AtomicFileOutput(path: path)
        // Sets: the sorted order of the names depends on the pids.
        #expect(Set(try directory.contents()) == ["other.csv.tmp-\(dead)", "result.csv", "result.csv.tmp-12ab",
                                                   "result.csv.tmp-\(getpid())", "result.csv.tmp-\(live.pid)"])
        try output.write(Array("new\n".utf8))
        try output.commit()
        #expect(Set(try directory.contents()) == ["other.csv.tmp-\(dead)", "result.csv", "result.csv.tmp-12ab",
                                                   "result.csv.tmp-\(live.pid)"])
        #expect(try String(contentsOfFile: directory.file("result.csv.tmp-\(live.pid)"), encoding: .utf8) == "in progress")
    }

    @Test func staleTemporariesAreRemovedBesideALinksTarget() throws {
        let directory = try TemporaryDirectory()
        let dead = try deadProcessID()
        try directory.write("old\n", to: "real.csv")
        try directory.write("partial", to: "real.csv.tmp-\(dead)")
        #expect(symlink("real.csv", directory.file("link.csv")) == 0)
        #expect(AtomicFileOutput.removeStaleTemporaries(of: directory.file("real.csv")) == [directory.file("real.csv.tmp-\(dead)")])
        #expect(try directory.contents() == ["link.csv", "real.csv"])
    }
}

/// The file type bits (`S_IFREG`, `S_IFLNK`, `S_IFIFO`, …) of `path`, without following a final link.
private func fileType(_ path: String) throws -> mode_t {
    var info = stat()
    guard lstat(path, &info) == 0 else { throw TestSupportError("lstat \(path): errno \(errno)") }
    return info.st_mode & S_IFMT
}
