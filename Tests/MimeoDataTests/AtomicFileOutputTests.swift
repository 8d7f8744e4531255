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
}
