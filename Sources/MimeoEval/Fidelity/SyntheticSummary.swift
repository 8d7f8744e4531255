/// What `FidelityEvaluator` keeps of synthetic rows: mergeable statistics from which the fidelity
/// report is computed without the rows.
///
/// ```swift
/// let evaluator = try FidelityEvaluator(real: train, schema: schema)
/// var summary = try evaluator.summarize(part1)     // on worker 1
/// try summary.merge(evaluator.summarize(part2))    // worker 2's summary, sent back as JSON
/// let report = evaluator.report(for: summary)      // the same as for part1 + part2 at once
/// ```
///
/// Per column: counts in the real column's cells (exact KSComplement and TVComplement); per
/// scored pair: co-moments (Pearson) or a contingency table over value cells and categories.
/// Merging adds counts and combines moments (Chan et al.), so the merged summary equals the
/// summary of all rows at once, up to floating-point rounding of the moments. Its size depends on
/// the real table, not on the number of synthetic rows (see docs/metrics.md for the bounds).
public struct SyntheticSummary: Codable, Sendable, Equatable {
    /// Identifies the evaluator (real data and options) the summary belongs to.
    public let profileID: UInt64
    /// Synthetic rows summarised.
    public private(set) var rowCount = 0
    var continuousColumns: [ContinuousColumnSummary?]
    var discreteColumns: [DiscreteColumnSummary?]
    var pairs: [PairSummary?]
    /// Per correlation pair: rows where neither value is missing but at least one does not parse.
    var pairUnparseableRows: [Int]
    let maxUnseenCategories: Int

    init(profileID: UInt64, continuousColumns: [ContinuousColumnSummary?],
         discreteColumns: [DiscreteColumnSummary?], pairs: [PairSummary?], maxUnseenCategories: Int) {
        self.profileID = profileID
        self.continuousColumns = continuousColumns
        self.discreteColumns = discreteColumns
        self.pairs = pairs
        pairUnparseableRows = Array(repeating: 0, count: pairs.count)
        self.maxUnseenCategories = maxUnseenCategories
    }

    mutating func addRows(_ count: Int) { rowCount += count }

    /// Adds the rows another summary of the same evaluator describes.
    ///
    /// - Throws: `EvaluationError.summaryMismatch` when `other` comes from another evaluator.
    public mutating func merge(_ other: SyntheticSummary) throws {
        guard other.profileID == profileID, other.continuousColumns.count == continuousColumns.count,
              other.pairs.count == pairs.count,
              other.pairUnparseableRows.count == pairUnparseableRows.count else { throw EvaluationError.summaryMismatch }
        rowCount += other.rowCount
        for i in continuousColumns.indices {
            guard let theirs = other.continuousColumns[i] else { continue }
            continuousColumns[i]?.merge(theirs)
        }
        for i in discreteColumns.indices {
            guard let theirs = other.discreteColumns[i] else { continue }
            discreteColumns[i]?.merge(theirs, limit: maxUnseenCategories)
        }
        for i in pairUnparseableRows.indices { pairUnparseableRows[i] += other.pairUnparseableRows[i] }
        for i in pairs.indices {
            guard let theirs = other.pairs[i], var mine = pairs[i] else { continue }
            pairs[i] = nil  // let `mine` own its storage
            try mine.merge(theirs)
            pairs[i] = mine
        }
    }

    /// This summary merged with another of the same evaluator.
    public func merged(with other: SyntheticSummary) throws -> SyntheticSummary {
        var copy = self
        try copy.merge(other)
        return copy
    }
}

/// The synthetic side of one scored column pair.
enum PairSummary: Codable, Sendable, Equatable {
    /// Two number or datetime columns.
    case correlation(CoMoments)
    /// Two categorical columns (`categoryWidth` nil), or a number column's value cells (groups)
    /// by a categorical column's codes: key `group * categoryWidth + code`.
    case contingency(CountTable, categoryWidth: Int?)

    mutating func merge(_ other: PairSummary) throws {
        switch (self, other) {
        case (.correlation(var mine), .correlation(let theirs)):
            mine.merge(theirs)
            self = .correlation(mine)
        case (.contingency(var mine, let width), .contingency(let theirs, let otherWidth)) where width == otherWidth:
            self = .correlation(CoMoments())  // release `mine`'s storage before mutating it
            mine.merge(theirs) { key, _ in Self.coarsen(key, categoryWidth: width ?? 1) }
            self = .contingency(mine, categoryWidth: width)
        default:
            throw EvaluationError.summaryMismatch
        }
    }

    /// The group of a number column's code after `shift` coarsenings: missing (0) and outer
    /// buckets (negative) stay; inner cells `1...` pool `2^shift` at a time.
    @inline(__always)
    static func group(ofCode code: Int, shift: Int) -> Int {
        code > 0 ? ((code - 1) >> shift) + 1 : code
    }

    /// Splits a key `group * width + code` (groups may be negative).
    @inline(__always)
    static func split(_ key: Int, categoryWidth width: Int) -> (group: Int, code: Int) {
        let code = ((key % width) + width) % width
        return ((key - code) / width, code)
    }

    /// A key at one more coarsening.
    static func coarsen(_ key: Int, categoryWidth width: Int) -> Int {
        let (group, code) = split(key, categoryWidth: width)
        let coarser = group > 0 ? ((group - 1) >> 1) + 1 : group
        return coarser * width + code
    }
}
