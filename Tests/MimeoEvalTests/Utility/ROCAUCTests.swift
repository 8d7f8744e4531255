import MimeoTestSupport
import Testing

@testable import MimeoEval

@Suite struct ROCAUCTests {
    @Test func knownValues() {
        #expect(ROCAUC.compute(positiveScores: [0.9, 0.4], negativeScores: [0.4, 0.1]) == 0.875)
        // sklearn: roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) = 0.75
        #expect(ROCAUC.compute(scores: [0.1, 0.4, 0.35, 0.8], labels: [false, false, true, true]) == 0.75)
        #expect(ROCAUC.compute(scores: [1, 2], labels: [true, true]) == nil)
        #expect(ROCAUC.compute(positiveScores: [.nan], negativeScores: [1]) == nil)
    }

    /// Against the pairwise definition on random scores with many ties.
    @Test func equalsThePairwiseDefinition() throws {
        var generator = SplitMix64(seed: 11)
        let positives = (0 ..< 200).map { _ in Double(generator.next() % 50) }
        let negatives = (0 ..< 150).map { _ in Double(generator.next() % 40) }
        var wins = 0.0
        for p in positives {
            for n in negatives { wins += p > n ? 1 : p == n ? 0.5 : 0 }
        }
        let auc = try #require(ROCAUC.compute(positiveScores: positives, negativeScores: negatives))
        #expect(abs(auc - wins / Double(positives.count * negatives.count)) < 1e-12)
    }
}
