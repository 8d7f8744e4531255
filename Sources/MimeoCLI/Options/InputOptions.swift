import ArgumentParser
import Foundation
import MimeoData
import MimeoParquet

/// How to read an input CSV: delimiter, an optional declared schema, and how dirty a column may be.
struct InputOptions: ParsableArguments {
    @Option(name: .long, help: "Field delimiter of the input: one character such as ',', ';', '|' or 'tab' (default: detected from the file's first 64 KiB among , ; tab |).")
    var delimiter: String?

    @Option(name: .long, help: ArgumentHelp("A schema JSON (from `mimeo schema`, possibly edited) declaring column kinds instead of inferring them.", valueName: "schema.json"))
    var schema: String?

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Schema inference: a number, boolean or datetime column may have at most this share of values that do not fit (read as missing, and reported); 0 turns this off.", valueName: "share"))
    var invalidShare: Double = SchemaInference().invalidShare

    func validate() throws {
        if let delimiter { _ = try parseDelimiter(delimiter) }
        guard invalidShare >= 0, invalidShare < 0.5 else {
            throw ValidationError("--invalid-share must be at least 0 and below 0.5, not \(invalidShare)")
        }
    }

    /// Opens the CSV file at `path` with `--delimiter`, or with the delimiter detected from its start;
    /// a detected delimiter other than `,` is reported on standard error (unless `quiet`).
    func openReader(path: String, quiet: Bool = false) throws -> CSVReader {
        let reader = try CSVReader(path: path, delimiter: try delimiter.map(parseDelimiter))
        if reader.delimiterWasDetected && reader.delimiter != UInt8(ascii: ",") && !quiet {
            Terminal.message("detected delimiter \(describeDelimiter(reader.delimiter)) in \(path) (--delimiter overrides)")
        }
        return reader
    }

    /// The delimiter of the CSV file at `path`: `--delimiter`, or the one detected from its first 64 KiB
    /// (reported as by `openReader`).
    /// A Parquet file has none (`,` is returned); a folder of parts gives its first part's.
    func delimiterByte(for path: String, quiet: Bool = false) throws -> UInt8 {
        if let delimiter { return try parseDelimiter(delimiter) }
        if TableFileLoader.isDirectory(path) || TableFileLoader.isParquet(path) {
            return try TableFileLoader.detectDelimiter(path: path)
        }
        return try openReader(path: path, quiet: quiet).delimiter
    }

    /// Schema inference with `--invalid-share`.
    var inference: SchemaInference {
        var inference = SchemaInference()
        inference.invalidShare = invalidShare
        return inference
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

/// A delimiter for messages: `';'`, `tab`.
func describeDelimiter(_ byte: UInt8) -> String {
    byte == 0x09 ? "tab" : "'\(Character(Unicode.Scalar(byte)))'"
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
