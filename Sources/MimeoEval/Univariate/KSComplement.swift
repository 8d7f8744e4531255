/// One minus the two-sample Kolmogorov–Smirnov statistic: how closely the synthetic column's
/// empirical distribution function follows the real one's (SDMetrics `KSComplement`).
///
///     score = 1 - max_x |F_real(x) - F_synthetic(x)|
///
/// where `F` is the share of a column's non-missing values `<= x`. Missing values (NaN) are
/// dropped from each side first; with no value left on either side the score is undefined (`nil`).
/// Used for numbers and datetimes (as epoch nanoseconds).
///
/// ```swift
/// KSComplement.compute(real: [1, 2, 3], synthetic: [1, 2, 4])  // 1 - 1/3
/// ```
public enum KSComplement: Metric {
    public static let name = "KSComplement"
    public static let goal = MetricGoal.maximize
    public static let range: ClosedRange<Double> = 0 ... 1

    /// The score of two columns of numbers; NaN marks a missing value.
    public static func compute(real: [Double], synthetic: [Double]) -> Double? {
        let a = real.filter { !$0.isNaN }.sorted()
        let b = synthetic.filter { !$0.isNaN }.sorted()
        guard !a.isEmpty, !b.isEmpty else { return nil }
        let n1 = Double(a.count), n2 = Double(b.count)
        var i = 0, j = 0
        var statistic = 0.0
        while i < a.count || j < b.count {
            // The next value of the union, and both sides' counts <= it.
            let x = j == b.count || (i < a.count && a[i] <= b[j]) ? a[i] : b[j]
            while i < a.count, a[i] <= x { i += 1 }
            while j < b.count, b[j] <= x { j += 1 }
            statistic = max(statistic, abs(Double(i) / n1 - Double(j) / n2))
        }
        return 1 - statistic
    }

    /// The score from counts in cells that partition the number line, in increasing order: each
    /// real value has a cell of its own (`realCells` counts the real values there, and is 0 in
    /// every other cell), and `syntheticCells` counts the synthetic values in the same cells.
    ///
    /// The supremum of `|F_real - F_synthetic|` is reached at a data point, and between two real
    /// values `F_real` is flat while `F_synthetic` only grows, so these counts give the exact
    /// statistic however the gaps between real values are cut.
    static func compute(realCells: [Int], syntheticCells: [Int]) -> Double? {
        precondition(syntheticCells.count == realCells.count, "one cell list")
        let n1 = Double(realCells.reduce(0, +)), n2 = Double(syntheticCells.reduce(0, +))
        guard n1 > 0, n2 > 0 else { return nil }
        var cumulativeReal = 0, cumulativeSynthetic = 0
        var statistic = 0.0
        for c in realCells.indices {
            cumulativeReal += realCells[c]
            cumulativeSynthetic += syntheticCells[c]
            statistic = max(statistic, abs(Double(cumulativeReal) / n1 - Double(cumulativeSynthetic) / n2))
        }
        return 1 - statistic
    }
}
