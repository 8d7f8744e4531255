import Foundation
import MimeoData
import MimeoTestSupport
import Testing

@testable import MimeoEval

@Suite struct PrivacyEvaluatorTests {
    static let schema = makeSchema(["x": .decimal, "c": .categorical])
    // Scaled x: train 0 and 1; holdout 0.2, 0.7; synthetic 0 (a copy), 0.9, 0.5.
    static let train = makeTable(["x": ["0", "10"], "c": ["a", "b"]])
    static let holdout = makeTable(["x": ["2", "7"], "c": ["a", "b"]])
    static let synthetic = makeTable(["x": ["0", "9", "5"], "c": ["a", "b", "a"]])

    /// Every number of a tiny case, by hand (the train sample is all of train: n = 2).
    @Test func tinyTablesByHand() throws {
        let evaluator = try PrivacyEvaluator(train: Self.train, holdout: Self.holdout, schema: Self.schema)
        let report = try evaluator.evaluate(Self.synthetic)
        func close(_ a: Double?, _ b: Double) -> Bool { a.map { abs($0 - b) < 1e-6 } ?? false }
        #expect(report.exactMatch.syntheticShare == 1.0 / 3)
        #expect(report.exactMatch.holdoutShare == 0)
        // Synthetic -> train: 0, 0.1, 0.5; holdout -> train: 0.2, 0.3.
        let dcr = report.distanceToClosestRecord
        #expect(close(dcr.synthetic.median, 0.1))
        #expect(close(dcr.synthetic.percentile5, 0.01))
        #expect(dcr.synthetic.zeroShare == 1.0 / 3)
        #expect(close(dcr.holdout.median, 0.25))
        #expect(close(dcr.holdout.percentile5, 0.205))
        // Synthetic -> holdout: 0.2, 0.2, 0.3: two of three rows are closer to train.
        #expect(report.dcrShare.share == 2.0 / 3)
        #expect(report.dcrShare.ties == 0)
        #expect(report.dcrShare.comparisonRowsEach == 2)
        // Members at 0 and 0.1 from synthetic rows, non-members at 0.2 and 0.2.
        #expect(report.membershipInference.auc == 1)
        // NNDR: 0, 0.1 / sqrt(0.81 + 2), 0.5 / sqrt(0.25 + 2); median the second.
        #expect(close(report.nearestNeighborDistanceRatio.syntheticMedian, 0.1 / 2.81.squareRoot()))
        #expect(report.rowsUsed.synthetic == 3 && report.rowsUsed.holdout == 2 && report.rowsUsed.train == 2)
        #expect(report.encoding.featureCount == 3)
        #expect(report.attributeInference == nil)
        #expect(!report.isReference)
    }

    /// Summaries of chunks, merged in any grouping, give the same report as the whole table,
    /// including the sample when the table is larger than the sample.
    @Test func chunkedSummariesMatchTheWholeTable() throws {
        let (train, holdout, synthetic) = Self.randomSplit(rows: 300, syntheticRows: 500, seed: 3)
        var options = PrivacyOptions()
        options.maxRows = 120
        options.threadCount = 1
        let evaluator = try PrivacyEvaluator(train: train, holdout: holdout, schema: Self.randomSchema, options: options)
        let whole = try evaluator.evaluate(synthetic)
        #expect(whole.rowsUsed.synthetic == 120 && whole.rowsUsed.holdout == 120)
        var summary = evaluator.makeSummary()
        for range in [0 ..< 7, 7 ..< 250, 250 ..< 251, 251 ..< 500] {
            try summary.merge(evaluator.summarize(synthetic.rows(range), firstRow: range.lowerBound))
        }
        #expect(try evaluator.report(for: summary) == whole)
        options.threadCount = 2
        let threaded = try PrivacyEvaluator(train: train, holdout: holdout, schema: Self.randomSchema, options: options)
        var parallel = try threaded.evaluate(synthetic)
        parallel.options.threadCount = 1
        #expect(parallel == whole)
    }

    @Test func summariesOfOtherEvaluatorsDoNotMerge() throws {
        let a = try PrivacyEvaluator(train: Self.train, holdout: Self.holdout, schema: Self.schema)
        var options = PrivacyOptions()
        options.seed = 9
        let b = try PrivacyEvaluator(train: Self.train, holdout: Self.holdout, schema: Self.schema, options: options)
        var summary = a.makeSummary()
        #expect(throws: EvaluationError.summaryMismatch) { try summary.merge(b.makeSummary()) }
        #expect(throws: EvaluationError.summaryMismatch) { try b.report(for: summary) }
    }

    @Test func sampleSizeRuleIsTheReferees() {
        #expect(PrivacyOptions.sampleSize(trainRowCount: 39_073) == 50_000)
        #expect(PrivacyOptions.sampleSize(trainRowCount: 100_000) == 25_000)
        #expect(PrivacyOptions.sampleSize(trainRowCount: 269_000) == 10_000)
        #expect(PrivacyOptions.sampleSize(trainRowCount: 10_000_000) == 10_000)
        var options = PrivacyOptions()
        options.maxRows = 77
        #expect(options.effectiveMaxRows(trainRowCount: 5) == 77)
    }

