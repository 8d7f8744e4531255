import Foundation
import MimeoData
import Testing

@testable import MimeoEval

@Suite struct SyntheticSummaryTests {
    private let schema = makeSchema(["x": .integer, "c": .categorical, "y": .decimal])
    private let real = makeTable([
        "x": cells([1, 2, 3, 4, 5, 6]), "c": ["a", "a", "b", "b", nil, "c"], "y": cells([2, 4.5, 6, 8, 10, 11]),
    ])
    private let synthetic = makeTable([
        "x": cells([1, 2, 9, .nan, 5, 6.5]), "c": ["a", "z", "b", "b", "c", nil], "y": cells([2, 4, 6, 7, .nan, 13]),
    ])

    @Test func roundTripsThroughJSON() throws {
        let evaluator = try FidelityEvaluator(real: real, schema: schema)
        let summary = try evaluator.summarize(synthetic)
        let data = try JSONEncoder().encode(summary)
        let decoded = try JSONDecoder().decode(SyntheticSummary.self, from: data)
        #expect(decoded == summary)
        #expect(evaluator.report(for: decoded) == evaluator.report(for: summary))
    }

    @Test func refusesToMergeAnotherEvaluatorsSummary() throws {
        let evaluator = try FidelityEvaluator(real: real, schema: schema)
        let other = try FidelityEvaluator(real: synthetic, schema: schema)
        var summary = try evaluator.summarize(synthetic)
        #expect(throws: EvaluationError.summaryMismatch) { try summary.merge(other.summarize(real)) }
        let empty = evaluator.makeSummary()
        #expect(try summary.merged(with: empty) == summary)
        #expect(summary.rowCount == 6)
    }
}
