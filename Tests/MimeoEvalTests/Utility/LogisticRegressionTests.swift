import Foundation
import MimeoTestSupport
import Testing

@testable import MimeoEval

@Suite struct LogisticRegressionTests {
    struct Fixture: Decodable {
        struct Solution: Decodable {
            var lambda: Double
            var coefficients: [Double]
            var intercept: Double
        }

        var x: [[Double]]
        var y: [Bool]
        var solutions: [Solution]
    }

    /// A dense matrix as a design with one slot per column.
    static func design(_ x: [[Double]]) -> SparseDesign {
        let p = x.first?.count ?? 0
        var design = SparseDesign(featureCount: p, width: p)
        for row in x {
            for (j, value) in row.enumerated() {
                design.features.append(Int32(j))
                design.values.append(value)
            }
        }
        return design
    }

    /// The numpy Newton solution of `scripts/referee_privacy_reference.py --logistic` (which
    /// scikit-learn's `LogisticRegression(C = 1/λ)` reproduces to 1e-6).
    @Test func matchesNumpy() throws {
        let url = PrivacyFixture.directory.appendingPathComponent("privacy/logistic-reference.json")
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
        let design = Self.design(fixture.x)
        for solution in fixture.solutions {
            let model = LogisticRegression.fit(design, labels: fixture.y, regularization: solution.lambda)
            #expect(model.converged)
            for (a, b) in zip(model.coefficients, solution.coefficients) { #expect(abs(a - b) < 1e-9) }
            #expect(abs(model.intercept - solution.intercept) < 1e-9)
        }
    }

    /// At the optimum the gradient vanishes: Σ (σ − y) x + λ w = 0 and Σ (σ − y) = 0.
    @Test func gradientVanishesOnSparseRows() {
        var generator = SplitMix64(seed: 5)
        var design = SparseDesign(featureCount: 6, width: 3)
        var labels: [Bool] = []
        for _ in 0 ..< 200 {
            let x = Double(generator.next() % 1000) / 500 - 1
            let level = Int32(generator.next() % 4)
            design.features += [0, 2 + level, generator.next() % 3 == 0 ? -1 : 1]
            design.values += [x, 1, 0.5]
            labels.append(Double(generator.next() % 1000) / 1000 < LogisticRegression.sigmoid(2 * x + Double(level) - 1.5))
        }
        let model = LogisticRegression.fit(design, labels: labels, regularization: 0.5)
        var gradient = model.coefficients.map { 0.5 * $0 }
        var interceptGradient = 0.0
        for row in 0 ..< design.rowCount {
            let residual = model.probability(design, row: row) - (labels[row] ? 1 : 0)
            interceptGradient += residual
            for s in 0 ..< 3 where design.features[row * 3 + s] >= 0 {
                gradient[Int(design.features[row * 3 + s])] += residual * design.values[row * 3 + s]
            }
        }
        #expect(gradient.allSatisfy { abs($0) < 1e-9 }, "\(gradient) \(model.iterations)")
        #expect(abs(interceptGradient) < 1e-9)
    }

    /// Separable data stays finite: the penalty bounds the coefficients.
    @Test func separableDataConverges() {
        let design = Self.design([[-2], [-1], [1], [2]])
        let model = LogisticRegression.fit(design, labels: [false, false, true, true], regularization: 1)
        #expect(model.converged)
        #expect(model.coefficients[0] > 0 && model.coefficients[0].isFinite)
    }
}
