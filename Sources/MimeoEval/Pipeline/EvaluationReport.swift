import MimeoData

/// Everything one evaluation found: the JSON that `mimeo evaluate --json` writes.
public struct EvaluationReport: Codable, Sendable, Equatable {
    /// SDMetrics' Quality Report over every synthetic row.
    public var fidelity: FidelityReport
    /// The joint-PCA comparison (on samples).
    public var deepStructure: DeepStructureReport
    /// Leak measures against the holdout, when one was given.
    public var privacy: PrivacyReport?
    /// Train-on-synthetic against train-on-real, when a holdout and a target were given.
    public var utility: UtilityReport?
    /// Cells that do not parse as their number or datetime column's kind, per table and column.
    public var unparseable: UnparseableValues
    /// The summary in words (`EvaluationFindings`), as printed.
    public var findings: [String]
    /// Synthetic rows used for deep structure, utility and charts.
    public var syntheticSampleRows: Int
}

/// Cells that are present but do not parse as their number or datetime column's kind (docs/metrics.md,
/// "Unparseable values"): never dropped silently, always counted here.
public struct UnparseableValues: Codable, Sendable, Equatable {
    /// One column's count.
    public struct Column: Codable, Sendable, Equatable {
        /// The column's name.
        public var column: String
        /// How many cells do not parse.
        public var count: Int
        /// The first of them (synthetic side), for messages.
        public var example: String?
    }

    /// Synthetic columns (every synthetic row): these cells are scored as mismatches.
    public var synthetic: [Column]
    /// Real (training) columns: these cells are left out like missing values.
    public var real: [Column]
    /// Train and holdout rows with such a cell, which the privacy samples leave out.
    public var trainRows: Int
    public var holdoutRows: Int

    /// All synthetic cells that do not parse.
    public var syntheticTotal: Int { synthetic.reduce(0) { $0 + $1.count } }
    /// All real cells that do not parse.
    public var realTotal: Int { real.reduce(0) { $0 + $1.count } }

    /// The counts from the reports.
    public init(fidelity: FidelityReport, privacy: PrivacyReport?) {
        synthetic = fidelity.columns.compactMap { column in
            guard let count = column.syntheticUnparseable, count > 0 else { return nil }
            return Column(column: column.column, count: count, example: column.unparseableExample)
        }
        real = fidelity.columns.compactMap { column in
            guard let count = column.realUnparseable, count > 0 else { return nil }
            return Column(column: column.column, count: count, example: nil)
        }
        trainRows = privacy?.rowsUsed.trainUnparseable ?? 0
        holdoutRows = privacy?.rowsUsed.holdoutUnparseable ?? 0
    }
}
