/// The learner `UtilityEvaluator` trains.
public enum UtilityLearner: String, Codable, Sendable, CaseIterable {
    /// L2-regularised logistic regression (one-vs-rest for more than two classes) for a category
    /// target; ridge regression for a number target.
    case linear
    /// Gradient-boosted decision trees on histograms (`GradientBoostedTrees`).
    case gradientBoostedTrees
}

/// Settings of `UtilityEvaluator`.
public struct UtilityOptions: Codable, Sendable, Equatable {
    /// The column to predict.
    public var target: String
    /// The learner.
    public var learner: UtilityLearner = .linear
    /// The L2 penalty `λ` on the coefficients (not the intercept): logistic regression minimises
    /// `Σ logloss + λ/2 ‖w‖²` (scikit-learn's `C = 1/λ`), ridge `Σ (y − ŷ)² + λ ‖w‖²` (its `alpha`).
    public var regularization: Double = 1
    /// Categorical features keep their most frequent train levels, at most this many.
    public var maxLevels: Int = 100
    /// Training tables (synthetic or real) beyond this many rows are sampled down to it (seeded);
    /// `nil` = every row.
    public var maxTrainingRows: Int? = 250_000
    /// Newton iterations at most (logistic regression).
    public var maxIterations: Int = 100
    /// The seed of the training-row sample.
    public var seed: UInt64 = 0
    /// Settings of the trees, when `learner` is `.gradientBoostedTrees`.
    public var trees = GradientBoostedTrees.Parameters()

    public init(target: String) {
        self.target = target
    }
}
