import Foundation
import MimeoData

/// Fuzzes `SchemaInference` over a table read from the input (the first byte chooses the delimiter, as
/// in `CSVHarness`).
///
/// Checks on every table that loads:
/// - the inferred schema accepts every non-missing value it was inferred from;
/// - loading the same bytes again with the inferred schema (what `mimeo schema` then `--schema` does)
///   succeeds and gives the same table;
/// - the schema survives its JSON round trip unchanged.
public enum SchemaHarness {
    public static func run(_ data: [UInt8]) -> FuzzOutcome {
        guard let first = data.first else { return .accepted }
        let delimiter = CSVHarness.delimiters[Int(first & 7)]
        let body = Array(data.dropFirst())
        let table: Table
        do {
            table = try TableLoader(delimiter: delimiter).load(from: reader(body, delimiter))
        } catch {
            return FuzzHarness.requireClean(error, .schema)
        }
        let schema = SchemaInference().inferSchema(from: table)
        guard schema.columns.map(\.name) == table.columnNames else {
            fatalError("schema harness: inferred columns \(schema.columns.map(\.name)) for \(table.columnNames)")
        }
        for (column, values) in zip(schema.columns, table.columns) {
            for case let value? in values where !column.accepts(value) {
                fatalError("schema harness: inferred \(column) rejects its own value \(String(reflecting: value))")
            }
        }
        let reloaded: Table
        do {
            reloaded = try TableLoader(schema: schema, delimiter: delimiter).load(from: reader(body, delimiter))
        } catch {
            fatalError("schema harness: the inferred schema \(schema) rejects its own file: \(error)")
        }
        guard reloaded.columnNames == table.columnNames, reloaded.columns == table.columns else {
            fatalError("schema harness: loading with the inferred schema changed the table")
        }
        do {
            let json = try JSONEncoder().encode(schema)
            let decoded = try JSONDecoder().decode(Schema.self, from: json)
            guard decoded == schema else {
                fatalError("schema harness: JSON round trip changed \(schema) into \(decoded)")
            }
        } catch {
            fatalError("schema harness: JSON round trip of \(schema) failed: \(error)")
        }
        return .accepted
    }

    static func reader(_ bytes: [UInt8], _ delimiter: UInt8) throws -> CSVReader {
        try CSVReader(bytes: bytes, name: "fuzz.csv", delimiter: delimiter)
    }
}