    @Test func referenceRunSplitsTheHoldout() throws {
        let (train, holdout, _) = Self.randomSplit(rows: 200, syntheticRows: 0, seed: 4)
        let evaluator = try PrivacyEvaluator(train: train, holdout: holdout, schema: Self.randomSchema)
        let report = evaluator.evaluateReference()
        #expect(report.isReference)
        #expect(report.dcrShare.syntheticRows == 100 && report.dcrShare.comparisonRowsEach == 100)
        #expect(report.distanceToClosestRecord.synthetic == report.distanceToClosestRecord.holdout)
        #expect(report.exactMatch.syntheticShare == report.exactMatch.holdoutShare)
        #expect(abs(report.dcrShare.share! - 0.5) < 0.15)
        #expect(abs(report.membershipInference.auc! - 0.5) < 0.15)
    }

    @Test func missingColumnsThrow() {
        #expect(throws: EvaluationError.missingColumn("c", table: "holdout")) {
            try PrivacyEvaluator(train: Self.train, holdout: makeTable(["x": ["1"]]), schema: Self.schema)
        }
        #expect(throws: EvaluationError.missingColumn("c", table: "synthetic")) {
            try PrivacyEvaluator(train: Self.train, holdout: Self.holdout, schema: Self.schema)
                .evaluate(makeTable(["x": ["1"]]))
        }
        var options = PrivacyOptions()
        options.quasiIdentifiers = ["x", "nope"]
        options.sensitive = "c"
        #expect(throws: EvaluationError.unknownColumns(["nope"], available: ["x", "c"])) {
            try PrivacyEvaluator(train: Self.train, holdout: Self.holdout, schema: Self.schema, options: options)
        }
    }

    @Test func emptyTablesGiveNoNumbers() throws {
        let empty = makeTable(["x": [], "c": []])
        let noHoldout = try PrivacyEvaluator(train: Self.train, holdout: empty, schema: Self.schema)
            .evaluate(Self.synthetic)
        #expect(noHoldout.dcrShare.share == nil && noHoldout.membershipInference.auc == nil)
        #expect(noHoldout.exactMatch.holdoutShare == nil)
        #expect(noHoldout.distanceToClosestRecord.synthetic.median != nil)
        _ = try JSONEncoder().encode(noHoldout)
        let noSynthetic = try PrivacyEvaluator(train: Self.train, holdout: Self.holdout, schema: Self.schema)
            .evaluate(empty)
        #expect(noSynthetic.exactMatch.syntheticShare == nil && noSynthetic.dcrShare.share == nil)
        #expect(noSynthetic.distanceToClosestRecord.synthetic.median == nil)
        #expect(noSynthetic.distanceToClosestRecord.holdout.median != nil)
        _ = try JSONEncoder().encode(noSynthetic)
    }

    /// A worker's summary sent as JSON merges and reports as the original.
    @Test func summaryRoundTripsThroughJSON() throws {
        let evaluator = try PrivacyEvaluator(train: Self.train, holdout: Self.holdout, schema: Self.schema)
        let summary = try evaluator.summarize(Self.synthetic)
        let decoded = try JSONDecoder().decode(PrivacySummary.self, from: JSONEncoder().encode(summary))
        #expect(try evaluator.report(for: decoded) == evaluator.report(for: summary))
    }

    @Test func reportEncodesToJSON() throws {
        let evaluator = try PrivacyEvaluator(train: Self.train, holdout: Self.holdout, schema: Self.schema)
        let report = try evaluator.evaluate(Self.synthetic)
        let data = try JSONEncoder().encode(report)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"metric\":\"DCRShare\""))
        #expect(text.contains("\"goal\":\"minimize\""))
        #expect(try JSONDecoder().decode(PrivacyReport.self, from: data) == report)
    }

    // MARK: - Random tables

    static let randomSchema = makeSchema(["age": .integer, "score": .decimal, "city": .categorical, "flag": .boolean])

    /// Train, holdout and synthetic tables drawn from one distribution (independent rows).
    static func randomSplit(rows: Int, syntheticRows: Int, seed: UInt64) -> (Table, Table, Table) {
        var generator = SplitMix64(seed: seed)
        func table(_ count: Int) -> Table {
            var age: [String?] = [], score: [String?] = [], city: [String?] = [], flag: [String?] = []
            for _ in 0 ..< count {
                age.append(String(18 + generator.next() % 60))
                score.append(generator.next() % 10 == 0 ? nil : String(Double(generator.next() % 10_000) / 100))
                city.append(["paris", "lyon", "nice", "lille", "brest"][Int(generator.next() % 5)])
                flag.append(generator.next() % 3 == 0 ? "yes" : "no")
            }
            return makeTable(["age": age, "score": score, "city": city, "flag": flag])
        }
        return (table(rows), table(rows), table(syntheticRows))
    }
}
