/// Settings of `FidelityEvaluator`. The defaults reproduce SDMetrics 0.32's single-table
/// `QualityReport`.
public struct FidelityOptions: Codable, Sendable, Equatable {
    /// A number pair counts in Column Pair Trends only when `|r_real|` exceeds this
    /// (SDMetrics `DEFAULT_REAL_CORRELATION_THRESHOLD`); `0` counts every pair.
    public var realCorrelationThreshold: Double = 0.5
    /// Any other pair counts only when the real table's Cramér's V exceeds this
    /// (SDMetrics `DEFAULT_REAL_ASSOCIATION_THRESHOLD`); `0` counts every pair.
    public var realAssociationThreshold: Double = 0.3
    /// Bins a number or datetime column is cut into when paired with a discrete column.
    public var binCount: Int = 10
    /// Also score the pairs below the thresholds (reported, never averaged). Costs summary size.
    public var scoresAllPairs: Bool = false
    /// A number-by-category pair table keeps at most this many cells; beyond it, adjacent value
    /// cells are merged two by two (see docs/metrics.md, "Mergeable summaries").
    public var maxPairCells: Int = 1 << 18
    /// Distinct synthetic categories unknown to the real column that are counted one by one;
    /// further unknown categories are pooled (their effect on TVComplement is below 1e-6).
    public var maxUnseenCategories: Int = 10_000
    /// Threads `summarize` uses; `nil` = one per active processor.
    public var threadCount: Int?
    /// Rows parsed per block (bounds the scratch memory of `summarize`).
    public var blockRows: Int = 65_536

    public init() {}
}
