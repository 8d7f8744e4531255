/// The share of rows whose predicted class is the true one.
///
/// ```swift
/// Accuracy.compute(predicted: ["a", "b", "b"], actual: ["a", "b", "a"])   // 2/3
/// ```
public enum Accuracy {
    public static let name = "Accuracy"
    public static let goal = MetricGoal.maximize
    public static let range: ClosedRange<Double> = 0 ... 1

    /// The accuracy; nil without rows.
    public static func compute<Label: Equatable>(predicted: [Label], actual: [Label]) -> Double? {
        precondition(predicted.count == actual.count, "one prediction per row")
        guard !actual.isEmpty else { return nil }
        return Double(zip(predicted, actual).filter { $0 == $1 }.count) / Double(actual.count)
    }
}
