import MimeoData
import Testing

@testable import MimeoEval

@Suite struct FidelityEvaluatorSummarizeTests {
    /// The adult sample, and its holdout with every column shuffled (so every pair carries counts).
    func adult() throws -> (ReferenceFixture, Table, Table) {
        let fixture = try ReferenceFixture.load("adult-sample.json")
        let shuffled = fixture.cases.first { $0.damage?.kind == "shuffle" }!
        return (fixture, try fixture.realTable(), try fixture.syntheticTable(shuffled))
    }

    func options(threads: Int, blockRows: Int = 65_536, maxPairCells: Int = 1 << 18) -> FidelityOptions {
        var options = FidelityOptions()
        options.threadCount = threads
        options.blockRows = blockRows
        options.maxPairCells = maxPairCells
        options.scoresAllPairs = true
        return options
    }

    /// Merged chunk summaries hold the same counts as one summary of all rows, and give the same
    /// report up to the rounding of the co-moments.
    @Test(arguments: [1 << 18, 64])
    func chunkedSummariesMergeToTheWhole(maxPairCells: Int) throws {
        let (fixture, real, synthetic) = try adult()
        let evaluator = try FidelityEvaluator(
            real: real, schema: fixture.schema, options: options(threads: 1, maxPairCells: maxPairCells))
        let whole = try evaluator.summarize(synthetic)
        var merged = evaluator.makeSummary()
        let bounds = [0, 1, 777, 778, 1500, synthetic.rowCount]
        for (low, high) in zip(bounds, bounds.dropFirst()) {
            try merged.merge(evaluator.summarize(synthetic.rows(low ..< high)))
        }
        expectSameCounts(merged, whole)
        expectClose(evaluator.report(for: merged), evaluator.report(for: whole), tolerance: 1e-12)
        if maxPairCells == 64 {
            let report = evaluator.report(for: whole)
            #expect(report.maxBinningUncertainty > 0)  // coarsened: some scores are estimates
        }
    }

    @Test func threadsAndBlocksDoNotChangeTheSummary() throws {
        let (fixture, real, synthetic) = try adult()
        let single = try FidelityEvaluator(real: real, schema: fixture.schema, options: options(threads: 1))
        let parallel = try FidelityEvaluator(
            real: real, schema: fixture.schema, options: options(threads: 3, blockRows: 500))
        #expect(single.profileID == parallel.profileID)
        let a = try single.summarize(synthetic), b = try parallel.summarize(synthetic)
        expectSameCounts(a, b)
        expectClose(single.report(for: a), parallel.report(for: b), tolerance: 1e-12)
    }

    func expectSameCounts(_ a: SyntheticSummary, _ b: SyntheticSummary) {
        #expect(a.rowCount == b.rowCount)
        #expect(a.continuousColumns == b.continuousColumns)
        #expect(a.discreteColumns == b.discreteColumns)
        for (x, y) in zip(a.pairs, b.pairs) {
            switch (x, y) {
            case (.correlation(let m)?, .correlation(let n)?):
                #expect(m.count == n.count && abs(m.sumProducts - n.sumProducts) <= 1e-9 * abs(n.sumProducts))
            default:
                #expect(x == y)
            }
        }
    }

    private func expectClose(_ a: FidelityReport, _ b: FidelityReport, tolerance: Double) {
        func close(_ x: Double?, _ y: Double?) -> Bool {
            switch (x, y) {
            case (nil, nil): true
            case (let x?, let y?): abs(x - y) <= tolerance
            default: false
            }
        }
        #expect(close(a.overall, b.overall) && close(a.columnShapes, b.columnShapes))
        #expect(close(a.columnPairTrends, b.columnPairTrends))
        for (x, y) in zip(a.columns, b.columns) { #expect(close(x.score, y.score), "\(x.column)") }
        for (x, y) in zip(a.pairs, b.pairs) { #expect(close(x.score, y.score), "\(x.column1)/\(x.column2)") }
    }
}

extension FidelityEvaluatorSummarizeTests {
    @Test func streamingACSVFileEqualsSummarisingTheTable() throws {
        let (fixture, real, _) = try adult()
        let path = ReferenceFixture.directory.appendingPathComponent("adult-holdout-sample.csv.gz").path
        let synthetic = try Table.load(path: path)
        let evaluator = try FidelityEvaluator(real: real, schema: fixture.schema, options: options(threads: 2))
        let streamed = try evaluator.summarize(csvAt: path, chunkRows: 700)
        let whole = try evaluator.summarize(synthetic)
        expectSameCounts(streamed, whole)
        #expect(throws: EvaluationError.missingColumn("workclass", table: "synthetic")) {
            try FidelityEvaluator(real: real, schema: fixture.schema).summarize(
                csvAt: ReferenceFixture.directory.appendingPathComponent("bank_marketing-holdout-sample.csv.gz").path)
        }
    }
}
