/// The share of synthetic rows whose nearest record lies in an equal-size train sample rather than
/// in the holdout (the referee's `dcr_share_closer_to_train`; ties count one half).
///
///     share = ( |{ s : d(s, T') < d(s, H) }| + ½ |{ s : d(s, T') = d(s, H) }| ) / |S|
///
/// `T'` is a seeded sample of train rows as large as the holdout `H`. A generator that learned the
/// population, not the rows, is as close to `H` as to `T'`: 0.5 means no leak; above 0.5, synthetic
/// rows sit closer to the rows it was trained on.
///
/// ```swift
/// DCRShare.compute(toTrain: [0, 1, 2], toHoldout: [1, 1, 1])   // (1 + 0.5) / 3 = 0.5
/// ```
public enum DCRShare {
    public static let name = "DCRShare"
    /// Lower is safer; 0.5 is the value of a generator that does not leak.
    public static let goal = MetricGoal.minimize
    public static let range: ClosedRange<Double> = 0 ... 1

    /// The share and the tie share, from each synthetic row's distance to the train sample and to
    /// the holdout (squared distances give the same result); nil when there are no rows.
    public static func compute(toTrain: [Double], toHoldout: [Double]) -> (share: Double, ties: Double)? {
        precondition(toTrain.count == toHoldout.count, "one pair of distances per synthetic row")
        guard !toTrain.isEmpty else { return nil }
        var closer = 0, ties = 0
        for (t, h) in zip(toTrain, toHoldout) {
            if t < h { closer += 1 } else if t == h { ties += 1 }
        }
        let n = Double(toTrain.count)
        return ((Double(closer) + 0.5 * Double(ties)) / n, Double(ties) / n)
    }
}
