import MimeoTestSupport
import ArgumentParser
import Foundation
import Testing

@testable import MimeoCLI

@Suite struct SchemaTests {
    // MARK: - Parsing

    @Test func parsesInputWithDefaults() throws {
        let command = try #require(try MimeoCommand.parseAsRoot(["schema", "data.csv"]) as? MimeoCommand.Schema)
        #expect(command.input == "data.csv")
        #expect(command.inputOptions.delimiter == nil)  // detected
        #expect(command.inputOptions.schema == nil)
    }

    @Test func parsesDelimiterAndSchema() throws {
        let command = try MimeoCommand.Schema.parse(["data.csv", "--delimiter", "tab", "--schema", "s.json"])
        #expect(try command.inputOptions.delimiterByte(for: "unread.csv") == 0x09)
        #expect(command.inputOptions.schema == "s.json")
    }

    @Test func rejectsABadDelimiterWhileParsing() {
        #expect {
            try MimeoCommand.Schema.parse(["data.csv", "--delimiter", ";;"])
        } throws: { error in
            MimeoCommand.Schema.message(for: error)
                == "--delimiter must be one ASCII character other than a quote or newline (or 'tab'), not ';;'"
        }
    }

    @Test func requiresAnInput() {
        #expect {
            try MimeoCommand.Schema.parse([])
        } throws: { error in
            MimeoCommand.Schema.message(for: error) == "Missing expected argument '<input>'"
        }
    }

    // MARK: - End to end

    /// The printed schema is JSON naming every column with a kind, and `--schema` takes it back unchanged.
    @Test func printedSchemaRoundTrips() throws {
        let directory = try TemporaryDirectory()
        let csv = try directory.write(try adultSampleText(rows: 200), to: "adult200.csv")

        let first = try Mimeo.run(["schema", csv])
        #expect(first.succeeded, "\(first)")
        #expect(first.standardError.isEmpty, "\(first)")
        let json = try #require(try JSONSerialization.jsonObject(with: first.stdout) as? [String: Any])
        let columns = try #require(json["columns"] as? [[String: Any]])
        let header = String(try adultSampleText(rows: 0).dropLast())
        #expect(columns.compactMap { $0["name"] as? String } == header.split(separator: ",").map(String.init))
        let kinds = Dictionary(uniqueKeysWithValues: columns.map { ($0["name"] as! String, $0["kind"] as! String) })
        #expect(kinds["age"] == "integer")
        #expect(kinds["workclass"] == "categorical")
        #expect(kinds["income"] == "categorical")
        #expect(json["missingValues"] is [String])

        let schema = try directory.write(Array(first.stdout), to: "schema.json")
        let second = try Mimeo.run(["schema", csv, "--schema", schema])
        #expect(second.succeeded, "\(second)")
        #expect(second.stdout == first.stdout)
    }

    /// A schema edited to make `age` categorical is used by `train`: the model treats age as categorical.
    @Test func editedSchemaIsHonoured() throws {
        let directory = try TemporaryDirectory()
        let csv = try directory.write(try adultSampleText(rows: 200), to: "adult200.csv")
        let printed = try Mimeo.run(["schema", csv])
        #expect(printed.succeeded, "\(printed)")
        var json = try #require(try JSONSerialization.jsonObject(with: printed.stdout) as? [String: Any])
        var columns = try #require(json["columns"] as? [[String: Any]])
        let age = try #require(columns.firstIndex { $0["name"] as? String == "age" })
        #expect(columns[age]["kind"] as? String == "integer")
        columns[age] = ["name": "age", "kind": "categorical"]
        json["columns"] = columns
        let edited = try directory.write(
            Array(try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])), to: "edited.json")

        let echoed = try Mimeo.run(["schema", csv, "--schema", edited])
        #expect(echoed.succeeded, "\(echoed)")
        let echoedJSON = try #require(try JSONSerialization.jsonObject(with: echoed.stdout) as? [String: Any])
        let echoedColumns = try #require(echoedJSON["columns"] as? [[String: Any]])
        #expect(echoedColumns.first { $0["name"] as? String == "age" }?["kind"] as? String == "categorical")

        let model = directory.file("model.mimeo")
        let train = try Mimeo.run(["train", csv, "--schema", edited, "-o", model, "--max-epochs", "1", "--quiet"])
        #expect(train.succeeded, "\(train)")
        let info = try Mimeo.run(["info", model])
        #expect(info.succeeded, "\(info)")
        let ageLine = info.standardOutput.split(separator: "\n").first { $0.hasPrefix("  age ") }
        #expect(ageLine?.split(separator: " ").dropFirst().first == "categorical", "\(info)")
    }

    @Test func readsASemicolonDelimitedFile() throws {
        let directory = try TemporaryDirectory()
        let text = try adultSampleText(rows: 50).replacingOccurrences(of: ",", with: ";")
        let csv = try directory.write(text, to: "adult.csv")

        let run = try Mimeo.run(["schema", csv, "--delimiter", ";"])

        #expect(run.succeeded, "\(run)")
        #expect(run.standardOutput.contains("\"name\" : \"native-country\""))
        #expect(run.standardOutput.contains("\"name\" : \"income\""))
    }
}
