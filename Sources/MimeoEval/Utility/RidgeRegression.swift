/// Ridge regression in closed form: the normal equations of the augmented design `[X, 1]`, with the
/// intercept not penalised, solved by Cholesky.
///
///     minimise  Σ_i (y_i − x_i·w − b)² + λ ‖w‖²
///     solve     [XᵀX + λI, Xᵀ1; 1ᵀX, n] [w; b] = [Xᵀy; Σ y]
///
/// (scikit-learn's `Ridge(alpha = λ)` solves the same problem.)
///
/// ```swift
/// let model = RidgeRegression.fit(design, targets: y, regularization: 1)
/// let yHat = model.predict(design, row: 0)
/// ```
struct RidgeRegression: Sendable, Equatable {
    var coefficients: [Double]
    var intercept: Double

    /// `x·w + b`.
    func predict(_ design: SparseDesign, row: Int) -> Double {
        coefficients.withUnsafeBufferPointer { design.dot(row: row, $0) } + intercept
    }

    /// Fits the model; nil when the system is singular (no rows).
    static func fit(_ design: SparseDesign, targets: [Double], regularization: Double) -> RidgeRegression? {
        precondition(design.rowCount == targets.count, "one target per row")
        let p = design.featureCount, n = p + 1
        var gram = [Double](repeating: 0, count: n * n)
        var moment = [Double](repeating: 0, count: n)
        design.accumulateNormalEquations(weights: nil, targets: targets, gram: &gram, moment: &moment)
        for j in 0 ..< p { gram[j * n + j] += regularization }
        guard let solution = CholeskySolver.solve(upper: gram, size: n, moment) else { return nil }
        return RidgeRegression(coefficients: Array(solution[0 ..< p]), intercept: solution[p])
    }
}
