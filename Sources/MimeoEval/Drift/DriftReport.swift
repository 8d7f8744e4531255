import MimeoData

/// The result of `mimeo drift`: per column Evidently's default test and decision plus PSI, the
/// dataset decision, the domain classifier and, with a target, the concept check.
public struct DriftReport: Codable, Sendable {
    /// One compared column.
    public struct ColumnDrift: Codable, Sendable, Equatable {
        /// The column's name.
        public var column: String
        /// Its schema kind.
        public var kind: ColumnKind
        /// Evidently's column type: `numerical` or `categorical`.
        public var type: String
        /// Present values on each side (missing and unparseable cells are left out).
        public var referenceRows: Int
        public var currentRows: Int
        /// Missing or unparseable cells on each side.
        public var referenceMissing: Int
        public var currentMissing: Int
        /// Distinct values of both sides together (a lower bound when `exact` is false).
        public var distinctValues: Int
        /// Evidently's name of the test: `ks`, `chisquare`, `z`, `wasserstein`, `jensenshannon`.
        public var test: String
        /// The drift score: a p-value (`ks`, `chisquare`, `z`) or a distance; nil when a side is empty.
        public var score: Double?
        /// The threshold the score is compared with.
        public var threshold: Double
        /// Whether the column drifts.
        public var drifted: Bool
        /// The population stability index (Evidently's bins), and whether it reaches `DriftOptions.psiThreshold`.
        public var psi: Double?
        public var psiDrifted: Bool
        /// Whether every statistic was computed from the values themselves (or from cells that
        /// determine it exactly); false when the current side came from cells whose values were not kept.
        public var exact: Bool
        /// A bound on the error of `score` (Wasserstein from cells) when `exact` is false.
        public var scoreErrorBound: Double?
        /// Why the column could not be tested, or what limits the result.
        public var note: String?
    }

    /// The dataset decision (Evidently's `DatasetDriftMetric`).
    public struct DatasetDrift: Codable, Sendable, Equatable {
        /// Compared columns.
        public var columnCount: Int
        /// Columns that drift.
        public var driftedColumns: Int
        /// `driftedColumns / columnCount`.
        public var share: Double
        /// The dataset drifts when `share >= threshold`.
        public var threshold: Double
        public var drifted: Bool
    }

    /// Can a classifier tell reference rows from current rows?
    public struct DomainClassifier: Codable, Sendable, Equatable {
        /// What learns: L2-regularised logistic regression on standardised numbers and one-hot categories.
        public var learner: String
        /// Rows of each side used to train and to test (disjoint halves of each side's sample).
        public var trainingRows: Int
        public var testRows: Int
        /// ROC AUC on the test rows (0.5: the tables are alike; 1: fully separable); nil when a side is empty.
        public var auc: Double?
        /// Per column, how much the AUC falls when the column's test values are shuffled
        /// (permutation importance): the columns the classifier uses, largest first.
        public var columns: [ColumnImportance]
    }

    /// One column's permutation importance.
    public struct ColumnImportance: Codable, Sendable, Equatable {
        /// The column's name.
        public var column: String
        /// The test AUC minus the AUC with the column's test values shuffled.
        public var aucDrop: Double
    }

    /// Did the target's relation to the other columns change?
    public struct ConceptDrift: Codable, Sendable, Equatable {
        /// The target column.
        public var target: String
        /// Per feature: `P(target | feature cell)` in reference against current.
        public var features: [ConceptFeature]
        /// Features whose check finds drift, and their share of all features.
        public var driftedFeatures: Int
        public var share: Double
        /// Concept drift when at least this share of the features show it (as the dataset decision).
        public var threshold: Double
        public var drifted: Bool
        /// How the check works and what it cannot see.
        public var method: String
        /// A model of the target trained on reference rows, scored on other reference rows and on
        /// current rows (reported, not voting); nil when it cannot be trained.
        public var model: ModelPerformance?
    }

    /// How a model of the target, trained on the reference, does on the reference and on the current table.
    public struct ModelPerformance: Codable, Sendable, Equatable {
        /// The learner, as `mimeo evaluate --learner linear` trains it.
        public var learner: String
        /// `binary`, `multiclass` or `regression`.
        public var task: UtilityTask
        /// Reference rows it was trained on.
        public var trainingRows: Int
        /// Scores (AUC and accuracy, or R²) on held-out reference rows and on current rows.
        public var reference: UtilityScores.Values
        public var current: UtilityScores.Values
        /// Rows scored on each side (those with a known target, of a class the training rows have).
        public var referenceRows: Int
        public var currentRows: Int
    }

    /// The concept check on one feature.
    public struct ConceptFeature: Codable, Sendable, Equatable {
        /// The feature column.
        public var column: String
        /// `chisquare` (stratified test of homogeneity; small reference) or `jensenshannon`
        /// (current-weighted mean distance between the conditional distributions; large reference).
        public var test: String
        /// A p-value (`chisquare`) or a distance (`jensenshannon`); nil when no cell has rows on both sides.
        public var score: Double?
        public var threshold: Double
        public var drifted: Bool
        /// The feature cell whose target distribution moved most (by Jensen–Shannon distance), if any.
        public var largestShiftCell: String?
        public var largestShift: Double?
    }

    /// Rows of each table.
    public var referenceRowCount: Int
    public var currentRowCount: Int
    /// The compared columns, in schema order, and those skipped (identifier and text columns).
    public var columns: [ColumnDrift]
    public var skippedColumns: [SkippedColumn]
    /// The dataset decision.
    public var dataset: DatasetDrift
    /// The domain classifier (nil when a side has fewer than two rows).
    public var domainClassifier: DomainClassifier?
    /// The concept check (with a target).
    public var concept: ConceptDrift?
    /// The settings used.
    public var options: DriftOptions

    /// Drift: the dataset drifts or, with a target, the concept does (`mimeo drift` exits with 3).
    public var drifted: Bool { dataset.drifted || (concept?.drifted ?? false) }
}
