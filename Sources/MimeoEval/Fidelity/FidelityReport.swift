import MimeoData

/// The fidelity part of `mimeo evaluate`, as SDMetrics 0.32's single-table `QualityReport`
/// defines it: Column Shapes, Column Pair Trends, and their mean.
///
/// Scores are in `0...1`, higher is better. `nil` stands where SDMetrics gives NaN (nothing to
/// compare). Encodes to JSON with the property names below.
public struct FidelityReport: Codable, Sendable, Equatable {
    /// The mean of `columnShapes` and `columnPairTrends` (of the one that exists, if only one does).
    public var overall: Double?
    /// The mean of the per-column scores (KSComplement, TVComplement).
    public var columnShapes: Double?
    /// The mean of the scores of the pairs that meet SDMetrics' real-data thresholds.
    public var columnPairTrends: Double?
    /// One entry per scored column, in schema order.
    public var columns: [ColumnShapeScore]
    /// One entry per pair of scored columns, in schema order (`(a, b)` with `a` before `b`).
    public var pairs: [ColumnPairScore]
    /// Columns left out (identifiers, free text) and why.
    public var skippedColumns: [SkippedColumn]
    /// Rows of the real (training) table.
    public var realRowCount: Int
    /// Synthetic rows scored.
    public var syntheticRowCount: Int
    /// The largest `binningUncertainty` of any pair (0 when every pair is exact).
    public var maxBinningUncertainty: Double
    /// The settings used.
    public var options: FidelityOptions
}

/// The shape score of one column.
public struct ColumnShapeScore: Codable, Sendable, Equatable {
    /// The column's name.
    public var column: String
    /// The column's kind in the schema.
    public var kind: ColumnKind
    /// `KSComplement` (numbers, datetimes) or `TVComplement` (categories, booleans).
    public var metric: String
    /// The score; `nil` when a side has no values.
    public var score: Double?
    /// Why the score is missing, when it is.
    public var note: String?
    /// Number/datetime columns: synthetic cells that are present but do not parse as the column's
    /// kind. They count as mismatches: the score is KSComplement of the parseable values times
    /// their share.
    public var syntheticUnparseable: Int?
    /// Number/datetime columns: real cells that do not parse (left out like missing values).
    public var realUnparseable: Int?
    /// The first synthetic cell that does not parse, for messages.
    public var unparseableExample: String?

    /// A column's score.
    public init(column: String, kind: ColumnKind, metric: String, score: Double?, note: String? = nil,
                syntheticUnparseable: Int? = nil, realUnparseable: Int? = nil, unparseableExample: String? = nil) {
        self.column = column
        self.kind = kind
        self.metric = metric
        self.score = score
        self.note = note
        self.syntheticUnparseable = syntheticUnparseable
        self.realUnparseable = realUnparseable
        self.unparseableExample = unparseableExample
    }
}

/// The trend score of one column pair.
public struct ColumnPairScore: Codable, Sendable, Equatable {
    /// The pair's first column (earlier in the schema).
    public var column1: String
    /// The pair's second column.
    public var column2: String
    /// `CorrelationSimilarity` (two number/datetime columns) or `ContingencySimilarity`.
    public var metric: String
    /// `nil` for pairs below the thresholds (unless `scoresAllPairs`) or when undefined.
    public var score: Double?
    /// Pearson's r of the real pair (correlation pairs).
    public var realCorrelation: Double?
    /// Pearson's r of the synthetic pair (correlation pairs that are scored).
    public var syntheticCorrelation: Double?
    /// Cramér's V of the real pair (contingency pairs).
    public var realAssociation: Double?
    /// Whether the real pair passes SDMetrics' threshold, so that the score enters the mean.
    public var meetsThreshold: Bool
    /// For a number-by-category pair: the share of synthetic rows whose bin had to be
    /// apportioned (their value cell straddles a synthetic bin edge). The score's deviation from
    /// SDMetrics is at most about this much; 0 means exact.
    public var binningUncertainty: Double?
    /// Why the score is missing, when it is.
    public var note: String?
    /// Correlation pairs: synthetic rows with both values present where at least one does not
    /// parse (the score is multiplied by the share of the other rows); nil when there are none.
    public var syntheticUnparseableRows: Int?
}

/// A column the fidelity report does not score.
public struct SkippedColumn: Codable, Sendable, Equatable {
    /// The column's name.
    public var column: String
    /// Its kind in the schema (`identifier` or `text`).
    public var kind: ColumnKind
    /// Why it is not scored.
    public var reason: String
}
