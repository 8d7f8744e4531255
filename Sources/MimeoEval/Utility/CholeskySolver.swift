/// Solves symmetric positive-definite systems `A x = b` by Cholesky factorisation, `A = L Lᵀ`, in
/// `Double`.
///
/// ```swift
/// let x = CholeskySolver.solve(upper: [4, 2, 0, 3], size: 2, [2, 1])   // A = [[4, 2], [2, 3]]
/// ```
enum CholeskySolver {
    /// The solution of `A x = b`, `A` given by its upper triangle (row-major `[n, n]`; the lower
    /// part is ignored); nil when `A` is not positive definite.
    static func solve(upper: [Double], size n: Int, _ b: [Double]) -> [Double]? {
        precondition(upper.count == n * n && b.count == n, "shapes")
        // L, row-major lower triangle: A[i][j] = Σ_k L[i][k] L[j][k].
        var l = [Double](repeating: 0, count: n * n)
        for i in 0 ..< n {
            for j in 0 ... i {
                var sum = upper[j * n + i]  // A[j][i] with j <= i: the upper triangle
                for k in 0 ..< j { sum -= l[i * n + k] * l[j * n + k] }
                if i == j {
                    guard sum > 0, sum.isFinite else { return nil }
                    l[i * n + i] = sum.squareRoot()
                } else {
                    l[i * n + j] = sum / l[j * n + j]
                }
            }
        }
        // L y = b, then Lᵀ x = y.
        var y = b
        for i in 0 ..< n {
            var sum = y[i]
            for k in 0 ..< i { sum -= l[i * n + k] * y[k] }
            y[i] = sum / l[i * n + i]
        }
        var x = y
        for i in stride(from: n - 1, through: 0, by: -1) {
            var sum = x[i]
            for k in i + 1 ..< n { sum -= l[k * n + i] * x[k] }
            x[i] = sum / l[i * n + i]
        }
        return x
    }
}
