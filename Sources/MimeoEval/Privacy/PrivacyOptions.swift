/// Settings of `PrivacyEvaluator`. The defaults reproduce the referee's privacy section
/// (`../shared/tools/eval_synth.py`, `privacy()`).
public struct PrivacyOptions: Codable, Sendable, Equatable {
    /// The referee's pair budget: query rows × train rows at most this many (the sample-size rule).
    public static let pairBudget = 2_500_000_000
    /// The largest automatic sample of synthetic and holdout rows.
    public static let defaultMaxRows = 50_000
    /// The smallest automatic sample, however big the train table.
    public static let minimumRows = 10_000

    /// Synthetic and holdout rows beyond this many are sampled down to it; `nil` = the referee's
    /// rule `min(50,000, max(10,000, 2.5e9 / train rows))` (see `sampleSize(trainRowCount:)`).
    public var maxRows: Int?
    /// The seed of every sample (synthetic, holdout, the equal-size train sample, reference halves).
    public var seed: UInt64 = 0
    /// The column the utility learner predicts. It matters here only for its type: a number
    /// column with at most 20 distinct train values is a category (as the referee types it).
    public var target: String?
    /// Categorical columns keep their most frequent train levels, at most this many (others:
    /// an all-zero one-hot block).
    public var maxLevels: Int = 200
    /// Columns the attribute-inference attacker knows (`--quasi-identifiers a,b,c`); empty = no attack.
    public var quasiIdentifiers: [String] = []
    /// The column the attacker guesses (`--sensitive col`).
    public var sensitive: String?
    /// A guessed number counts as right when `|guess - truth| <= numericTolerance * |truth|`.
    public var numericTolerance: Double = 0.05
    /// Query rows per matrix-product block.
    public var queryBlockRows: Int = 1024
    /// Reference rows per matrix-product block (a block's tile of distances is
    /// `queryBlockRows × referenceBlockRows` floats: 8 MiB by default).
    public var referenceBlockRows: Int = 2048
    /// Threads for summarising synthetic rows and scanning distance tiles (BLAS keeps its own);
    /// `nil` = one per active processor.
    public var threadCount: Int?

    public init() {}

    /// The referee's automatic cap on query rows for a train table of `trainRowCount` rows:
    /// `min(50,000, max(10,000, 2.5e9 / trainRowCount))`.
    public static func sampleSize(trainRowCount: Int) -> Int {
        min(defaultMaxRows, max(minimumRows, pairBudget / max(trainRowCount, 1)))
    }

    /// Checks the attribute-inference settings against the columns there are: no attack (no
    /// quasi-identifiers and no sensitive column), or a sensitive column and at least one
    /// quasi-identifier, all named, known, and the sensitive column not among the quasi-identifiers.
    ///
    /// - Throws: `EvaluationError.invalidAttack`, or `EvaluationError.unknownColumns` naming every
    ///   unknown column.
    public func validateAttack(columns: [String]) throws {
        guard !quasiIdentifiers.isEmpty || sensitive != nil else { return }
        guard let sensitive, !sensitive.isEmpty else {
            throw EvaluationError.invalidAttack("quasi-identifiers need a sensitive column")
        }
        guard !quasiIdentifiers.isEmpty else {
            throw EvaluationError.invalidAttack("the sensitive column '\(sensitive)' needs quasi-identifiers")
        }
        if quasiIdentifiers.contains(where: \.isEmpty) {
            throw EvaluationError.invalidAttack("a quasi-identifier name is empty")
        }
        if quasiIdentifiers.contains(sensitive) {
            throw EvaluationError.invalidAttack(
                "the sensitive column '\(sensitive)' is also a quasi-identifier: the attacker would know it already")
        }
        let unknown = (quasiIdentifiers + [sensitive]).filter { !columns.contains($0) }
        if !unknown.isEmpty { throw EvaluationError.unknownColumns(unknown, available: columns) }
    }

    /// The cap in force for a train table of `trainRowCount` rows.
    public func effectiveMaxRows(trainRowCount: Int) -> Int {
        maxRows ?? Self.sampleSize(trainRowCount: trainRowCount)
    }
}
