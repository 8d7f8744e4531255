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
        (["--max-time", "0"], "--max-time must be a positive number of seconds"),
        (["--max-time", "-1"], "--max-time must be a positive number of seconds"),
        (["--max-time", "nan"], "--max-time must be a positive number of seconds"),
        (["--max-time", "inf"], "--max-time must be a positive number of seconds"),
        (["--learning-rate", "0"], "--learning-rate must be a number above 0 and at most 1.0 (the default is 0.003; got 0.0)"),
        (["--learning-rate", "-0.1"], "--learning-rate must be a number above 0 and at most 1.0 (the default is 0.003; got -0.1)"),
        (["--learning-rate", "inf"], "--learning-rate must be a number above 0 and at most 1.0 (the default is 0.003; got inf)"),
        (["--learning-rate", "nan"], "--learning-rate must be a number above 0 and at most 1.0 (the default is 0.003; got nan)"),
        (["--learning-rate", "10"], "--learning-rate must be a number above 0 and at most 1.0 (the default is 0.003; got 10.0)"),
        (["--learning-rate", "1e6"], "--learning-rate must be a number above 0 and at most 1.0 (the default is 0.003; got 1000000.0)"),
        (["--context-width", "0"], "--context-width must be 'auto', 'full' or a whole number from 1 to 4096 (got '0')"),
        (["--context-width", "wide"], "--context-width must be 'auto', 'full' or a whole number from 1 to 4096 (got 'wide')"),
        (["--max-memory", "lots"], "--max-memory must be a size such as 2G, 512M or 1500000000 (got 'lots')"),
        (["--max-memory", "-2G"], "--max-memory must be a size such as 2G, 512M or 1500000000 (got '-2G')"),
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

    // MARK: - Wide tables and divergence

    @Test func parsesContextWidthAndMaxMemory() throws {
        let command = try MimeoCommand.Train.parse(["d.csv", "-o", "m", "--context-width", "64", "--max-memory", "1.5G"])
        #expect(try command.contextWidthChoice() == .projected(64))
        #expect(try command.maxMemoryBytes() == 1_610_612_736)
        let defaults = try MimeoCommand.Train.parse(["d.csv", "-o", "m", "--max-memory", "512MiB"])
        #expect(try defaults.contextWidthChoice() == .automatic)
        #expect(try defaults.maxMemoryBytes() == 512 * 1_048_576)
        let full = try MimeoCommand.Train.parse(["d.csv", "-o", "m", "--context-width", "full", "--max-memory", "3000"])
        #expect(try full.contextWidthChoice() == .full)
        #expect(try full.maxMemoryBytes() == 3000)
    }

    /// A run whose estimate exceeds the memory limit is refused before training, with a message that
    /// names the options to change, and writes nothing. (Before, a table too wide for the machine grew
    /// until the kernel killed it.)
    @Test func refusesARunThatDoesNotFitInMemory() throws {
        let directory = try TemporaryDirectory()
        let csv = try directory.write(try adultSampleText(rows: 100), to: "adult100.csv")
        let model = directory.file("m.mimeo")

        let run = try Mimeo.run(["train", csv, "-o", model, "--max-memory", "2M", "--threads", "1"])

        #expect(run.failedCleanly, "\(run)")
        #expect(run.standardError.contains("estimated memory"), "\(run)")
        #expect(run.standardError.contains("Error: training would need about"), "\(run)")
        #expect(run.standardError.contains("more than the 2 MiB of --max-memory"), "\(run)")
        #expect(run.standardError.contains("use a smaller --context-width"), "\(run)")
        #expect(try directory.contents() == ["adult100.csv"])
    }

    /// A learning rate that makes training explode stops with a message that says so and suggests a lower
    /// --learning-rate, with a non-zero exit and no model file. (Before, such a run saved a useless model
    /// without a word, or failed at save time with an EncodingError about NaN.)
    @Test func divergingTrainingStopsWithoutAModel() throws {
        let directory = try TemporaryDirectory()
        let csv = try directory.write(try adultSampleText(rows: 400), to: "adult400.csv")
        let model = directory.file("m.mimeo")

        let run = try Mimeo.run(["train", csv, "-o", model, "--learning-rate", "1", "--threads", "1", "--quiet"])

        #expect(run.failedCleanly, "\(run)")
        #expect(run.standardError.contains("Error: training diverged"), "\(run)")
        #expect(run.standardError.contains("use a lower --learning-rate (this run used 1.0"), "\(run)")
        #expect(try directory.contents() == ["adult400.csv"])
    }

    /// `--context-width 16` trains the projected network; the model generates rows, with conditions, and
    /// `info` reads it.
    @Test func trainsAProjectedModel() throws {
        let directory = try TemporaryDirectory()
        let csv = try directory.write(try adultSampleText(rows: 300), to: "adult300.csv")
        let model = directory.file("p.mimeo")

        let run = try Mimeo.run(["train", csv, "-o", model, "--context-width", "16", "--max-epochs", "2",
                                 "--threads", "1"])
        #expect(run.succeeded, "\(run)")
        #expect(run.standardError.contains("context width 16"), "\(run)")

        let generated = try Mimeo.run(["generate", model, "-n", "50", "--seed", "2", "--where", "sex=Female", "--quiet"])
        #expect(generated.succeeded, "\(generated)")
        let lines = generated.standardOutput.split(separator: "\n").dropFirst()
        #expect(lines.count == 50)
        #expect(lines.allSatisfy { $0.split(separator: ",", omittingEmptySubsequences: false)[9] == "Female" })
        let info = try Mimeo.run(["info", model])
        #expect(info.succeeded, "\(info)")
        #expect(info.standardOutput.contains("(format 2"), "\(info)")
        #expect(info.standardOutput.contains("projected context, width 16"), "\(info)")
    }
}
