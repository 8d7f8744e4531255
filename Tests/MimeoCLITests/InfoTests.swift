import MimeoTestSupport
import ArgumentParser
import Foundation
import Testing

@testable import MimeoCLI

@Suite struct InfoTests {
    // MARK: - Parsing

    @Test func parsesAModel() throws {
        let command = try #require(try MimeoCommand.parseAsRoot(["info", "model.mimeo"]) as? MimeoCommand.Info)
        #expect(command.model == "model.mimeo")
        #expect(command.system == false)
        #expect(command.json == false)
    }

    @Test func parsesSystemWithoutAModel() throws {
        let command = try MimeoCommand.Info.parse(["--system"])
        #expect(command.model == nil)
        #expect(command.system)
    }

    @Test func parsesJSON() throws {
        #expect(try MimeoCommand.Info.parse(["m.mimeo", "--json"]).json)
    }

    @Test func requiresAModelOrSystem() {
        #expect {
            try MimeoCommand.Info.parse([])
        } throws: { error in
            MimeoCommand.Info.message(for: error) == "give a model file, or --system"
        }
    }

    // MARK: - End to end

    /// `mimeo info` names the source, and lists every column of the training table with its kind.
    @Test func listsEveryColumn() throws {
        let adult = try AdultModel.shared()

        let run = try Mimeo.run(["info", adult.model])

        #expect(run.succeeded, "\(run)")
        let output = run.standardOutput
        #expect(output.contains("model:       \(adult.model) (format 1"))
        #expect(output.contains("trained on:  adult600.csv, 600 rows"))
        #expect(output.contains("parameters:  ") && output.contains(", full (all embeddings per head)"), "\(output)")
        let columnLines = output.split(separator: "\n").filter { $0.hasPrefix("  ") && !$0.hasPrefix("   ") }
        #expect(columnLines.compactMap { $0.split(separator: " ").first.map(String.init) } == adult.columnNames,
                "\(output)")
        let kinds = Dictionary(uniqueKeysWithValues: columnLines.map {
            let words = $0.split(separator: " ")
            return (String(words[0]), String(words[1]))
        })
        #expect(kinds["age"] == "integer")
        #expect(kinds["income"] == "categorical")
        #expect(output.contains("stopped: max epochs (2)"), "\(output)")
    }

    @Test func printsMetadataAsJSON() throws {
        let adult = try AdultModel.shared()

        let run = try Mimeo.run(["info", adult.model, "--json"])

        #expect(run.succeeded, "\(run)")
        let json = try #require(try JSONSerialization.jsonObject(with: run.stdout) as? [String: Any])
        #expect(json["sourceName"] as? String == "adult600.csv")
        #expect(json["sourceRows"] as? Int == 600)
        #expect(json["formatVersion"] as? Int == 1)
        let encoder = try #require(json["encoder"] as? [String: Any])
        let schema = try #require(encoder["schema"] as? [String: Any])
        let columns = try #require(schema["columns"] as? [[String: Any]])
        #expect(columns.compactMap { $0["name"] as? String } == adult.columnNames)
    }

    /// `mimeo info --system` reports the cores and the OpenBLAS kernel in use.
    @Test func describesTheSystem() throws {
        let run = try Mimeo.run(["info", "--system"])

        #expect(run.succeeded, "\(run)")
        let lines = run.standardOutput.split(separator: "\n").map(String.init)
        let kernel = try #require(lines.first { $0.hasPrefix("OpenBLAS kernel:") }, "\(run)")
        #expect(!kernel.dropFirst("OpenBLAS kernel:".count).trimmingCharacters(in: .whitespaces).isEmpty)
        #expect(lines.contains("cores:            \(ProcessInfo.processInfo.activeProcessorCount)"))
        #expect(lines.contains { $0.hasPrefix("preferred kernel: ") })
    }

    /// Truncated, corrupted and non-model files: non-zero exit, `path: error: <reason>`, nothing on stdout.
    @Test(arguments: BrokenModel.all)
    func brokenModelFailsCleanly(_ broken: BrokenModel) throws {
        let directory = try TemporaryDirectory()
        let model = try broken.write(in: directory)
        let before = try directory.contents()

        let run = try Mimeo.run(["info", model])

        #expect(run.failedCleanly, "\(run)")
        #expect(run.standardError.hasPrefix("Error: \(model): error: "), "\(run)")
        #expect(run.standardError.contains(broken.message), "\(run)")
        #expect(run.stdout.isEmpty)
        #expect(try directory.contents() == before)
    }
}
