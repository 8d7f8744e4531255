import MimeoTestSupport
import Testing

@testable import MimeoEval

@Suite struct GradientBoostedTreesTests {
    /// XOR of two signs: no linear model separates it; trees do.
    @Test func learnsAnInteraction() throws {
        var generator = SplitMix64(seed: 3)
        func u() -> Double { Double(generator.next() >> 11) * 0x1p-53 * 2 - 1 }
        let x = (0 ..< 400).map { _ in [u(), u()] }
        let labels = x.map { ($0[0] > 0) != ($0[1] > 0) }
        let design = LogisticRegressionTests.design(x)
        var parameters = GradientBoostedTrees.Parameters()
        parameters.treeCount = 40
        parameters.learningRate = 0.3
        parameters.maxLeaves = 8
        let model = GradientBoostedTrees.fitClassifier(design, classes: labels.map { $0 ? 1 : 0 }, classCount: 2,
                                                       parameters: parameters)
        let p = model.probabilities(design).map { $0[1] }
        let accuracy = try #require(Accuracy.compute(predicted: p.map { $0 > 0.5 }, actual: labels))
        #expect(accuracy > 0.95)
        let linear = LogisticRegression.fit(design, labels: labels, regularization: 1)
        let linearAUC = try #require(ROCAUC.compute(scores: (0 ..< 400).map { linear.probability(design, row: $0) },
                                                    labels: labels))
        #expect(linearAUC < 0.7)
        // Deterministic.
        let again = GradientBoostedTrees.fitClassifier(design, classes: labels.map { $0 ? 1 : 0 }, classCount: 2,
                                                       parameters: parameters)
        #expect(again.probabilities(design).map { $0[1] } == p)
    }

    @Test func regressionAndMulticlass() throws {
        var generator = SplitMix64(seed: 4)
        func u() -> Double { Double(generator.next() >> 11) * 0x1p-53 }
        let x = (0 ..< 300).map { _ in [u() * 3, u()] }
        var parameters = GradientBoostedTrees.Parameters()
        parameters.treeCount = 60
        parameters.learningRate = 0.2
        parameters.maxLeaves = 8
        parameters.minRowsInLeaf = 5
        let design = LogisticRegressionTests.design(x)
        let y = x.map { $0[0] < 1 ? 0.0 : $0[0] < 2 ? 5 : 2 }
        let regressor = GradientBoostedTrees.fitRegressor(design, targets: y, parameters: parameters)
        #expect(try #require(RSquared.compute(predicted: regressor.predictions(design), actual: y)) > 0.98)
        let classes = x.map { $0[0] < 1 ? 0 : $0[0] < 2 ? 1 : 2 }
        let classifier = GradientBoostedTrees.fitClassifier(design, classes: classes, classCount: 3,
                                                            parameters: parameters)
        let probabilities = classifier.probabilities(design)
        #expect(probabilities.allSatisfy { abs($0.reduce(0, +) - 1) < 1e-9 })
        let predicted = probabilities.map { p in p.indices.max { p[$0] < p[$1] }! }
        #expect(try #require(Accuracy.compute(predicted: predicted, actual: classes)) > 0.98)
    }

    /// A feature a row has no slot for counts as 0 (its bin is filled by subtraction).
    @Test func missingSlotsAreZero() {
        var sparse = SparseDesign(featureCount: 2, width: 1)
        var dense = SparseDesign(featureCount: 2, width: 2)
        var labels: [Int] = []
        for i in 0 ..< 200 {
            let level = i % 3  // 0, 1: a one-hot level; 2: no level kept
            sparse.features.append(level < 2 ? Int32(level) : -1)
            sparse.values.append(level < 2 ? 1 : 0)
            dense.features += [0, 1]
            dense.values += [level == 0 ? 1 : 0, level == 1 ? 1 : 0]
            labels.append(level == 2 || (level == 0 && i % 2 == 0) ? 1 : 0)
        }
        var parameters = GradientBoostedTrees.Parameters()
        parameters.treeCount = 20
        let a = GradientBoostedTrees.fitClassifier(sparse, classes: labels, classCount: 2, parameters: parameters)
        let b = GradientBoostedTrees.fitClassifier(dense, classes: labels, classCount: 2, parameters: parameters)
        let pa = a.probabilities(sparse), pb = b.probabilities(dense)
        for (x, y) in zip(pa, pb) { #expect(abs(x[1] - y[1]) < 1e-12) }
    }
}
