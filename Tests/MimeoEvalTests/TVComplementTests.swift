import Testing

@testable import MimeoEval

@Suite struct TVComplementTests {
    @Test func metadataFollowsSDMetrics() {
        #expect(TVComplement.name == "TVComplement")
        #expect(TVComplement.goal == .maximize)
        #expect(TVComplement.range == 0 ... 1)
    }

    @Test func isOneMinusHalfTheTotalVariation() {
        // real a 2/3, b 1/3 (missing dropped); synthetic a 1/3, b 2/3: TV = 2/3.
        let score = TVComplement.compute(real: ["a", "a", "b", nil], synthetic: ["a", "b", "b"])!
        #expect(abs(score - 2.0 / 3) < 1e-15)
        #expect(TVComplement.compute(real: ["x", "y"], synthetic: ["y", "x", nil]) == 1)
    }

    @Test func unknownSyntheticCategoriesGetSDMetricsRegularisation() {
        // sdmetrics TVComplement.compute(["a"], ["b"]) == 9.999990000508774e-07
        #expect(abs(TVComplement.compute(real: ["a"], synthetic: ["b"])! - 9.999990000508774e-07) < 1e-15)
        // sdmetrics: ["a","a","b",None] vs ["a","b","b","c"] == 0.5833335555554815
        let score = TVComplement.compute(real: ["a", "a", "b", nil], synthetic: ["a", "b", "b", "c"])!
        #expect(abs(score - 0.5833335555554815) < 1e-15)
    }

    @Test func undefinedWithoutValues() {
        #expect(TVComplement.compute(real: [nil], synthetic: ["a"]) == nil)
        #expect(TVComplement.compute(real: ["a"], synthetic: [nil, nil]) == nil)
    }
}
