import MimeoTestSupport
import ArgumentParser
import Foundation
import Testing

@testable import MimeoCLI

@Suite struct GenerateTests {
    // MARK: - Parsing

    @Test func parsesDefaults() throws {
        let parsed = try MimeoCommand.parseAsRoot(["generate", "model.mimeo", "-n", "10"])
        let command = try #require(parsed as? MimeoCommand.Generate)
        #expect(command.model == "model.mimeo")
        #expect(command.n == 10)
        #expect(command.output == "-")
        #expect(command.seed == 0)
        #expect(command.conditions.isEmpty)
        #expect(command.threads == nil)  // resolved to all cores at run time
        #expect(command.delimiter == ",")
        #expect(command.quiet == false)
    }

    @Test func parsesRepeatedWhereInOrder() throws {
        let command = try MimeoCommand.Generate.parse([
            "m.mimeo", "-n", "5", "--where", "income=>50K", "--where", "sex=Female", "--where", "workclass=",
            "--where", "note=a=b", "-o", "out.csv", "--seed", "7", "--threads", "1", "--delimiter", "tab", "--quiet",
        ])
        #expect(command.conditions == ["income=>50K", "sex=Female", "workclass=", "note=a=b"])
        #expect(command.output == "out.csv")
        #expect(command.seed == 7)
        #expect(command.threads == 1)
        #expect(command.delimiter == "tab")
        #expect(command.quiet)
    }

    @Test func acceptsZeroRows() throws {
        #expect(try MimeoCommand.Generate.parse(["m.mimeo", "-n", "0"]).n == 0)
    }

