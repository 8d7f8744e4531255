/// Whether a metric is better when larger or when smaller.
public enum MetricGoal: String, Codable, Sendable {
    /// Larger is better (similarities, scores in `0...1` where `1` is best).
    case maximize
    /// Smaller is better (distances, error rates).
    case minimize
}

/// What every metric states about itself, as SDMetrics' `BaseMetric` does (`name`, `goal`,
/// `min_value`, `max_value`).
///
/// ```swift
/// KSComplement.name    // "KSComplement"
/// KSComplement.goal    // .maximize
/// KSComplement.range   // 0...1
/// let score = KSComplement.compute(real: [1, 2, 3], synthetic: [1, 2, 4])  // 0.6666…
/// ```
///
/// Each metric also provides `compute(real:synthetic:)` over whole columns: the plain reference
/// form. `FidelityEvaluator` computes the same values from mergeable summaries.
public protocol Metric {
    /// What `compute(real:synthetic:)` takes for each side.
    associatedtype Input
    /// The name reports print (SDMetrics' class name, so reports can be compared).
    static var name: String { get }
    /// Whether larger or smaller values are better.
    static var goal: MetricGoal { get }
    /// The values the metric can take.
    static var range: ClosedRange<Double> { get }
    /// The metric of `synthetic` against `real`, or `nil` where SDMetrics gives NaN (no values).
    static func compute(real: Input, synthetic: Input) -> Double?
}
