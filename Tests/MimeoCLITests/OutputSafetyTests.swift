import MimeoTestSupport
import Foundation
import Testing

/// One command whose output names one of its inputs (or another output): it must be refused before any
/// work, naming both options, with every file left as it was.
struct SameFileCase: Sendable, CustomTestStringConvertible {
    var name: String
    /// The arguments; `D/` stands for the test's directory.
    var arguments: [String]
    /// The start of the expected message (after `Error: `), with `D/` for the directory.
    var message: String

    var testDescription: String { name }

    static let all: [SameFileCase] = [
        SameFileCase(name: "train -o input", arguments: ["train", "D/data.csv", "-o", "D/data.csv"],
                     message: "--output 'D/data.csv' and <input> 'D/data.csv' are the same file"),
        SameFileCase(name: "train -o symlink to input", arguments: ["train", "D/data.csv", "-o", "D/link.csv"],
                     message: "--output 'D/link.csv' and <input> 'D/data.csv' are the same file"),
        SameFileCase(name: "train -o hard link to input", arguments: ["train", "D/data.csv", "-o", "D/hard.csv"],
                     message: "--output 'D/hard.csv' and <input> 'D/data.csv' are the same file"),
        SameFileCase(name: "train --schema s -o s",
                     arguments: ["train", "D/data.csv", "--schema", "D/schema.json", "-o", "D/schema.json"],
                     message: "--output 'D/schema.json' and --schema 'D/schema.json' are the same file"),
        SameFileCase(name: "generate m -o m", arguments: ["generate", "D/model.mimeo", "-n", "10", "-o", "D/model.mimeo"],
                     message: "--output 'D/model.mimeo' and <model> 'D/model.mimeo' are the same file"),
        SameFileCase(name: "generate -o symlink to model",
                     arguments: ["generate", "D/model.mimeo", "-n", "10", "-o", "D/model-link.mimeo"],
                     message: "--output 'D/model-link.mimeo' and <model> 'D/model.mimeo' are the same file"),
        SameFileCase(name: "evaluate --json real",
                     arguments: ["evaluate", "--real", "D/data.csv", "--synthetic", "D/syn.csv", "--json", "D/data.csv"],
                     message: "--json 'D/data.csv' and --real 'D/data.csv' are the same file"),
        SameFileCase(name: "evaluate --html synthetic",
                     arguments: ["evaluate", "--real", "D/data.csv", "--synthetic", "D/syn.csv", "--html", "D/syn.csv"],
                     message: "--html 'D/syn.csv' and --synthetic 'D/syn.csv' are the same file"),
        SameFileCase(name: "evaluate --json holdout (hard link)",
                     arguments: ["evaluate", "--real", "D/data.csv", "--synthetic", "D/syn.csv",
                                 "--holdout", "D/holdout.csv", "--json", "D/holdout-hard.csv"],
                     message: "--json 'D/holdout-hard.csv' and --holdout 'D/holdout.csv' are the same file"),
        SameFileCase(name: "evaluate --html model",
                     arguments: ["evaluate", "--real", "D/data.csv", "--synthetic", "D/syn.csv",
                                 "--model", "D/model.mimeo", "--html", "D/model.mimeo"],
                     message: "--html 'D/model.mimeo' and --model 'D/model.mimeo' are the same file"),
        SameFileCase(name: "evaluate --json and --html the same new file",
                     arguments: ["evaluate", "--real", "D/data.csv", "--synthetic", "D/syn.csv",
                                 "--json", "D/report.out", "--html", "D/report.out"],
                     message: "--json 'D/report.out' and --html 'D/report.out' are the same file"),
    ]
}

