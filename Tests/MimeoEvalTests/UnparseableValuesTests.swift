import Foundation
import MimeoData
import Testing

@testable import MimeoEval

/// Cells that do not parse as their number or datetime column's kind are counted and scored as
/// mismatches, never dropped (docs/metrics.md, "Unparseable values"). On the old code they were
/// read as missing: the column's score went *up* (the bad values vanished) and nothing was counted.
@Suite struct UnparseableValuesTests {
    /// Real adult rows: the first 3,000 of the committed train sample, and a disjoint "synthetic"
    /// table of 2,000 holdout rows.
    static let tables: (real: Table, synthetic: Table, schema: Schema) = {
        let real = try! Table.load(path: ReferenceFixture.directory.appendingPathComponent("adult-train-sample.csv.gz").path)
            .rows(0 ..< 3000)
        let synthetic = try! Table.load(path: ReferenceFixture.directory.appendingPathComponent("adult-holdout-sample.csv.gz").path)
            .rows(0 ..< 2000)
        return (real, synthetic, SchemaInference().inferSchema(from: real))
    }()

    /// `table` with every `n`-th cell of `column` (from row `offset`) replaced by `text` (nil: missing).
    static func replacing(_ table: Table, column: String, every n: Int, offset: Int = 0, with text: String?) -> Table {
        var copy = table
        let j = copy.columnIndex(named: column)!
        for i in stride(from: offset, to: copy.rowCount, by: n) { copy.columns[j][i] = text }
        return copy
    }

    static func columnScore(_ report: FidelityReport, _ name: String) -> ColumnShapeScore {
        report.columns.first { $0.column == name }!
    }

    @Test func unparseableSyntheticValuesLowerTheColumnScore() throws {
        let (real, synthetic, schema) = Self.tables
        let evaluator = try FidelityEvaluator(real: real, schema: schema)
        let clean = try evaluator.evaluate(synthetic)
        let garbage = try evaluator.evaluate(Self.replacing(synthetic, column: "age", every: 10, with: "abc"))
        let blank = try evaluator.evaluate(Self.replacing(synthetic, column: "age", every: 10, with: nil))
        let age = Self.columnScore(garbage, "age"), blankAge = Self.columnScore(blank, "age")
        #expect(age.syntheticUnparseable == 200 && age.realUnparseable == 0 && age.unparseableExample == "abc")
        #expect(blankAge.syntheticUnparseable == 0, "missing is not unparseable")
        // The rule: KSComplement of the parseable values times their share.
        let expected = try #require(blankAge.score) * 0.9
        #expect(abs(try #require(age.score) - expected) < 1e-12)
        #expect(try #require(age.score) < (try #require(Self.columnScore(clean, "age").score)))
        #expect(try #require(garbage.columnShapes) < (try #require(clean.columnShapes)))
        #expect(try #require(garbage.columnShapes) < (try #require(blank.columnShapes)),
                "bad values must not score like missing ones")
        #expect(try #require(garbage.overall) < (try #require(clean.overall)))
    }

    @Test func aColumnWithNoParseableValueScoresZero() throws {
        let (real, synthetic, schema) = Self.tables
        let evaluator = try FidelityEvaluator(real: real, schema: schema)
        let report = try evaluator.evaluate(Self.replacing(synthetic, column: "age", every: 1, with: "forty"))
        let age = Self.columnScore(report, "age")
        #expect(age.score == 0 && age.syntheticUnparseable == synthetic.rowCount)
        #expect(age.note == "no synthetic value parses as integer")
        // Pairs with age: ContingencySimilarity puts the bad values in a bin no real row has.
        let clean = try evaluator.evaluate(synthetic)
        for (pair, before) in zip(report.pairs, clean.pairs) where pair.column1 == "age" && before.score != nil {
            #expect(try #require(pair.score) < (try #require(before.score)), "\(pair.column1) × \(pair.column2)")
        }
    }

    @Test func correlationPairsAreScaledByTheParseableRows() throws {
        let real = makeTable(["x": cells((0 ..< 200).map(Double.init)),
                              "y": cells((0 ..< 200).map { Double($0 * 2 + $0 % 3) })])
        let schema = makeSchema(["x": .decimal, "y": .decimal])
        let evaluator = try FidelityEvaluator(real: real, schema: schema)
        let clean = try evaluator.evaluate(real)
        let bad = try evaluator.evaluate(Self.replacing(real, column: "y", every: 4, with: "n/a?"))
        let before = try #require(clean.pairs.first?.score), after = try #require(bad.pairs.first?.score)
        #expect(bad.pairs[0].syntheticUnparseableRows == 50)
        #expect(after < before)
        // Every row bad: 0, not "undefined".
        let none = try evaluator.evaluate(Self.replacing(real, column: "y", every: 1, with: "?!"))
        #expect(none.pairs[0].score == 0 && none.columns[1].score == 0)
    }

    @Test func summariesOfChunksCountUnparseableValuesAsTheWholeDoes() throws {
        let (real, synthetic, schema) = Self.tables
        let evaluator = try FidelityEvaluator(real: real, schema: schema)
        let bad = Self.replacing(Self.replacing(synthetic, column: "hours-per-week", every: 7, with: "forty"),
                                 column: "age", every: 13, offset: 5, with: "x")
        let whole = try evaluator.summarize(bad)
        var merged = evaluator.makeSummary()
        for start in stride(from: 0, to: bad.rowCount, by: 333) {
            try merged.merge(evaluator.summarize(bad.rows(start ..< min(bad.rowCount, start + 333))))
        }
        #expect(evaluator.report(for: merged).columns == evaluator.report(for: whole).columns)
        let decoded = try JSONDecoder().decode(SyntheticSummary.self, from: JSONEncoder().encode(merged))
        #expect(decoded == merged)
        let hours = Self.columnScore(evaluator.report(for: decoded), "hours-per-week")
        #expect(hours.syntheticUnparseable == (bad.rowCount + 6) / 7 && hours.unparseableExample == "forty")
    }

    @Test func unparseableRowsLowerDeepStructure() throws {
        let (real, synthetic, schema) = Self.tables
        let clean = try DeepStructure.compute(real: real, synthetic: synthetic, schema: schema)
        let bad = try DeepStructure.compute(real: real, synthetic: Self.replacing(synthetic, column: "age", every: 10, with: "?x"),
                                            schema: schema)
        #expect(bad.syntheticUnparseableRows == 200 && bad.realUnparseableRows == 0)
        #expect(try #require(bad.score) < (try #require(clean.score)))
        let none = try DeepStructure.compute(real: real, synthetic: Self.replacing(synthetic, column: "age", every: 1, with: "?"),
                                             schema: schema)
        // Every synthetic row is in the bin of its own: JS distance 1 on every component.
        #expect(abs(try #require(none.score) - exp(-1.6)) < 1e-9)
    }

    @Test func deepStructureWithNothingToCompareIsNotMeasured() throws {
        let table = makeTable(["id": ["a", "b", "c"], "note": ["x", "y", "z"]])
        let schema = makeSchema(["id": .identifier, "note": .text])
        let report = try DeepStructure.compute(real: table, synthetic: table, schema: schema)
        #expect(report.score == nil && report.note?.hasPrefix("not measured") == true)
        let one = makeTable(["x": ["1"]])
        #expect(try DeepStructure.compute(real: one, synthetic: one, schema: makeSchema(["x": .decimal])).score == nil)
    }
}
