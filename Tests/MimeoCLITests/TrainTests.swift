import MimeoTestSupport
import ArgumentParser
import Foundation
import Testing

@testable import MimeoCLI

@Suite struct TrainTests {
    // MARK: - Parsing

    @Test func parsesDefaults() throws {
        let parsed = try MimeoCommand.parseAsRoot(["train", "data.csv", "-o", "model.mimeo"])
        let command = try #require(parsed as? MimeoCommand.Train)
        #expect(command.input == "data.csv")
        #expect(command.output == "model.mimeo")
        #expect(command.maxEpochs == 100)
        #expect(command.maxTime == nil)
        #expect(command.batchSize == nil)
        #expect(command.learningRate == 3e-3)
        #expect(command.rareThreshold == 5)
        #expect(command.seed == 0)
        #expect(command.threads == nil)  // resolved to all cores at run time
        #expect(command.quiet == false)
        #expect(command.inputOptions.delimiter == nil)  // detected
        #expect(command.inputOptions.schema == nil)
    }

    @Test func parsesEveryOption() throws {
        let command = try MimeoCommand.Train.parse([
            "data.csv.gz", "--output", "m.mimeo", "--delimiter", ";", "--schema", "s.json", "--max-epochs", "3",
            "--max-time", "2.5", "--batch-size", "32", "--learning-rate", "0.01", "--rare-threshold", "2",
            "--seed", "42", "--threads", "1", "--quiet",
        ])
        #expect(command.input == "data.csv.gz")
        #expect(command.output == "m.mimeo")
        #expect(try command.inputOptions.delimiterByte(for: "unread.csv") == UInt8(ascii: ";"))
        #expect(command.inputOptions.schema == "s.json")
        #expect(command.maxEpochs == 3)
        #expect(command.maxTime == 2.5)
        #expect(command.batchSize == 32)
        #expect(command.learningRate == 0.01)
        #expect(command.rareThreshold == 2)
        #expect(command.seed == 42)
        #expect(command.threads == 1)
        #expect(command.quiet)
    }

