import Testing

@testable import MimeoEval

@Suite struct KSComplementTests {
    @Test func metadataFollowsSDMetrics() {
        #expect(KSComplement.name == "KSComplement")
        #expect(KSComplement.goal == .maximize)
        #expect(KSComplement.range == 0 ... 1)
    }

    @Test func matchesScipyStatistic() {
        // scipy.stats.ks_2samp([0.5, 1.5, 2.5, 2.5, 9], [1, 2, 2, 3]).statistic == 0.35
        let score = KSComplement.compute(real: [0.5, 1.5, 2.5, 2.5, 9], synthetic: [1, 2, 2, 3])
        #expect(abs(score! - 0.65) < 1e-15)
        #expect(abs(KSComplement.compute(real: [1, 2, 3], synthetic: [1, 2, 4])! - 2.0 / 3) < 1e-15)
        #expect(KSComplement.compute(real: [0, 1, 2, 3], synthetic: [2, 3, 4, 5]) == 0.5)
    }

    @Test func dropsMissingValuesAndNeedsValuesOnBothSides() {
        #expect(KSComplement.compute(real: [1, .nan, 2], synthetic: [2, 1]) == 1)
        #expect(KSComplement.compute(real: [.nan], synthetic: [1]) == nil)
        #expect(KSComplement.compute(real: [1], synthetic: []) == nil)
    }

    @Test func cellCountsGiveTheExactStatistic() {
        // Real values 1 (x2), 3, 7; cells: <1, {1}, (1,3) in two sub-cells, {3}, (3,7), {7}, >7.
        let realCells = [0, 2, 0, 0, 1, 0, 1, 0]
        let synthetic: [Double] = [0, 1, 1.5, 2.5, 2.9, 3, 5, 8, 9]
        let syntheticCells = [1, 1, 1, 2, 1, 1, 0, 2]
        let direct = KSComplement.compute(real: [1, 1, 3, 7], synthetic: synthetic)!
        #expect(abs(KSComplement.compute(realCells: realCells, syntheticCells: syntheticCells)! - direct) < 1e-15)
    }
}
