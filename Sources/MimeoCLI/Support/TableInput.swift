import Foundation
import MimeoData

/// Reads an input table and settles its schema (declared, or inferred).
enum TableInput {
    /// Reads the table at `path` (delimiter given or detected) and its schema: the declared one (with the
    /// invalid values of its dirty columns counted again in this file), or the inferred one.
    ///
    /// - Parameter quiet: Do not report a detected delimiter.
    static func load(path: String, options: InputOptions, quiet: Bool = false) throws -> (table: Table, schema: MimeoData.Schema) {
        let reader = try options.openReader(path: path, quiet: quiet)
        if var declared = try options.declaredSchema() {
            let table = try TableLoader(schema: declared).load(from: reader)
            for (index, name) in table.columnNames.enumerated() {
                guard let position = declared.columns.firstIndex(where: { $0.name == name }),
                      declared.columns[position].invalidValues != nil else { continue }
                declared.columns[position].invalidValues = declared.columns[position].invalidValues(in: table.columns[index])
            }
            return (table, declared)
        }
        let table = try TableLoader().load(from: reader)
        return (table, options.inference.inferSchema(from: table))
    }

    /// Writes one warning line per dirty column of `schema` to standard error.
    static func reportInvalidValues(_ schema: MimeoData.Schema) {
        for column in schema.columns {
            if let summary = column.invalidValuesSummary { Terminal.message("warning: \(summary)") }
        }
    }
}