    @Test(arguments: [
        (["--max-time", "0"], "--max-time must be positive"),
        (["--max-time", "-1"], "--max-time must be positive"),
        (["--max-time", "nan"], "--max-time must be positive"),
        (["--learning-rate", "0"], "--learning-rate must be a positive number"),
        (["--learning-rate", "-0.1"], "--learning-rate must be a positive number"),
        (["--learning-rate", "inf"], "--learning-rate must be a positive number"),
        (["--seed", "-1"], "The value '-1' is invalid for '--seed <seed>'"),
        (["--max-time", "--quiet"], "The value '--quiet' is invalid for '--max-time <seconds>'"),
        (["--max-epochs", "0"], "--max-epochs must be at least 1"),
        (["--max-epochs", "-3"], "--max-epochs must be at least 1"),
        (["--batch-size", "0"], "--batch-size must be at least 1"),
        (["--batch-size", "-8"], "--batch-size must be at least 1"),
        (["--rare-threshold", "0"], "--rare-threshold must be at least 1"),
        (["--threads", "0"], "--threads must be at least 1"),
        (["--threads", "-2"], "--threads must be at least 1"),
        (["--delimiter", "\""], "--delimiter must be one ASCII character other than a quote or newline (or 'tab'), not '\"'"),
        (["--max-epochs", "two"], "The value 'two' is invalid for '--max-epochs <max-epochs>'"),
    ])
    func rejectsInvalidOptions(extra: [String], message: String) {
        #expect {
            try MimeoCommand.Train.parse(["data.csv", "-o", "m.mimeo"] + extra)
        } throws: { error in
            MimeoCommand.Train.message(for: error) == message
        }
    }

    @Test func requiresAnOutput() {
        #expect {
            try MimeoCommand.Train.parse(["data.csv"])
        } throws: { error in
            MimeoCommand.Train.message(for: error) == "Missing expected argument '--output <model.mimeo>'"
        }
    }

    // MARK: - End to end

    /// The shared model (600 adult rows, 2 epochs, --quiet) is written, and --quiet printed nothing.
    @Test func trainsQuietlyOnASmallTable() throws {
        let adult = try AdultModel.shared()
        #expect(adult.trainStatus == 0)
        #expect(adult.trainStandardError.isEmpty)
        let attributes = try FileManager.default.attributesOfItem(atPath: adult.model)
        #expect((attributes[.size] as? Int ?? 0) > 1000)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: adult.model)).prefix(8))
        #expect(bytes == Array("MIMEOMDL".utf8))
        let siblings = try FileManager.default.contentsOfDirectory(
            atPath: URL(fileURLWithPath: adult.model).deletingLastPathComponent().path)
        #expect(!siblings.contains { $0.contains(".tmp-") })
    }

    /// Without --quiet, progress and a summary go to standard error, nothing to standard output.
    @Test func reportsProgressOnStandardError() throws {
        let directory = try TemporaryDirectory()
        let csv = try directory.write(try adultSampleText(rows: 100), to: "adult100.csv")
        let model = directory.file("m.mimeo")

        let run = try Mimeo.run(["train", csv, "-o", model, "--max-epochs", "1", "--threads", "1"])

        #expect(run.succeeded, "\(run)")
        #expect(run.stdout.isEmpty)
        #expect(run.standardError.contains("read 100 rows x 15 columns from \(csv)"), "\(run)")
        #expect(run.standardError.contains("wrote \(model) ("), "\(run)")
        #expect(try directory.contents() == ["adult100.csv", "m.mimeo"])
    }

    /// A gzip-compressed copy (made by /bin/gzip) trains like the plain file.
    @Test func trainsOnAGzipFile() throws {
        let directory = try TemporaryDirectory()
        let csv = try directory.write(try adultSampleText(rows: 200), to: "adult200.csv")
        let gzip = try #require(["/bin/gzip", "/usr/bin/gzip"].first { FileManager.default.isExecutableFile(atPath: $0) })
        let process = Process()
        process.executableURL = URL(fileURLWithPath: gzip)
        process.arguments = ["-k", csv]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let compressed = try directory.read("adult200.csv.gz")
        #expect(compressed.prefix(2) == Data([0x1F, 0x8B]))

        let model = directory.file("gz.mimeo")
        let run = try Mimeo.run(["train", csv + ".gz", "-o", model, "--max-epochs", "1", "--quiet"])
        #expect(run.succeeded, "\(run)")

        let info = try Mimeo.run(["info", model])
        #expect(info.succeeded, "\(info)")
        #expect(info.standardOutput.contains("trained on:  adult200.csv.gz, 200 rows"), "\(info)")
    }

    /// A ';'-delimited input trains with `--delimiter ';'`; the model generates the same header
    /// (comma-delimited by default).
    @Test func trainsOnASemicolonDelimitedFile() throws {
        let directory = try TemporaryDirectory()
        let text = try adultSampleText(rows: 200)
        let csv = try directory.write(text.replacingOccurrences(of: ",", with: ";"), to: "adult-semicolon.csv")
        let model = directory.file("semi.mimeo")

        let run = try Mimeo.run(["train", csv, "--delimiter", ";", "-o", model, "--max-epochs", "1", "--quiet"])
        #expect(run.succeeded, "\(run)")

        let generated = try Mimeo.run(["generate", model, "-n", "20", "--seed", "1", "--quiet"])
        #expect(generated.succeeded, "\(generated)")
        let lines = generated.standardOutput.split(separator: "\n")
        #expect(lines.count == 21)
        #expect(lines.first.map(String.init) == String(text.prefix { $0 != "\n" }))
    }

    /// An output path in a missing directory fails with the path and reason, and leaves nothing behind.
    @Test func unwritableOutputFailsCleanly() throws {
        let directory = try TemporaryDirectory()
        let csv = try directory.write(try adultSampleText(rows: 50), to: "adult50.csv")
        let model = directory.file("missing-directory/m.mimeo")

        let run = try Mimeo.run(["train", csv, "-o", model, "--max-epochs", "1", "--quiet"])

        #expect(run.failedCleanly, "\(run)")
        #expect(run.standardError.contains("\(model): error: cannot create temporary file"), "\(run)")
        #expect(try directory.contents() == ["adult50.csv"])
    }
}
