import ArgumentParser
import Foundation
import MimeoData

extension MimeoCommand {
    /// `mimeo schema`: print the inferred column types as JSON.
    struct Schema: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Infer the column types of a CSV file (or read a Parquet file's) and print them as JSON.",
            discussion: """
                Kinds: integer, decimal, boolean, categorical, datetime (with its format), identifier and text \
                (both flagged, not modelled). A number, boolean or datetime column in which a few values \
                (at most --invalid-share) do not fit is dirty: it keeps its kind, its invalid values are \
                read as missing, and "invalidValues" gives their count and first examples (also warned \
                about on standard error). The delimiter is detected unless --delimiter is given. Edit the \
                JSON and pass it back with `mimeo train --schema`.
                Example:  mimeo schema data.csv > schema.json
                """)

        @Argument(help: "The table: CSV (.csv, .csv.gz), Parquet (.parquet) or a folder of parts.")
        var input: String

        @OptionGroup var inputOptions: InputOptions

        func run() throws {
            let (_, schema) = try TableInput.load(path: input, options: inputOptions)
            TableInput.reportInvalidValues(schema)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            FileHandle.standardOutput.write(try encoder.encode(schema) + Data("\n".utf8))
        }
    }
}
