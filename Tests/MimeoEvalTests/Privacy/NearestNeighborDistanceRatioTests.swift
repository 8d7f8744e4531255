import Testing

@testable import MimeoEval

@Suite struct NearestNeighborDistanceRatioTests {
    @Test func ratios() {
        #expect(NearestNeighborDistanceRatio.ratio(nearest: 1, secondNearest: 4) == 0.25)
        #expect(NearestNeighborDistanceRatio.ratio(nearest: 2, secondNearest: 2) == 1)
        #expect(NearestNeighborDistanceRatio.ratio(nearest: 0, secondNearest: 0) == 0)
        #expect(NearestNeighborDistanceRatio.ratio(nearest: 3, secondNearest: .infinity) == 0)
        #expect(NearestNeighborDistanceRatio.compute(nearest: [1, 0], secondNearest: [2, 1]) == [0.5, 0])
    }
}
