/// One minus the total variation distance between the real and synthetic joint frequencies of two
/// discrete columns (SDMetrics `ContingencySimilarity`).
///
///     score = 1 - 1/2 * sum_(a,b) |p_real(a, b) - p_synthetic(a, b)|
///
/// Shares are of all rows: a missing value is a category of its own here (pandas
/// `groupby(dropna=False)`). In the quality report a number or datetime column paired with a
/// discrete one is first cut into SDMetrics' bins (see `HistogramEdges`).
///
/// ```swift
/// ContingencySimilarity.compute(real: (["a", "b"], ["x", "y"]), synthetic: (["a", "b"], ["y", "x"]))  // 0
/// ```
public enum ContingencySimilarity: Metric {
    public static let name = "ContingencySimilarity"
    public static let goal = MetricGoal.maximize
    public static let range: ClosedRange<Double> = 0 ... 1

    private struct Combination: Hashable {
        var first: String?
        var second: String?
    }

    /// The score of two pairs of equally long columns; `nil` marks a missing value.
    public static func compute(real: ([String?], [String?]), synthetic: ([String?], [String?])) -> Double? {
        precondition(real.0.count == real.1.count && synthetic.0.count == synthetic.1.count,
                     "the two columns of a side have one value per row")
        guard !real.0.isEmpty, !synthetic.0.isEmpty else { return nil }
        var realCounts: [Combination: Int] = [:]
        for (a, b) in zip(real.0, real.1) { realCounts[Combination(first: a, second: b), default: 0] += 1 }
        var syntheticCounts: [Combination: Int] = [:]
        for (a, b) in zip(synthetic.0, synthetic.1) {
            syntheticCounts[Combination(first: a, second: b), default: 0] += 1
        }
        let n1 = Double(real.0.count), n2 = Double(synthetic.0.count)
        var variation = 0.0
        for (key, count) in realCounts {
            variation += abs(Double(count) / n1 - Double(syntheticCounts[key] ?? 0) / n2)
        }
        for (key, count) in syntheticCounts where realCounts[key] == nil { variation += Double(count) / n2 }
        return 1 - variation / 2
    }

    /// The score from two tables of the same cells, as shares or counts (each side is normalised
    /// by its own total). Cells only one side has count as zero on the other.
    static func compute(realTable: [Double], syntheticTable: [Double]) -> Double? {
        precondition(realTable.count == syntheticTable.count, "one cell list")
        let n1 = realTable.reduce(0, +), n2 = syntheticTable.reduce(0, +)
        guard n1 > 0, n2 > 0 else { return nil }
        var variation = 0.0
        for (r, s) in zip(realTable, syntheticTable) { variation += abs(r / n1 - s / n2) }
        return 1 - variation / 2
    }

    /// Cramér's V of a contingency table of counts (`table[row][column]`), as
    /// `scipy.stats.contingency.association(method: "cramer", correction: false)` computes it on the
    /// rows and columns that hold any count. `nil` when fewer than two rows or columns remain.
    ///
    ///     V = sqrt(chi2 / n / min(rows - 1, columns - 1)),   chi2 = sum (O - E)^2 / E
    static func cramersV(_ table: [[Int]]) -> Double? {
        let rows = table.filter { $0.contains { $0 != 0 } }
        guard let width = rows.first?.count else { return nil }
        let columnTotals = (0 ..< width).map { c in rows.reduce(0) { $0 + $1[c] } }
        let kept = columnTotals.indices.filter { columnTotals[$0] != 0 }
        let n = Double(columnTotals.reduce(0, +))
        guard rows.count >= 2, kept.count >= 2, n > 0 else { return nil }
        var chi2 = 0.0
        for row in rows {
            let rowTotal = Double(row.reduce(0, +))
            for c in kept {
                let expected = rowTotal * Double(columnTotals[c]) / n
                let difference = Double(row[c]) - expected
                chi2 += difference * difference / expected
            }
        }
        return (chi2 / n / Double(min(rows.count - 1, kept.count - 1))).squareRoot()
    }
}
