/// The coefficient of determination of predictions (scikit-learn's `r2_score`):
///
///     R² = 1 − Σ (y − ŷ)² / Σ (y − ȳ)²
///
/// 1 is perfect, 0 is as good as predicting the mean, and it is unbounded below.
///
/// ```swift
/// RSquared.compute(predicted: [1, 2, 3], actual: [1, 2, 4])   // 1 - 1 / (14/3)
/// ```
public enum RSquared {
    public static let name = "RSquared"
    public static let goal = MetricGoal.maximize
    public static let range: ClosedRange<Double> = -.infinity ... 1

    /// R²; nil without rows, or when every actual value is the same (scikit-learn then gives 1 or 0
    /// by convention).
    public static func compute(predicted: [Double], actual: [Double]) -> Double? {
        precondition(predicted.count == actual.count, "one prediction per row")
        guard !actual.isEmpty else { return nil }
        let mean = actual.reduce(0, +) / Double(actual.count)
        var residual = 0.0, total = 0.0
        for (p, y) in zip(predicted, actual) {
            residual += (y - p) * (y - p)
            total += (y - mean) * (y - mean)
        }
        guard total > 0 else { return nil }
        return 1 - residual / total
    }
}
