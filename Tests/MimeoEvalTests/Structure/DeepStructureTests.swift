import Foundation
import MimeoData
import MimeoTestSupport
@testable import MimeoEval
import MimeoTensor
import Testing

@Suite struct DeepStructureTests {
    @Test func jensenShannonDistanceClosedForms() {
        // Identical samples: 0. Disjoint supports: divergence 1 bit, distance 1.
        #expect(DeepStructure.jensenShannonDistance([1, 2, 3, 4], [1, 2, 3, 4], bins: 4) == 0)
        #expect(abs(DeepStructure.jensenShannonDistance([0, 0, 0], [1, 1, 1], bins: 2) - 1) < 1e-12)
        // Half overlap: p = (1, 0), q = (1/2, 1/2): JSD = 1/2·log2(4/3) + 1/4·log2(2/3)·... computed exactly.
        let p = [0.0, 0.0], q = [0.0, 1.0]
        let m = [0.75, 0.25]
        let jsd = 0.5 * (1 * log2(1 / m[0])) + 0.5 * (0.5 * log2(0.5 / m[0]) + 0.5 * log2(0.5 / m[1]))
        #expect(abs(DeepStructure.jensenShannonDistance(p, q, bins: 2) - jsd.squareRoot()) < 1e-12)
    }

    @Test func powerIterationFindsKnownEigenvectors() {
        // diag(5, 2, 1) rotated in the first two axes by 45 degrees.
        let c = 0.5
        let matrix = [3.5, 1.5, 0, 1.5, 3.5, 0, 0, 0, 1.0]
        let (vectors, values) = DeepStructure.topEigenvectors(matrix, size: 3, count: 2, seed: 1)
        #expect(abs(values[0] - 5) < 1e-8 && abs(values[1] - 2) < 1e-8)
        #expect(abs(abs(vectors[0][0]) - c.squareRoot()) < 1e-6 && abs(abs(vectors[0][1]) - c.squareRoot()) < 1e-6)
    }

    /// A table against itself scores 1; the same rows with every column shuffled independently keep each
    /// column's distribution but lose the joint structure, and score clearly lower.
    @Test func shuffledColumnsLoseStructure() throws {
        let real = try TableLoader(rowLimit: 3000).load(path: Datasets.adultSample)
        let schema = SchemaInference().inferSchema(from: real)
        let same = try DeepStructure.compute(real: real, synthetic: real, schema: schema)
        #expect(abs(try #require(same.score) - 1) < 1e-9)
        var shuffled = real
        var random = RandomStream(seed: 9, stream: 0)
        for c in shuffled.columns.indices { shuffled.columns[c].shuffle(using: &random) }
        let broken = try #require(try DeepStructure.compute(real: real, synthetic: shuffled, schema: schema).score)
        #expect(broken < 0.85, "shuffled score \(broken)")
        let holdout = try TableLoader().load(path: Datasets.adultSample).rows(3000..<5000)
        let fair = try DeepStructure.compute(real: real, synthetic: holdout, schema: schema)
        let fairScore = try #require(fair.score)
        #expect(fairScore > broken + 0.05 && fairScore > 0.85, "holdout \(fairScore) vs shuffled \(broken)")
        #expect(fair.explainedVariance.count == 5 && fair.explainedVariance[0] >= fair.explainedVariance[1])
    }
}
