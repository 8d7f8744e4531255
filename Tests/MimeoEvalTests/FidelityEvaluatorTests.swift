import MimeoData
import Testing

@testable import MimeoEval

@Suite struct FidelityEvaluatorTests {
    @Test func swappedCategoriesBreakThePairButNotTheShapes() throws {
        let schema = makeSchema(["x": .integer, "c": .categorical])
        let real = makeTable(["x": cells([1, 2, 3, 4]), "c": ["a", "a", "b", "b"]])
        let synthetic = makeTable(["x": cells([1, 2, 3, 4]), "c": ["b", "b", "a", "a"]])
        let report = try FidelityEvaluator(real: real, schema: schema).evaluate(synthetic)
        #expect(report.columnShapes == 1)
        // Real bins of x: 1, 4, 7, 11 (the maximum alone); every (bin, category) moves: score 0.
        #expect(report.pairs.count == 1)
        #expect(report.pairs[0].realAssociation == 1 && report.pairs[0].meetsThreshold)
        #expect(report.pairs[0].score == 0 && report.pairs[0].binningUncertainty == 0)
        #expect(report.columnPairTrends == 0 && report.overall == 0.5)
    }

    @Test func reversedCorrelationScoresZero() throws {
        let schema = makeSchema(["x": .decimal, "y": .decimal])
        let real = makeTable(["x": cells([1, 2, 3, 4]), "y": cells([2, 4, 6, 8])])
        let synthetic = makeTable(["x": cells([1, 2, 3, 4]), "y": cells([8, 6, 4, 2])])
        let report = try FidelityEvaluator(real: real, schema: schema).evaluate(synthetic)
        let pair = report.pairs[0]
        #expect(pair.metric == "CorrelationSimilarity")
        #expect(abs(pair.realCorrelation! - 1) < 1e-15 && abs(pair.syntheticCorrelation! + 1) < 1e-15)
        #expect(pair.score! < 1e-15)
        #expect(report.columnShapes == 1 && abs(report.overall! - 0.5) < 1e-15)
    }

    @Test func pairsBelowTheThresholdsAreNotScored() throws {
        let schema = makeSchema(["c": .categorical, "d": .categorical])
        let real = makeTable(["c": ["a", "a", "b", "b"], "d": ["x", "y", "x", "y"]])  // independent: V = 0
        let evaluator = try FidelityEvaluator(real: real, schema: schema)
        let report = try evaluator.evaluate(real)
        #expect(report.pairs[0].realAssociation == 0 && !report.pairs[0].meetsThreshold)
        #expect(report.pairs[0].score == nil && report.columnPairTrends == nil)
        #expect(report.overall == report.columnShapes)  // SDMetrics' nanmean of the two properties

        var options = FidelityOptions()
        options.scoresAllPairs = true
        let all = try FidelityEvaluator(real: real, schema: schema, options: options).evaluate(real)
        #expect(all.pairs[0].score == 1 && all.columnPairTrends == nil)

        options.realAssociationThreshold = 0
        let unthresholded = try FidelityEvaluator(real: real, schema: schema, options: options).evaluate(real)
        #expect(unthresholded.columnPairTrends == 1)
    }

    @Test func identifiersAndTextAreSkipped() throws {
        let schema = makeSchema(["id": .identifier, "note": .text, "c": .boolean])
        let table = makeTable(["id": ["1", "2"], "note": ["a b", "c d"], "c": ["true", "false"]])
        let report = try FidelityEvaluator(real: table, schema: schema).evaluate(table)
        #expect(report.skippedColumns.map(\.column) == ["id", "note"])
        #expect(report.columns.map(\.column) == ["c"] && report.columns[0].metric == "TVComplement")
        #expect(report.pairs.isEmpty && report.overall == 1)
    }

    @Test func missingColumnsAreReported() throws {
        let schema = makeSchema(["x": .integer])
        #expect(throws: EvaluationError.missingColumn("x", table: "real")) {
            try FidelityEvaluator(real: makeTable(["y": ["1"]]), schema: schema)
        }
        let evaluator = try FidelityEvaluator(real: makeTable(["x": ["1"]]), schema: schema)
        #expect(throws: EvaluationError.missingColumn("x", table: "synthetic")) {
            try evaluator.summarize(makeTable(["y": ["1"]]))
        }
    }

    @Test func constantAndEmptyColumnsGiveNoScore() throws {
        let schema = makeSchema(["x": .integer, "y": .integer, "c": .categorical])
        let real = makeTable(["x": cells([5, 5, 5]), "y": cells([1, 2, 3]), "c": [nil, nil, nil]])
        let synthetic = makeTable(["x": cells([5, 6, 7]), "y": cells([3, 3, 3]), "c": ["a", "b", nil]])
        let report = try FidelityEvaluator(real: real, schema: schema).evaluate(synthetic)
        #expect(report.columns.first { $0.column == "c" }?.score == nil)
        let xy = report.pairs.first { $0.column1 == "x" && $0.column2 == "y" }!
        #expect(xy.score == nil && xy.note != nil && !xy.meetsThreshold)
    }
}
