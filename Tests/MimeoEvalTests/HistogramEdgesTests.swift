import Testing

@testable import MimeoEval

@Suite struct HistogramEdgesTests {
    @Test func edgesAreNumpysBitForBit() {
        // np.histogram_bin_edges(np.array([17, 4983])).tolist()
        #expect(HistogramEdges(minimum: 17, maximum: 4983).edges == [
            17.0, 513.6, 1010.2, 1506.8000000000002, 2003.4, 2500.0, 2996.6000000000004, 3493.2000000000003, 3989.8,
            4486.400000000001, 4983.0,
        ])
        #expect(HistogramEdges(minimum: -49, maximum: 14849).edges == [
            -49.0, 1440.8, 2930.6, 4420.4, 5910.2, 7400.0, 8889.8, 10379.6, 11869.4, 13359.199999999999, 14849.0,
        ])
        #expect(HistogramEdges(minimum: 0.1, maximum: 0.7).edges == [
            0.1, 0.16, 0.22, 0.28, 0.33999999999999997, 0.4, 0.45999999999999996, 0.52, 0.58, 0.64, 0.7,
        ])
    }

    @Test func digitizeLikeNumpy() {
        let edges = HistogramEdges(minimum: 0.1, maximum: 0.7)
        // np.digitize([0.1, 0.16, 0.7, 0.4], edges) == [1, 2, 11, 6]
        #expect([0.1, 0.16, 0.7, 0.4].map(edges.bin(of:)) == [1, 2, 11, 6])
        #expect(edges.bin(of: .nan) == 11 && edges.missingBin == 11)
        #expect(edges.bin(of: 0) == 0)
    }

    @Test func constantAndEmptyColumns() {
        let constant = HistogramEdges(minimum: 5, maximum: 5)
        #expect(constant.edges.first == 4.5 && constant.edges.last == 5.5)
        #expect(constant.bin(of: 5) == 6)
        #expect(HistogramEdges(minimum: nil, maximum: nil).edges.last == 1)
    }
}
