import Foundation
import MimeoData
import MimeoTabular

/// Fuzzes `SchemaInference` over a table read from the input, and what `mimeo train` builds from the
/// table and its schema next: column statistics, encodings and tokens. The first byte chooses the
/// delimiter (bits 0–2, as in `CSVHarness`) and the rare threshold (bit 3: 1 instead of 5).
///
/// Checks on every table that loads:
/// - the inferred schema accepts every non-missing value it was inferred from;
/// - loading the same bytes again with the inferred schema (what `mimeo schema` then `--schema` does)
///   succeeds and gives the same table;
/// - the schema survives its JSON round trip unchanged;
/// - every token of the encoded table is within its sub-column's vocabulary.
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
        checkEncoding(table, schema: schema, rareThreshold: first & 8 != 0 ? 1 : 5)
        return .accepted
    }

    /// Encodes `table` as `mimeo train` does and checks every token against its vocabulary.
    static func checkEncoding(_ table: Table, schema: Schema, rareThreshold: Int) {
        let statistics = TrainingPipeline.analyze(table, schema: schema)
        let encoder = TableEncoder(statistics: statistics, options: EncodingOptions(rareThreshold: rareThreshold))
        let cardinalities = encoder.subColumnCardinalities
        let tokens = encoder.encode(table)
        let S = cardinalities.count
        guard tokens.count == table.rowCount * S else {
            fatalError("schema harness: \(tokens.count) tokens for \(table.rowCount) rows of \(S) sub-columns")
        }
        for (index, token) in tokens.enumerated() where token < 0 || Int(token) >= cardinalities[index % S] {
            fatalError("schema harness: row \(index / S) sub-column \(index % S): token \(token) outside "
                       + "0..<\(cardinalities[index % S]) (\(encoder.encodings[encoder.subColumnColumns[index % S]].kindName))")
        }
    }

    static func reader(_ bytes: [UInt8], _ delimiter: UInt8) throws -> CSVReader {
        try CSVReader(bytes: bytes, name: "fuzz.csv", delimiter: delimiter)
    }
}