    @Test(arguments: [
        (["-n", "-5"], "-n must not be negative"),
        (["-n", "5", "--where", "income"], "--where expects column=value, got 'income'"),
        (["-n", "5", "--where", "a=1", "--where", "b"], "--where expects column=value, got 'b'"),
        (["-n", "5", "--threads", "0"], "--threads must be at least 1"),
        (["-n", "5", "--threads", "-1"], "--threads must be at least 1"),
        (["-n", "5", "--seed", "-1"], "The value '-1' is invalid for '--seed <seed>'"),
        (["-n", "5", "--delimiter", ",,"],
         "--delimiter must be one ASCII character other than a quote or newline (or 'tab'), not ',,'"),
        (["-n", "many"], "The value 'many' is invalid for '-n <n>'"),
        ([], "Missing expected argument '-n <n>'"),
    ])
    func rejectsInvalidOptions(extra: [String], message: String) {
        #expect {
            try MimeoCommand.Generate.parse(["m.mimeo"] + extra)
        } throws: { error in
            MimeoCommand.Generate.message(for: error) == message
        }
    }

    // MARK: - End to end

    /// Same model, -n and --seed: byte-identical files, whatever --threads; the header is the input's.
    @Test func sameSeedGivesIdenticalBytesWhateverTheThreads() throws {
        let adult = try AdultModel.shared()
        let directory = try TemporaryDirectory()
        for (name, threads) in [("a.csv", nil), ("b.csv", nil), ("c.csv", "1")] as [(String, String?)] {
            var arguments = ["generate", adult.model, "-n", "2000", "-o", directory.file(name), "--seed", "3"]
            if let threads { arguments += ["--threads", threads] }
            let run = try Mimeo.run(arguments)
            #expect(run.succeeded, "\(run)")
            #expect(run.stdout.isEmpty)
        }
        let a = try directory.read("a.csv")
        #expect(try directory.read("b.csv") == a)
        #expect(try directory.read("c.csv") == a)
        #expect(try directory.contents() == ["a.csv", "b.csv", "c.csv"])

        let lines = String(decoding: a, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 2002 && lines.last == "", "2000 rows, a header and a final newline")
        #expect(lines.first.map(String.init) == adult.header)
        let width = adult.columnNames.count
        #expect(lines.dropFirst().dropLast().allSatisfy { $0.split(separator: ",", omittingEmptySubsequences: false).count == width })
    }

    @Test func differentSeedsGiveDifferentRows() throws {
        let adult = try AdultModel.shared()
        let first = try Mimeo.run(["generate", adult.model, "-n", "50", "--seed", "1"])
        let second = try Mimeo.run(["generate", adult.model, "-n", "50", "--seed", "2"])
        #expect(first.succeeded && second.succeeded, "\(first)\n\(second)")
        #expect(first.stdout != second.stdout)
        #expect(first.standardError.isEmpty, "no progress lines when writing to standard output")
    }

    /// `--where income=>50K` fixes the column: every row has that value, the others still vary.
    @Test func whereFixesAColumn() throws {
        let adult = try AdultModel.shared()
        let directory = try TemporaryDirectory()
        let output = directory.file("rich.csv")

        let run = try Mimeo.run(["generate", adult.model, "-n", "300", "--where", "income=>50K", "-o", output,
                                 "--seed", "5", "--quiet"])

        #expect(run.succeeded, "\(run)")
        #expect(run.standardError.isEmpty)
        let rows = String(decoding: try directory.read("rich.csv"), as: UTF8.self).split(separator: "\n")
            .map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        #expect(rows.count == 301)
        let income = try #require(adult.columnNames.firstIndex(of: "income"))
        #expect(Set(rows.dropFirst().map { $0[income] }) == [">50K"])
        let sex = try #require(adult.columnNames.firstIndex(of: "sex"))
        #expect(Set(rows.dropFirst().map { $0[sex] }).count == 2)
    }

    @Test func whereCombinesConditions() throws {
        let adult = try AdultModel.shared()
        let run = try Mimeo.run(["generate", adult.model, "-n", "100", "--where", "income=<=50K",
                                 "--where", "sex=Female", "--seed", "9"])
        #expect(run.succeeded, "\(run)")
        let rows = run.standardOutput.split(separator: "\n").dropFirst()
            .map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        #expect(rows.count == 100)
        let income = try #require(adult.columnNames.firstIndex(of: "income"))
        let sex = try #require(adult.columnNames.firstIndex(of: "sex"))
        #expect(rows.allSatisfy { $0[income] == "<=50K" && $0[sex] == "Female" })
    }

    /// Conditions the model cannot satisfy are usage errors (exit 64) with a clear message, found before
    /// any output is created; the usage line is not the root command's.
    @Test(arguments: [
        ("nosuch=1", "unknown column 'nosuch' in --where; columns are: age, workclass"),
        ("income=banana", "column 'income' has no value 'banana' that can be generated"),
        ("age=200", "column 'age' ranges from 17.0 to 90.0; 200 is outside"),
    ])
    func impossibleConditionsFailCleanly(condition: String, message: String) throws {
        let adult = try AdultModel.shared()
        let directory = try TemporaryDirectory()

        let run = try Mimeo.run(["generate", adult.model, "-n", "10", "--where", condition,
                                 "-o", directory.file("out.csv")])

        #expect(run.status == 64, "\(run)")
        #expect(run.standardError.hasPrefix("Error: \(message)"), "\(run)")
        #expect(!run.standardError.contains("Usage: mimeo <subcommand>"), "\(run)")
        #expect(try directory.contents().isEmpty)
    }

    @Test func writesTabDelimitedOutput() throws {
        let adult = try AdultModel.shared()
        let run = try Mimeo.run(["generate", adult.model, "-n", "3", "--delimiter", "tab"])
        #expect(run.succeeded, "\(run)")
        let lines = run.standardOutput.split(separator: "\n")
        #expect(lines.first.map(String.init) == adult.columnNames.joined(separator: "\t"))
        #expect(lines.count == 4)
    }

    @Test func zeroRowsWritesOnlyTheHeader() throws {
        let adult = try AdultModel.shared()
        let run = try Mimeo.run(["generate", adult.model, "-n", "0"])
        #expect(run.succeeded, "\(run)")
        #expect(run.standardOutput == adult.header + "\n")
    }

    /// Truncated, corrupted and non-model files: non-zero exit, `path: error: <reason>`, no output file.
    @Test(arguments: BrokenModel.all)
    func brokenModelFailsCleanly(_ broken: BrokenModel) throws {
        let directory = try TemporaryDirectory()
        let model = try broken.write(in: directory)
        let before = try directory.contents()

        let run = try Mimeo.run(["generate", model, "-n", "10", "-o", directory.file("out.csv")])

        #expect(run.failedCleanly, "\(run)")
        #expect(run.standardError.hasPrefix("Error: \(model): error: "), "\(run)")
        #expect(run.standardError.contains(broken.message), "\(run)")
        #expect(try directory.contents() == before, "no output or temporary file may be left behind")
    }

    @Test func unwritableOutputFailsCleanly() throws {
        let adult = try AdultModel.shared()
        let directory = try TemporaryDirectory()
        let output = directory.file("missing-directory/out.csv")

        let run = try Mimeo.run(["generate", adult.model, "-n", "10", "-o", output])

        #expect(run.failedCleanly, "\(run)")
        #expect(run.standardError.contains("\(output): error: cannot create temporary file"), "\(run)")
        #expect(try directory.contents().isEmpty)
    }
}
