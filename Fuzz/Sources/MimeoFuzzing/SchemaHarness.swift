import Foundation
import MimeoData
import MimeoTabular

/// Fuzzes `SchemaInference` over a table read from the input, what `mimeo train` builds from the
/// table and its schema next (column statistics, encodings and tokens), and rows generated through
/// those encodings by an untrained network. The first byte chooses the delimiter (bits 0–2, as in
/// `CSVHarness`) and the rare threshold (bit 3: 1 instead of 5).
///
/// Checks on every table that loads:
/// - the inferred schema accepts every non-missing value it was inferred from;
/// - loading the same bytes again with the inferred schema (what `mimeo schema` then `--schema` does)
///   succeeds and gives the same table;
/// - the schema survives its JSON round trip unchanged;
/// - every token of the encoded table is within its sub-column's vocabulary;
/// - rows generated with the encodings (weights from `TabularModel(architecture:seed:)`, when the
///   network has at most `generationLimit` parameters) are CSV that the inferred schema accepts, but
///   for `_RARE_`, which stands for rare categories by design.
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
        let encoder = checkEncoding(table, schema: schema, rareThreshold: first & 8 != 0 ? 1 : 5)
        checkGeneration(encoder)
        return .accepted
    }

    /// Encodes `table` as `mimeo train` does and checks every token against its vocabulary.
    static func checkEncoding(_ table: Table, schema: Schema, rareThreshold: Int) -> TableEncoder {
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
        return encoder
    }

    /// The largest network the generation check builds (it runs for every input).
    static let generationLimit = 200_000

    /// Generates rows through `encoder` with an untrained network and checks them against its schema.
    static func checkGeneration(_ encoder: TableEncoder) {
        let architecture = ModelArchitecture(cardinalities: encoder.subColumnCardinalities,
                                             columns: encoder.subColumnColumns)
        guard ParameterLayout(architecture).count <= generationLimit else { return }
        let sampler: Sampler
        do {
            sampler = try Sampler(model: TabularModel(architecture: architecture, seed: 1), encoder: encoder)
        } catch {
            fatalError("schema harness: no sampler for a freshly built encoder: \(error)")
        }
        let rowCount = 16
        let bytes = sampler.headerBytes() + sampler.generateBatch(index: 0, count: rowCount, seed: 1)
        let schema = encoder.schema
        let records: [[String]]
        do {
            let reader = try CSVReader(bytes: bytes, name: "generated.csv", delimiter: sampler.delimiter)
            guard reader.header == schema.columns.map(\.name) else {
                fatalError("schema harness: generated header \(reader.header) for columns \(schema.columns.map(\.name))")
            }
            records = try reader.readAll()
        } catch {
            fatalError("schema harness: generated rows are not valid CSV: \(error)\n" + String(decoding: bytes, as: UTF8.self))
        }
        guard records.count == rowCount else {
            fatalError("schema harness: \(records.count) rows read back for \(rowCount) generated")
        }
        let missing = Set(schema.missingValues)
        for record in records {
            for (column, value) in zip(schema.columns, record)
            where !missing.contains(value) && value != ReservedTokens.rare && !column.accepts(value) {
                fatalError("schema harness: generated \(String(reflecting: value)) does not fit \(column)")
            }
        }
    }

    static func reader(_ bytes: [UInt8], _ delimiter: UInt8) throws -> CSVReader {
        try CSVReader(bytes: bytes, name: "fuzz.csv", delimiter: delimiter)
    }
}
