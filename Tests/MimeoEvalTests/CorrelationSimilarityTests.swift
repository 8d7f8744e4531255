import Testing

@testable import MimeoEval

@Suite struct CorrelationSimilarityTests {
    @Test func metadataFollowsSDMetrics() {
        #expect(CorrelationSimilarity.name == "CorrelationSimilarity")
        #expect(CorrelationSimilarity.goal == .maximize)
        #expect(CorrelationSimilarity.range == 0 ... 1)
    }

    @Test func pearsonMatchesScipy() {
        // scipy.stats.pearsonr([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]).statistic == 0.8
        #expect(abs(CorrelationSimilarity.pearson([1, 2, 3, 4, 5], [2, 1, 4, 3, 5])! - 0.8) < 1e-15)
        // Rows missing either value are dropped.
        #expect(abs(CorrelationSimilarity.pearson([1, 2, .nan, 3], [2, 4, 100, 6])! - 1) < 1e-15)
    }

    @Test func scoreIsOneMinusHalfTheDifference() {
        let up: ([Double], [Double]) = ([1, 2, 3], [1, 2, 3])
        #expect(CorrelationSimilarity.compute(real: up, synthetic: up) == 1)
        #expect(CorrelationSimilarity.compute(real: up, synthetic: ([1, 2, 3], [3, 2, 1]))! < 1e-15)
        let score = CorrelationSimilarity.compute(real: ([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]), synthetic: up)!
        #expect(abs(score - 0.9) < 1e-15)
    }

    @Test func constantColumnsAreUndefined() {
        // SDMetrics raises ConstantInputError for a column with one distinct value (NaN aside).
        let line: ([Double], [Double]) = ([1, 2, 3], [1, 2, 3])
        #expect(CorrelationSimilarity.compute(real: ([1, 1, .nan], [1, 2, 3]), synthetic: line) == nil)
        // Constant only on the rows both columns have: pearsonr gives NaN.
        #expect(CorrelationSimilarity.compute(real: ([1, 1, 2], [1, 2, .nan]), synthetic: line) == nil)
        #expect(CorrelationSimilarity.pearson([1], [2]) == nil)
    }
}
