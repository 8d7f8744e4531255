/// Nearest-neighbour distance ratio (NNDR): for each row, the distance to its nearest train row
/// divided by the distance to its second-nearest. A ratio near 0 means the row sits right on one
/// train row and far from the others (a near-copy of an outlier); near 1, it sits in a crowd.
/// Reported as the median and 5th percentile, synthetic next to holdout.
///
///     nndr = d₁ / d₂          (0 when d₁ = 0; 0 when there is no second train row)
///
/// ```swift
/// NearestNeighborDistanceRatio.ratio(nearest: 1, secondNearest: 4)   // 0.25
/// ```
public enum NearestNeighborDistanceRatio {
    public static let name = "NearestNeighborDistanceRatio"
    /// Larger is safer (compare with the holdout's).
    public static let goal = MetricGoal.maximize
    public static let range: ClosedRange<Double> = 0 ... 1

    /// The ratio for one row.
    public static func ratio(nearest: Double, secondNearest: Double) -> Double {
        guard nearest > 0, secondNearest.isFinite, secondNearest > 0 else { return 0 }
        return nearest / secondNearest
    }

    /// The ratios of rows given their nearest and second-nearest distances.
    public static func compute(nearest: [Double], secondNearest: [Double]) -> [Double] {
        zip(nearest, secondNearest).map { ratio(nearest: $0, secondNearest: $1) }
    }
}
