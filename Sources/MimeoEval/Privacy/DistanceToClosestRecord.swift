/// Distance to closest record (DCR): for each row of a table, the Euclidean distance to the
/// nearest train row in the referee's features (see `FeatureLayout`). Reported as the median and
/// the 5th percentile, for synthetic rows next to real holdout rows: a generator that copies
/// training rows pulls the synthetic distances below the holdout's.
///
/// ```swift
/// let dcr = DistanceToClosestRecord.compute(distances: [0.1, 0.3, 0.2])
/// dcr.median       // 0.2
/// dcr.percentile5  // 0.11
/// ```
public enum DistanceToClosestRecord {
    public static let name = "DistanceToClosestRecord"
    /// Larger synthetic distances mean fewer near-copies (compare with the holdout's, not with 0).
    public static let goal = MetricGoal.maximize
    public static let range: ClosedRange<Double> = 0 ... .infinity

    /// The median, 5th percentile and zero share of some distances.
    public struct Statistics: Codable, Sendable, Equatable {
        public var median: Double?
        public var percentile5: Double?
        /// The share of distances that are exactly 0.
        public var zeroShare: Double?
    }

    /// The statistics of `distances` (nil fields when there are none; infinite distances, of rows
    /// with no reference row at all, are left out).
    public static func compute(distances: [Double]) -> Statistics {
        let sorted = distances.filter(\.isFinite).sorted()
        guard !sorted.isEmpty else { return Statistics(median: nil, percentile5: nil, zeroShare: nil) }
        let zeros = sorted.prefix { $0 == 0 }.count
        return Statistics(median: quantile(sorted, 0.5), percentile5: quantile(sorted, 0.05),
                          zeroShare: Double(zeros) / Double(sorted.count))
    }

    /// numpy's default (`linear`) quantile of sorted values: `x[⌊h⌋] + (h − ⌊h⌋)(x[⌊h⌋+1] − x[⌊h⌋])`
    /// with `h = (n − 1) q`.
    public static func quantile(_ sorted: [Double], _ q: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let h = Double(sorted.count - 1) * q
        let low = Int(h.rounded(.down))
        let high = min(low + 1, sorted.count - 1)
        let fraction = h - Double(low)
        return sorted[low] + fraction * (sorted[high] - sorted[low])
    }
}
