import ArgumentParser
import Foundation
import MimeoData

/// How to read an input CSV: delimiter and an optional declared schema.
struct InputOptions: ParsableArguments {
    @Option(name: .long, help: "Field delimiter of the input: one character such as ',', ';', '|' or 'tab'.")
    var delimiter: String = ","

    @Option(name: .long, help: ArgumentHelp("A schema JSON (from `mimeo schema`, possibly edited) declaring column kinds instead of inferring them.", valueName: "schema.json"))
    var schema: String?

    func validate() throws {
        _ = try delimiterByte()
    }

    /// The delimiter as one byte.
    func delimiterByte() throws -> UInt8 {
        try parseDelimiter(delimiter)
    }

    /// Reads the declared schema, if one was given.
    ///
    /// - Throws: `DataError` naming the schema file when it cannot be read or decoded.
    func declaredSchema() throws -> MimeoData.Schema? {
        guard let schema else { return nil }
        guard let data = FileManager.default.contents(atPath: schema) else {
            throw DataError(file: schema, message: "cannot read the schema file (missing or unreadable)")
        }
        do {
            return try JSONDecoder().decode(MimeoData.Schema.self, from: data)
        } catch {
            throw DataError(file: schema, message: "not a valid Mimeo schema (as written by `mimeo schema`): \(error)")
        }
    }
}

/// Parses a delimiter option value.
func parseDelimiter(_ text: String) throws -> UInt8 {
    switch text {
    case "tab", "\\t", "\t": return 0x09
    default:
        let bytes = Array(text.utf8)
        guard bytes.count == 1, bytes[0] != UInt8(ascii: "\""), bytes[0] != 0x0A, bytes[0] != 0x0D else {
            throw ValidationError("--delimiter must be one ASCII character other than a quote or newline (or 'tab'), not '\(text)'")
        }
        return bytes[0]
    }
}
