import Foundation

/// L2-regularised binary logistic regression, fitted by Newton's method (iteratively reweighted
/// least squares) with a backtracking line search: deterministic, and exact to convergence.
///
///     minimise  L(w, b) = Σ_i [log(1 + e^{z_i}) − y_i z_i] + λ/2 ‖w‖²,   z_i = x_i·w + b
///     gradient  g = Σ_i (σ(z_i) − y_i) [x_i, 1] + λ [w, 0]
///     Hessian   H = Σ_i σ(z_i)(1 − σ(z_i)) [x_i, 1][x_i, 1]ᵀ + λ diag(1, …, 1, 0)
///     step      [w, b] −= t H⁻¹ g,   t halved until L decreases (t = 1 once the Newton decrement
///               gᵀH⁻¹g is below the loss's rounding)
///
/// The intercept `b` is not penalised (scikit-learn's `LogisticRegression(C = 1/λ)` solves the
/// same problem). `H` is accumulated over the sparse rows (`SparseDesign`) and solved by Cholesky.
///
/// ```swift
/// let model = LogisticRegression.fit(design, labels: y, regularization: 1)
/// let p = model.probability(design, row: 0)
/// ```
struct LogisticRegression: Sendable, Equatable {
    /// Coefficients `w`, one per feature.
    var coefficients: [Double]
    /// The intercept `b`.
    var intercept: Double
    /// Newton iterations used.
    var iterations: Int
    /// Whether the step fell below the tolerance before `maxIterations`.
    var converged: Bool

    /// `σ(x·w + b)`.
    func probability(_ design: SparseDesign, row: Int) -> Double {
        let z = coefficients.withUnsafeBufferPointer { design.dot(row: row, $0) } + intercept
        return Self.sigmoid(z)
    }

    @inline(__always)
    static func sigmoid(_ z: Double) -> Double {
        z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z))
    }

    /// `log(1 + e^z)` without overflow.
    @inline(__always)
    static func softplus(_ z: Double) -> Double {
        z > 0 ? z + log1p(exp(-z)) : log1p(exp(z))
    }

    /// Fits the model.
    ///
    /// - Parameters:
    ///   - design: The rows `x_i`.
    ///   - labels: `y_i` (`true` = 1).
    ///   - regularization: `λ > 0`.
    ///   - maxIterations: Newton steps at most.
    ///   - tolerance: Stop when the largest step component is below this.
    static func fit(_ design: SparseDesign, labels: [Bool], regularization: Double, maxIterations: Int = 100,
                    tolerance: Double = 1e-10) -> LogisticRegression {
        precondition(design.rowCount == labels.count, "one label per row")
        let p = design.featureCount, n = p + 1
        let y = labels.map { $0 ? 1.0 : 0.0 }
        var theta = [Double](repeating: 0, count: n)  // [w, b]
        // Start the intercept at the log-odds of the labels (clamped), as a better first point.
        let positives = y.reduce(0, +), count = Double(labels.count)
        if count > 0 { theta[p] = log(max(positives, 0.5) / max(count - positives, 0.5)) }

        func scores(_ theta: [Double]) -> [Double] {
            theta.withUnsafeBufferPointer { t in
                let w = UnsafeBufferPointer(rebasing: t[0 ..< p])
                return (0 ..< design.rowCount).map { design.dot(row: $0, w) + t[p] }
            }
        }
        func loss(_ theta: [Double], _ z: [Double]) -> Double {
            var sum = 0.0
            for i in z.indices { sum += softplus(z[i]) - y[i] * z[i] }
            var penalty = 0.0
            for j in 0 ..< p { penalty += theta[j] * theta[j] }
            return sum + regularization / 2 * penalty
        }

        var z = scores(theta)
        var current = loss(theta, z)
        var iterations = 0, converged = false
        while iterations < maxIterations {
            iterations += 1
            let s = z.map(sigmoid)
            var gram = [Double](repeating: 0, count: n * n)
            var gradient = [Double](repeating: 0, count: n)
            design.accumulateNormalEquations(weights: s.map { $0 * (1 - $0) }, targets: zip(s, y).map { $0 - $1 },
                                             gram: &gram, moment: &gradient)
            for j in 0 ..< p {
                gram[j * n + j] += regularization
                gradient[j] += regularization * theta[j]
            }
            gram[p * n + p] += 1e-12 * max(1, count)  // keeps H positive definite when every σ saturates
            guard let step = CholeskySolver.solve(upper: gram, size: n, gradient) else { break }
            // Near the optimum the loss changes less than its rounding: take the full Newton step
            // (quadratic convergence) without a line search, and stop once it is negligible.
            let decrement = zip(gradient, step).reduce(0) { $0 + $1.0 * $1.1 }
            if decrement < 1e-10 * max(1, abs(current)) {
                theta = zip(theta, step).map { $0 - $1 }
                z = scores(theta)
                current = loss(theta, z)
                if (step.map(abs).max() ?? 0) < tolerance * max(1, theta.map(abs).max() ?? 0) {
                    converged = true
                    break
                }
                continue
            }
            var t = 1.0
            var accepted = false
            while t > 1e-10 {
                let candidate = zip(theta, step).map { $0 - t * $1 }
                let candidateScores = scores(candidate)
                let candidateLoss = loss(candidate, candidateScores)
                if candidateLoss <= current {
                    theta = candidate
                    z = candidateScores
                    current = candidateLoss
                    accepted = true
                    break
                }
                t /= 2
            }
            let largest = step.map { abs($0) * t }.max() ?? 0
            if !accepted || largest < tolerance * max(1, theta.map(abs).max() ?? 0) {
                converged = true
                break
            }
        }
        return LogisticRegression(coefficients: Array(theta[0 ..< p]), intercept: theta[p], iterations: iterations,
                                  converged: converged)
    }
}
