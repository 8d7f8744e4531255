import Foundation
import MimeoData
@testable import MimeoTabular
import Testing

/// A dirty column's invalid values are encoded as missing, and generation only writes valid values.
@Suite struct DirtyColumnEncodingTests {
    /// The adult sample with `age` spoiled in five rows (a word, a decimal comma, hexadecimal, an overflow, symbols).
    static let dirty: (table: Table, schema: Schema, rows: [Int]) = {
        var (table, _) = TestData.adultSample
        let age = table.columnIndex(named: "age")!
        let spoiled = [(3, "forty"), (100, "39,5"), (1000, "0x28"), (2000, "99999999999999999999"), (4000, "?!")]
        for (row, value) in spoiled { table.columns[age][row] = value }
        return (table, SchemaInference().inferSchema(from: table), spoiled.map(\.0))
    }()

    @Test func invalidValuesBecomeTheNullToken() throws {
        let (table, schema, rows) = Self.dirty
        let age = try #require(table.columnIndex(named: "age"))
        #expect(schema.columns[age].kind == .integer)
        #expect(schema.columns[age].invalidValues?.count == 5)
        let statistics = TrainingPipeline.analyze(table, schema: schema)
        guard case .numeric(let numeric) = statistics.columns[age] else {
            Issue.record("age is not numeric")
            return
        }
        #expect(numeric.nullCount == 5)  // the sample's age has no missing value of its own
        #expect(numeric.counts.keys.allSatisfy { $0 == $0.rounded() && $0 >= 17 && $0 <= 90 })
        let encoder = TableEncoder(statistics: statistics, options: EncodingOptions())
        guard case .numeric(let encoding) = encoder.encodings[age] else { return }
        let null = try #require(encoding.nullToken)
        let tokens = encoder.encode(table)
        let S = encoder.firstSubColumns.last!
        let first = encoder.firstSubColumns[age]
        for row in rows { #expect(tokens[row * S + first] == null, "row \(row)") }
        #expect(tokens[5 * S + first] != null)
        #expect(encoding.maximum == 90)
    }

    @Test func generatedValuesAreValid() throws {
        let (table, schema, _) = Self.dirty
        var options = TrainingOptions()
        options.maxEpochs = 1
        options.maxSeconds = 300
        options.seed = 3
        let trained = try TrainingPipeline.train(table, schema: schema, sourceName: "dirty.csv", trainingOptions: options)
        #expect(trained.metadata.encoder.schema.column(named: "age")?.invalidValues?.count == 5)
        let sampler = try Sampler(model: trained.model, encoder: trained.metadata.encoder)
        var bytes: [UInt8] = []
        try GenerationRun(sampler: sampler, rowCount: 2000, seed: 1, threads: 1).run(write: { bytes.append(contentsOf: $0) })
        let generated = try TableLoader().load(from: CSVReader(bytes: bytes))
        let ages = generated.columns[try #require(generated.columnIndex(named: "age"))]
        #expect(ages.allSatisfy { $0 == nil || (Int($0!).map { (17...90).contains($0) } ?? false) })
        #expect(ages.compactMap { $0 }.count > 1900)  // modelled, not dropped: almost every row has an age
    }
}
