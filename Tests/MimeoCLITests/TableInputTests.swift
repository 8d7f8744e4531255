import MimeoTestSupport
import Foundation
import Testing

/// Malformed inputs to the two commands that read a CSV through `TableInput` (`mimeo schema` and
/// `mimeo train`): each must exit with a non-zero status (not crash), report `file:line[:column]` and a
/// clear message on standard error, and leave no output file (nor a `*.tmp-*` file) behind.
@Suite struct TableInputTests {
    /// One malformed input: the CSV bytes, an optional schema JSON, and what the error must say.
    struct Malformed: Sendable, CustomTestStringConvertible {
        let name: String
        let csv: [UInt8]
        /// A `--schema` file's JSON, if any (nil: no --schema).
        var schema: String? = nil
        /// Where the error is: appended to the CSV's path (e.g. `:3:2`), or nil when it names the schema file.
        let location: String?
        /// Fragments the message must contain.
        let message: [String]
        /// Whether `mimeo schema` accepts this input (a header-only file has a schema, just no rows).
        var schemaAccepts = false

        var testDescription: String { name }

        static let ageSchema = """
            {"columns": [{"name": "age", "kind": "integer"}, {"name": "name", "kind": "categorical"}],
             "missingValues": [""]}
            """

        static let all: [Malformed] = [
            Malformed(name: "ragged row", csv: Array("a,b\n1,2\n3\n4,5\n".utf8), location: ":3:2",
                      message: ["error (column 'b'): expected 2 fields, found 1"]),
            Malformed(name: "too many fields", csv: Array("a,b\n1,2,3\n".utf8), location: ":2:3",
                      message: ["expected 2 fields, found 3"]),
            Malformed(name: "unterminated quote", csv: Array("a,b\n1,\"2\n3,4\n".utf8), location: ":2:2",
                      message: ["unterminated quoted field", "expected a closing quote"]),
            Malformed(name: "quote inside unquoted field", csv: Array("a,b\n1,x\"y\n".utf8), location: ":2:2",
                      message: ["unexpected quote inside an unquoted field"]),
            Malformed(name: "invalid UTF-8", csv: Array("a,b\n1,2\n3,".utf8) + [0x61, 0xFF, 0x0A],
                      location: ":3:2", message: ["invalid UTF-8: byte 0xFF at byte offset 1"]),
            Malformed(name: "empty file", csv: [], location: ":1", message: ["empty file: expected a header line"]),
            Malformed(name: "blank lines only", csv: Array("\n\n\n".utf8), location: ":1",
                      message: ["empty file"]),
            Malformed(name: "header only", csv: Array("a,b\n".utf8), location: "",
                      message: ["the table has a header but no data rows"], schemaAccepts: true),
            Malformed(name: "duplicate header names", csv: Array("a,b,a\n1,2,3\n".utf8), location: ":1:3",
                      message: ["duplicate column name 'a' (also column 1)"]),
            Malformed(name: "empty header name", csv: Array("a,,c\n1,2,3\n".utf8), location: ":1:2",
                      message: ["empty column name in the header"]),
            Malformed(name: "schema integer, cell abc", csv: Array("age,name\n30,x\nabc,y\n".utf8),
                      schema: ageSchema, location: ":3:1",
                      message: ["error (column 'age'): invalid value 'abc': expected an integer"]),
            Malformed(name: "schema lacks a file column", csv: Array("age,nom\n30,x\n".utf8),
                      schema: ageSchema, location: ":1:2",
                      message: ["unknown column 'nom': the schema does not declare it; expected one of: age, name"]),
            Malformed(name: "schema column not in file", csv: Array("age\n30\n".utf8),
                      schema: ageSchema, location: ":1",
                      message: ["missing column 'name'"]),
            Malformed(name: "schema bad date-time format", csv: Array("age,name\n30,x\n".utf8),
                      schema: """
                          {"columns": [{"name": "age", "kind": "integer"},
                                       {"name": "name", "kind": "datetime", "format": "%Q"}], "missingValues": []}
                          """,
                      location: ":1:2", message: ["is not a valid date-time pattern"]),
            Malformed(name: "schema not a schema", csv: Array("age,name\n30,x\n".utf8),
                      schema: "{\"columns\": 3}", location: nil,
                      message: ["not a valid Mimeo schema"]),
        ]
    }

    @Test(arguments: Malformed.all, ["schema", "train"])
    func malformedInputFailsCleanly(_ input: Malformed, command: String) throws {
        if input.schemaAccepts && command == "schema" { return }
        let directory = try TemporaryDirectory()
        let csv = try directory.write(input.csv, to: "input.csv")
        var arguments = [command, csv]
        if let schema = input.schema {
            arguments += ["--schema", try directory.write(schema, to: "schema.json")]
        }
        if command == "train" {
            arguments += ["-o", directory.file("model.mimeo"), "--max-epochs", "1", "--quiet"]
        }
        let before = try directory.contents()

        let run = try Mimeo.run(arguments)

        #expect(run.failedCleanly, "\(run)")
        #expect(run.status == 1, "\(run)")
        let location = input.location.map { csv + $0 } ?? directory.file("schema.json")
        #expect(run.standardError.contains("Error: \(location): error"), "\(run)")
        for fragment in input.message {
            #expect(run.standardError.contains(fragment), "\(run)")
        }
        #expect(!run.standardError.contains("Usage:"), "a data error is not a usage error: \(run)")
        #expect(run.stdout.isEmpty, "\(run)")
        #expect(try directory.contents() == before, "no output or temporary file may be left behind")
    }

    @Test(arguments: ["schema", "train"])
    func missingInputFileFailsCleanly(command: String) throws {
        let directory = try TemporaryDirectory()
        var arguments = [command, directory.file("absent.csv")]
        if command == "train" { arguments += ["-o", directory.file("model.mimeo")] }

        let run = try Mimeo.run(arguments)

        #expect(run.status == 1, "\(run)")
        #expect(run.standardError.contains("\(directory.file("absent.csv")): error: cannot open file for reading"),
                "\(run)")
        #expect(try directory.contents().isEmpty)
    }

    @Test(arguments: ["schema", "train"])
    func missingSchemaFileFailsCleanly(command: String) throws {
        let directory = try TemporaryDirectory()
        let csv = try directory.write("a,b\n1,2\n", to: "input.csv")
        var arguments = [command, csv, "--schema", directory.file("absent.json")]
        if command == "train" { arguments += ["-o", directory.file("model.mimeo")] }

        let run = try Mimeo.run(arguments)

        #expect(run.status == 1, "\(run)")
        #expect(run.standardError.contains("\(directory.file("absent.json")): error: cannot read the schema file"),
                "\(run)")
        #expect(try directory.contents() == ["input.csv"])
    }
}
