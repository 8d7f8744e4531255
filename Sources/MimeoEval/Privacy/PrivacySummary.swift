/// What `PrivacyEvaluator` keeps of synthetic rows: exact-match counts over every row, which
/// numeric columns have a missing value, and a seeded bottom-k sample of encoded rows for the
/// distances. Summaries of disjoint chunks merge into the summary of their union, and the sample
/// depends only on the seed and each row's position in the whole table, so memory is bounded by the
/// sample size however many rows are summarised.
///
/// ```swift
/// var summary = evaluator.makeSummary()
/// var first = 0
/// for chunk in chunks {
///     try summary.merge(evaluator.summarize(chunk, firstRow: first))
///     first += chunk.rowCount
/// }
/// let report = try evaluator.report(for: summary)
/// ```
///
/// Summaries encode to JSON (a worker can send its part to a coordinator that merges them).
public struct PrivacySummary: Codable, Sendable {
    /// Identifies the evaluator that made this summary.
    public let profileID: UInt64
    /// Synthetic rows summarised.
    public private(set) var rowCount = 0
    /// Synthetic rows identical to a train row (all columns; see `ExactMatchShare`).
    public private(set) var exactMatchCount = 0
    /// Per numeric column: whether some synthetic value is missing or does not parse.
    var missing: [Bool]
    /// The sample's capacity (the evaluator's sample size).
    let capacity: Int
    /// Sampled rows and their keys and sensitive values (not yet trimmed to `capacity`).
    var keys: [UInt64] = []
    var rows: EncodedRows
    var sensitive: [SensitiveValue] = []

    init(profileID: UInt64, missing: [Bool], capacity: Int, rows: EncodedRows) {
        self.profileID = profileID
        self.missing = missing
        self.capacity = capacity
        self.rows = rows
    }

    /// The number of rows the sample holds (at most the sample size once `trimmed()`).
    public var sampledRowCount: Int { min(keys.count, capacity) }

    /// Adds the summary of other rows (disjoint from these).
    ///
    /// - Throws: `EvaluationError.summaryMismatch` when `other` comes from another evaluator.
    public mutating func merge(_ other: PrivacySummary) throws {
        guard other.profileID == profileID, other.capacity == capacity else { throw EvaluationError.summaryMismatch }
        rowCount += other.rowCount
        exactMatchCount += other.exactMatchCount
        for c in missing.indices where other.missing[c] { missing[c] = true }
        keys.append(contentsOf: other.keys)
        for r in 0 ..< other.rows.count { rows.append(other.rows, row: r) }
        sensitive.append(contentsOf: other.sensitive)
        if keys.count > 2 * capacity { trim() }
    }

    /// Counts `count` more rows, `matches` of them exact copies of train rows.
    mutating func addCounts(rows count: Int, matches: Int) {
        rowCount += count
        exactMatchCount += matches
    }

    /// Offers one row to the sample; it is kept if its key can still be among the smallest.
    mutating func offer(key: UInt64, row: () -> (EncodedRows, SensitiveValue)) {
        if keys.count >= capacity, let limit = threshold, key >= limit { return }
        let (encoded, value) = row()
        keys.append(key)
        rows.append(encoded, row: 0)
        sensitive.append(value)
        if keys.count >= 2 * capacity { trim() }
    }

    /// After a trim: the largest kept key (offers at or above it are rejected).
    private var threshold: UInt64?

    /// Keeps the `capacity` rows with the smallest keys, in key order.
    mutating func trim() {
        let order = keys.indices.sorted { keys[$0] < keys[$1] }.prefix(capacity)
        keys = order.map { keys[$0] }
        rows = rows.subset(order)
        sensitive = order.map { sensitive[$0] }
        threshold = keys.count >= capacity ? keys.last : nil
    }

    /// The final sample: at most `capacity` rows in key order.
    func trimmed() -> PrivacySummary {
        var copy = self
        copy.trim()
        return copy
    }
}

/// The attacker's target value of one row: a category's text or a number.
enum SensitiveValue: Codable, Sendable, Hashable {
    case none
    case category(String?)
    case number(Double)
}
