/// How closely the synthetic Pearson correlation of two numeric columns matches the real one
/// (SDMetrics `CorrelationSimilarity`, coefficient `Pearson`).
///
///     score = 1 - |r_real - r_synthetic| / 2
///
/// As in SDMetrics: a column holding one distinct value (missing values aside) on either side
/// makes the score undefined (`ConstantInputError`); then rows missing either value are dropped,
/// and fewer than two rows, or a column constant on the remaining rows, also give `nil`.
///
/// ```swift
/// CorrelationSimilarity.compute(real: ([1, 2, 3], [1, 2, 3]), synthetic: ([1, 2, 3], [3, 2, 1]))  // 0
/// ```
public enum CorrelationSimilarity: Metric {
    public static let name = "CorrelationSimilarity"
    public static let goal = MetricGoal.maximize
    public static let range: ClosedRange<Double> = 0 ... 1

    /// The score of two pairs of equally long columns; NaN marks a missing value.
    public static func compute(real: ([Double], [Double]), synthetic: ([Double], [Double])) -> Double? {
        for column in [real.0, real.1, synthetic.0, synthetic.1] where isConstant(column) { return nil }
        guard let r = pearson(real.0, real.1), let s = pearson(synthetic.0, synthetic.1) else { return nil }
        return score(real: r, synthetic: s)
    }

    /// `1 - |real - synthetic| / 2`.
    static func score(real: Double, synthetic: Double) -> Double {
        1 - abs(real - synthetic) / 2
    }

    /// Pearson's r over the rows where both values are present (scipy `pearsonr`), or `nil` for
    /// fewer than two such rows or a constant column among them.
    public static func pearson(_ x: [Double], _ y: [Double]) -> Double? {
        precondition(x.count == y.count, "one value per row in each column")
        var moments = CoMoments()
        moments.add(x, y)
        return moments.correlation
    }

    /// Whether a column holds exactly one distinct non-missing value (pandas `nunique() == 1`).
    static func isConstant(_ column: [Double]) -> Bool {
        guard let first = column.first(where: { !$0.isNaN }) else { return false }
        return column.allSatisfy { $0.isNaN || $0 == first }
    }
}
