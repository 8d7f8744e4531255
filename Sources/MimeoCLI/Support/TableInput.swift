import Foundation
import MimeoData
import MimeoParquet

/// Reads an input table and settles its schema (declared, or inferred).
enum TableInput {
    /// Reads the table at `path` (delimiter given or detected) and its schema: the declared one (with the
    /// invalid values of its dirty columns counted again in this file), or the inferred one.
    ///
    /// - Parameter quiet: Do not report a detected delimiter.
    /// A Parquet file's schema comes from its logical types (`ParquetReader.settleSchema`); a folder is read
    /// as the concatenation of its parts.
    static func load(path: String, options: InputOptions, quiet: Bool = false) throws -> (table: Table, schema: MimeoData.Schema) {
        if TableFileLoader.isDirectory(path) || TableFileLoader.isParquet(path) {
            let delimiter = try options.delimiterByte(for: path, quiet: quiet)
            if var declared = try options.declaredSchema() {
                let table = try TableFileLoader(schema: declared, delimiter: delimiter).load(path: path)
                recountInvalidValues(&declared, table: table)
                return (table, declared)
            }
            return try TableFileLoader(delimiter: delimiter).loadInferring(path: path, inference: options.inference)
        }
        let reader = try options.openReader(path: path, quiet: quiet)
        if var declared = try options.declaredSchema() {
            let table = try TableLoader(schema: declared).load(from: reader)
            recountInvalidValues(&declared, table: table)
            return (table, declared)
        }
        let table = try TableLoader().load(from: reader)
        return (table, options.inference.inferSchema(from: table))
    }

    /// Counts the invalid values of the declared schema's dirty columns again in `table`.
    private static func recountInvalidValues(_ declared: inout MimeoData.Schema, table: Table) {
        for (index, name) in table.columnNames.enumerated() {
            guard let position = declared.columns.firstIndex(where: { $0.name == name }),
                  declared.columns[position].invalidValues != nil else { continue }
            declared.columns[position].invalidValues = declared.columns[position].invalidValues(in: table.columns[index])
        }
    }

    /// Writes one warning line per dirty column of `schema` to standard error.
    static func reportInvalidValues(_ schema: MimeoData.Schema) {
        for column in schema.columns {
            if let summary = column.invalidValuesSummary { Terminal.message("warning: \(summary)") }
        }
    }
}
