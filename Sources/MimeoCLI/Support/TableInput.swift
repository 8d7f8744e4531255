import Foundation
import MimeoData

/// Reads an input table and settles its schema (declared, or inferred).
enum TableInput {
    static func load(path: String, options: InputOptions) throws -> (table: Table, schema: MimeoData.Schema) {
        let delimiter = try options.delimiterByte()
        if let declared = try options.declaredSchema() {
            let table = try TableLoader(schema: declared, delimiter: delimiter).load(path: path)
            return (table, declared)
        }
        let table = try TableLoader(delimiter: delimiter).load(path: path)
        return (table, SchemaInference().inferSchema(from: table))
    }
}
