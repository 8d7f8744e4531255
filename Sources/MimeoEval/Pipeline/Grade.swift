/// A word for a score in `0...1` (the thresholds of `mimeo evaluate`, docs/metrics.md):
/// Excellent `>= 0.95`, Good `>= 0.85`, Moderate `>= 0.70`, Poor below.
///
/// ```swift
/// Grade(0.97)   // .excellent
/// Grade(nil)    // .none
/// ```
public enum Grade: String, Codable, Sendable, CaseIterable {
    case excellent = "Excellent"
    case good = "Good"
    case moderate = "Moderate"
    case poor = "Poor"
    /// No score.
    case none = ""

    /// The grade of `score` (`.none` for `nil` or NaN).
    public init(_ score: Double?) {
        guard let score, !score.isNaN else {
            self = .none
            return
        }
        switch score {
        case 0.95...: self = .excellent
        case 0.85..<0.95: self = .good
        case 0.70..<0.85: self = .moderate
        default: self = .poor
        }
    }

    /// The lowest score with this grade (`nil` for `.poor` and `.none`).
    public var threshold: Double? {
        switch self {
        case .excellent: 0.95
        case .good: 0.85
        case .moderate: 0.70
        case .poor, .none: nil
        }
    }
}
