import MimeoTestSupport
import Testing

@testable import MimeoEval

@Suite struct RidgeRegressionTests {
    /// Against the centred closed form `w = (XcᵀXc + λI)⁻¹ Xcᵀ yc`, `b = ȳ − x̄·w`, solved by
    /// Gaussian elimination here.
    @Test func matchesTheCentredClosedForm() throws {
        var generator = SplitMix64(seed: 9)
        func u() -> Double { Double(generator.next() >> 11) * 0x1p-53 }
        let n = 50, p = 3
        let x = (0 ..< n).map { _ in [u() * 2, u() * 10 - 5, u() < 0.5 ? 1.0 : 0.0] }
        let y = x.map { 3 * $0[0] - 0.5 * $0[1] + 2 * $0[2] + 1 + (u() - 0.5) }
        let lambda = 2.0
        let model = try #require(RidgeRegression.fit(LogisticRegressionTests.design(x), targets: y, regularization: lambda))

        var means = [Double](repeating: 0, count: p)
        for row in x { for j in 0 ..< p { means[j] += row[j] / Double(n) } }
        let yMean = y.reduce(0, +) / Double(n)
        var a = [[Double]](repeating: [Double](repeating: 0, count: p), count: p)
        var b = [Double](repeating: 0, count: p)
        for (row, target) in zip(x, y) {
            for i in 0 ..< p {
                let di: Double = row[i] - means[i]
                b[i] += di * (target - yMean)
                for j in 0 ..< p { a[i][j] += di * (row[j] - means[j]) }
            }
        }
        for i in 0 ..< p { a[i][i] += lambda }
        for k in 0 ..< p {
            for i in k + 1 ..< p {
                let f = a[i][k] / a[k][k]
                for j in k ..< p { a[i][j] -= f * a[k][j] }
                b[i] -= f * b[k]
            }
        }
        var w = [Double](repeating: 0, count: p)
        for i in stride(from: p - 1, through: 0, by: -1) {
            w[i] = (b[i] - (i + 1 ..< p).reduce(0) { $0 + a[i][$1] * w[$1] }) / a[i][i]
        }
        let intercept = yMean - zip(means, w).reduce(0) { $0 + $1.0 * $1.1 }
        for (ours, expected) in zip(model.coefficients, w) { #expect(abs(ours - expected) < 1e-10) }
        #expect(abs(model.intercept - intercept) < 1e-10)
    }

    @Test func choleskySolvesAKnownSystem() throws {
        let x = try #require(CholeskySolver.solve(upper: [4, 2, 0, 3], size: 2, [2, 1]))
        #expect(abs(x[0] - 0.5) < 1e-15 && abs(x[1]) < 1e-15)
        #expect(CholeskySolver.solve(upper: [1, 2, 0, 1], size: 2, [1, 1]) == nil)  // not positive definite
    }
}
