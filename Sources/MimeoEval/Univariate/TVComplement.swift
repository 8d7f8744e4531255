/// One minus the total variation distance between the real and synthetic category frequencies
/// (SDMetrics `TVComplement`).
///
///     score = 1 - 1/2 * sum_c |p_synthetic(c) - p_real(c)|
///
/// Frequencies are shares of the non-missing values: missing values are dropped from each side
/// first (they are *not* a category here, unlike in `ContingencySimilarity`). As in SDMetrics, a
/// synthetic category absent from the real column gets a real count of `1e-6`, which also enters
/// the real total. With no value left on either side the score is undefined (`nil`).
///
/// ```swift
/// TVComplement.compute(real: ["a", "a", "b", nil], synthetic: ["a", "b", "b"])  // 1 - 1/3
/// ```
public enum TVComplement: Metric {
    public static let name = "TVComplement"
    public static let goal = MetricGoal.maximize
    public static let range: ClosedRange<Double> = 0 ... 1

    /// SDMetrics' count for a synthetic category the real column lacks.
    static let unseenRealCount = 1e-6

    /// The score of two columns of categories; `nil` marks a missing value.
    public static func compute(real: [String?], synthetic: [String?]) -> Double? {
        var realCounts: [String: Int] = [:]
        for case let value? in real { realCounts[value, default: 0] += 1 }
        var syntheticCounts: [String: Int] = [:]
        for case let value? in synthetic { syntheticCounts[value, default: 0] += 1 }
        let keys = Array(realCounts.keys)
        var unseen: [Int] = []
        for (value, count) in syntheticCounts where realCounts[value] == nil { unseen.append(count) }
        return compute(
            realCounts: keys.map { realCounts[$0]! },
            syntheticCounts: keys.map { syntheticCounts[$0] ?? 0 },
            unseenSyntheticCounts: unseen)
    }

    /// The score from counts: `realCounts[i]` and `syntheticCounts[i]` count the `i`-th real
    /// category; `unseenSyntheticCounts` counts each synthetic category the real column lacks.
    static func compute(realCounts: [Int], syntheticCounts: [Int], unseenSyntheticCounts: [Int]) -> Double? {
        let realTotal = Double(realCounts.reduce(0, +))
        let syntheticTotal = Double(syntheticCounts.reduce(0, +) + unseenSyntheticCounts.reduce(0, +))
        guard realTotal > 0, syntheticTotal > 0 else { return nil }
        let regularizedTotal = realTotal + Double(unseenSyntheticCounts.count) * unseenRealCount
        var variation = 0.0
        for (r, s) in zip(realCounts, syntheticCounts) {
            variation += abs(Double(s) / syntheticTotal - Double(r) / regularizedTotal)
        }
        for s in unseenSyntheticCounts {
            variation += abs(Double(s) / syntheticTotal - unseenRealCount / regularizedTotal)
        }
        return 1 - 0.5 * variation
    }
}
