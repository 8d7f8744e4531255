/// What the utility learner predicts.
public enum UtilityTask: String, Codable, Sendable {
    /// A category with two values: AUC (for the minority class of train) and accuracy.
    case binary
    /// A category with more values: AUC (macro average of one-vs-rest) and accuracy.
    case multiclass
    /// A number with more than 20 distinct train values: R².
    case regression
}

/// The utility part of `mimeo evaluate`: train-on-synthetic / test-on-real (TSTR) next to
/// train-on-real / test-on-real (TRTR), with a learner built into Mimeo, on the real holdout.
/// Encodes to JSON with the property names below.
public struct UtilityReport: Codable, Sendable, Equatable {
    public var target: String
    public var task: UtilityTask
    /// The learner and its settings, in words.
    public var learner: String
    /// The train table's classes, sorted (category targets).
    public var classes: [String]?
    /// The class whose AUC a binary task reports: the minority class of train.
    public var positiveClass: String?
    /// Trained on the synthetic table, tested on the holdout (TSTR).
    public var trainOnSynthetic: UtilityScores
    /// Trained on the real train table, tested on the holdout (TRTR): the ceiling.
    public var trainOnReal: UtilityScores
    /// TRTR minus TSTR, per score (positive: the synthetic table loses that much).
    public var gap: UtilityScores.Values
    /// Holdout rows scored (those with a known target, among the train classes for a category).
    public var holdoutRows: Int
    /// Name, goal and range of each score reported.
    public var metrics: [MetricDescription]
    /// Whether TSTR is TRTR (the reference run: the holdout plays the synthetic table).
    public var isReference: Bool
    public var options: UtilityOptions
}

/// The scores of one trained model on the holdout.
public struct UtilityScores: Codable, Sendable, Equatable {
    /// AUC, accuracy, R²: whichever the task has.
    public struct Values: Codable, Sendable, Equatable {
        public var auc: Double?
        public var accuracy: Double?
        public var r2: Double?
    }

    public var values: Values
    /// Rows the model was trained on (after dropping missing or unknown targets, and sampling).
    public var trainingRows: Int
    /// Rows of the training table.
    public var tableRows: Int
    /// Why a score is missing (one class only, no rows).
    public var note: String?
}

/// A metric's name, goal and range, as reports list them.
public struct MetricDescription: Codable, Sendable, Equatable {
    public var name: String
    public var goal: MetricGoal
    public var range: MetricBounds

    public init(name: String, goal: MetricGoal, range: ClosedRange<Double>) {
        self.name = name
        self.goal = goal
        self.range = MetricBounds(range)
    }
}
