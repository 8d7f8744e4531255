/// The settings of `DriftDetector`; the defaults are Evidently's (`DataDriftPreset`) where Evidently
/// has one.
public struct DriftOptions: Codable, Sendable, Equatable {
    /// Reference tables with at most this many values in a column are tested (KS, chi-square, Z);
    /// larger ones are measured by distances (Wasserstein, Jensen–Shannon).
    public var smallReferenceRows = 1000
    /// A column of at most this many distinct values (both sides together) is compared value by
    /// value (chi-square or Z-test, Jensen–Shannon) even when it holds numbers.
    public var fewValues = 5
    /// Drift when a test's p-value is below this.
    public var pValueThreshold = 0.05
    /// Drift when the normed Wasserstein or the Jensen–Shannon distance is at least this.
    public var distanceThreshold = 0.1
    /// PSI at or above this is reported as drift (PSI does not vote in the dataset decision).
    public var psiThreshold = 0.1
    /// The dataset drifts when at least this share of the compared columns drift.
    public var driftShare = 0.5
    /// Current values of a number column kept verbatim up to this count (statistics then exact);
    /// past it, the column's statistics come from its cells (docs/lifecycle.md, "Drift").
    public var exactValueLimit = 200_000
    /// Categories the reference lacks, kept one by one per column (the rest are pooled).
    public var maxUnseenCategories = 10_000
    /// Rows of each side the domain classifier uses (half to train, half to test).
    public var domainSampleRows = 5000
    /// Levels per categorical column in the domain classifier's and the concept check's encoding.
    public var maxLevels = 20
    /// Bins of a number column in the concept check (reference quantiles).
    public var conceptBins = 10
    /// Seed of the domain classifier's samples.
    public var seed: UInt64 = 0
    /// Threads that summarise the current rows (nil: one per core); each takes at least `blockRows` rows.
    public var threadCount: Int?
    /// Rows per thread at least.
    public var blockRows = 16_384

    /// Evidently's defaults, and Mimeo's limits.
    public init() {}
}