@Suite struct OutputSafetyTests {
    /// A directory with inputs of every kind, and links to some of them.
    private func inputs() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        let text = try adultSampleText(rows: 300)
        let lines = text.split(separator: "\n")
        try directory.write(text, to: "data.csv")
        try directory.write(lines.prefix(101).joined(separator: "\n") + "\n", to: "syn.csv")
        try directory.write(([lines[0]] + lines.suffix(80)).joined(separator: "\n") + "\n", to: "holdout.csv")
        let schema = try Mimeo.run(["schema", directory.file("data.csv")])
        #expect(schema.succeeded, "\(schema)")
        try directory.write([UInt8](schema.stdout), to: "schema.json")
        try FileManager.default.copyItem(atPath: try AdultModel.shared().model, toPath: directory.file("model.mimeo"))
        #expect(symlink("data.csv", directory.file("link.csv")) == 0)
        #expect(link(directory.file("data.csv"), directory.file("hard.csv")) == 0)
        #expect(link(directory.file("holdout.csv"), directory.file("holdout-hard.csv")) == 0)
        #expect(symlink(directory.file("model.mimeo"), directory.file("model-link.mimeo")) == 0)
        return directory
    }

    /// Every entry of `directory`: its name, type and bytes (a link's destination).
    private func snapshot(_ directory: TemporaryDirectory) throws -> [String: Data] {
        var entries: [String: Data] = [:]
        for name in try directory.contents() {
            let path = directory.file(name)
            if let destination = try? FileManager.default.destinationOfSymbolicLink(atPath: path) {
                entries[name] = Data("link to \(destination)".utf8)
            } else {
                entries[name] = try directory.read(name)
            }
        }
        return entries
    }

    @Test(arguments: SameFileCase.all)
    func refusesAnOutputThatIsAnInput(_ sameFile: SameFileCase) throws {
        let directory = try inputs()
        let before = try snapshot(directory)
        let data = try directory.read("data.csv"), model = try directory.read("model.mimeo")
        let arguments = sameFile.arguments.map { $0.replacingOccurrences(of: "D/", with: directory.path + "/") }

        let run = try Mimeo.run(arguments)

        #expect(run.status == 64, "\(run)")
        let message = "Error: " + sameFile.message.replacingOccurrences(of: "D/", with: directory.path + "/")
        #expect(run.standardError.hasPrefix(message), "\(run)")
        // Compared as Bools: a failed comparison of large collections would make the test library diff them.
        let after = try snapshot(directory)
        #expect(after.keys.sorted() == before.keys.sorted())
        let unchanged = after == before
        #expect(unchanged, "a file in the directory changed")
        let dataKept = try directory.read("data.csv") == data, modelKept = try directory.read("model.mimeo") == model
        #expect(dataKept && modelKept, "the input CSV or the model changed")
    }

    /// The same inputs with a different output path work (the refusal is not a blanket one).
    @Test func acceptsADifferentOutput() throws {
        let directory = try inputs()
        let run = try Mimeo.run(["generate", directory.file("model.mimeo"), "-n", "10", "-o", directory.file("out.csv"),
                                 "--quiet"])
        #expect(run.succeeded, "\(run)")
        #expect(try String(contentsOfFile: directory.file("out.csv"), encoding: .utf8).split(separator: "\n").count == 11)
    }

    /// `generate -o FIFO` streams into the FIFO (before, the FIFO was replaced by a regular file and its reader
    /// got nothing): the reader gets exactly the rows standard output gets.
    @Test func generateWritesThroughAFIFO() throws {
        let adult = try AdultModel.shared()
        let directory = try TemporaryDirectory()
        let fifo = directory.file("rows")
        #expect(mkfifo(fifo, 0o600) == 0)
        let reader = try FIFOReader(path: fifo)
        let run = try Mimeo.run(["generate", adult.model, "-n", "3000", "--seed", "4", "-o", fifo, "--quiet"])
        let received = try reader.finish()
        #expect(run.succeeded, "\(run)")
        let expected = try Mimeo.run(["generate", adult.model, "-n", "3000", "--seed", "4", "--quiet"])
        let same = received == [UInt8](expected.stdout)
        #expect(same, "the FIFO's reader got \(received.count) bytes; standard output got \(expected.stdout.count)")
        var info = stat()
        #expect(lstat(fifo, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO)
        #expect(try directory.contents() == ["rows"])
    }

    /// `generate -o link` replaces the file the link points to and keeps the link.
    @Test func generateKeepsASymbolicLink() throws {
        let adult = try AdultModel.shared()
        let directory = try TemporaryDirectory()
        try directory.write("old\n", to: "target.csv")
        #expect(symlink("target.csv", directory.file("link.csv")) == 0)
        let run = try Mimeo.run(["generate", adult.model, "-n", "20", "--seed", "2", "-o", directory.file("link.csv"), "--quiet"])
        #expect(run.succeeded, "\(run)")
        let expected = try Mimeo.run(["generate", adult.model, "-n", "20", "--seed", "2", "--quiet"])
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: directory.file("link.csv")) == "target.csv")
        let same = try directory.read("target.csv") == expected.stdout
        #expect(same, "target.csv does not hold the generated rows")
        #expect(try directory.contents() == ["link.csv", "target.csv"])
    }

    @Test func generateIntoADirectoryFails() throws {
        let adult = try AdultModel.shared()
        let directory = try TemporaryDirectory()
        let run = try Mimeo.run(["generate", adult.model, "-n", "5", "-o", directory.path, "--quiet"])
        #expect(run.failedCleanly, "\(run)")
        #expect(run.standardError.contains("\(directory.path): error: is a directory; expected a file path"), "\(run)")
        #expect(try directory.contents().isEmpty)
    }

    /// A `kill -9` leftover `out.csv.tmp-<dead pid>` is removed by the next run writing `out.csv`.
    @Test func generateRemovesAStaleTemporaryFile() throws {
        let adult = try AdultModel.shared()
        let directory = try TemporaryDirectory()
        let dead = try deadProcessID()
        try directory.write("partial", to: "out.csv.tmp-\(dead)")
        let run = try Mimeo.run(["generate", adult.model, "-n", "5", "-o", directory.file("out.csv"), "--quiet"])
        #expect(run.succeeded, "\(run)")
        #expect(try directory.contents() == ["out.csv"])
    }
}
