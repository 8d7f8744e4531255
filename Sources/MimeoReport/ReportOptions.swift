/// How much detail `ReportData` keeps for the charts.
public struct ReportOptions: Codable, Sendable, Equatable {
    /// Equal-width bins over the real range of a number or datetime column. Integer columns that
    /// span fewer whole values than this get one bin per value instead.
    public var binCount: Int = 30
    /// Categories drawn one by one (the most frequent in the real table); the rest share one
    /// "other" bar.
    public var topCategories: Int = 12
    /// Number and datetime columns in the correlation heatmaps, at most (the first ones in schema
    /// order; the report says how many were left out).
    public var maxCorrelationColumns: Int = 40

    public init() {}
}
