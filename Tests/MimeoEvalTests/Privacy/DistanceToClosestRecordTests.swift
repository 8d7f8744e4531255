import Testing

@testable import MimeoEval

@Suite struct DistanceToClosestRecordTests {
    /// numpy: np.median([0.1, 0.3, 0.2, 0.0]) = 0.15; np.quantile(..., 0.05) = 0.015.
    @Test func medianAndPercentileAsNumpy() throws {
        let stats = DistanceToClosestRecord.compute(distances: [0.1, 0.3, 0.2, 0.0])
        #expect(abs(try #require(stats.median) - 0.15) < 1e-15)
        #expect(abs(try #require(stats.percentile5) - 0.015) < 1e-15)
        #expect(stats.zeroShare == 0.25)
    }

    @Test func quantileEdges() {
        #expect(DistanceToClosestRecord.quantile([], 0.5) == nil)
        #expect(DistanceToClosestRecord.quantile([4], 0.05) == 4)
        #expect(DistanceToClosestRecord.quantile([1, 2, 3], 1) == 3)
        #expect(DistanceToClosestRecord.quantile([1, 2, 3], 0) == 1)
        // np.quantile(np.arange(21), 0.05) = 1.0
        #expect(DistanceToClosestRecord.quantile((0 ... 20).map(Double.init), 0.05) == 1)
    }
}
