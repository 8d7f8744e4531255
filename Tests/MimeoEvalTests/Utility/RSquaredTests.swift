import Testing

@testable import MimeoEval

@Suite struct RSquaredTests {
    /// scikit-learn: r2_score([1, 2, 4], [1, 2, 3]) = 0.7857142857142857.
    @Test func knownValues() throws {
        #expect(abs(try #require(RSquared.compute(predicted: [1, 2, 3], actual: [1, 2, 4])) - 0.7857142857142857) < 1e-15)
        #expect(RSquared.compute(predicted: [2, 2, 2], actual: [1, 2, 3]) == 0)
        #expect(RSquared.compute(predicted: [1], actual: [1]) == nil)
    }
}
