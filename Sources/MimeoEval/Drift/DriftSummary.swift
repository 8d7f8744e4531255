/// What `DriftDetector` keeps of the current table: mergeable statistics from which the drift
/// report is computed without the rows, so a current table of any length streams.
///
/// ```swift
/// let detector = try DriftDetector(reference: train, schema: schema)
/// var summary = try detector.summarize(part1, firstRow: 0)           // on one machine
/// try summary.merge(detector.summarize(part2, firstRow: part1.rowCount)) // another's, merged
/// let report = try detector.report(for: summary)                    // as for part1 + part2 at once
/// ```
///
/// Per number column: counts in the reference column's cells (every reference value a cell of its
/// own, the gaps cut finely, outer buckets beyond; `ContinuousColumnSummary`, shared with
/// `mimeo evaluate`), and the values themselves while there are at most
/// `DriftOptions.exactValueLimit` of them. Per category column: counts per reference category and
/// the unseen categories (`DiscreteColumnSummary`). The domain classifier's rows are a seeded
/// bottom-k sample (`SeededSelection`), and with a target the concept check keeps per feature a
/// table of counts (feature cell × target class). Merging adds counts and keeps the bottom-k, so
/// the merged summary equals the summary of all rows at once.
public struct DriftSummary: Codable, Sendable, Equatable {
    /// Identifies the detector (reference data and options) the summary belongs to.
    public let profileID: UInt64
    /// Current rows summarised.
    public private(set) var rowCount = 0
    var numbers: [NumberColumnSummary?]
    var categories: [DiscreteColumnSummary?]
    /// The domain classifier's current rows: sampling key and cells (in the detector's column order).
    var sample: [SampledRow] = []
    /// Per concept feature: counts `[cell * classCount + class]`.
    var concept: [[Int]]
    let sampleLimit: Int
    let exactValueLimit: Int
    let maxUnseenCategories: Int

    /// The current side of one number column.
    struct NumberColumnSummary: Codable, Sendable, Equatable {
        var cells: ContinuousColumnSummary
        /// The present values, while there are at most `exactValueLimit` of them (unsorted).
        var values: [Double]?
    }

    /// One sampled row.
    struct SampledRow: Codable, Sendable, Equatable {
        var key: UInt64
        var row: Int
        var cells: [String?]
    }

    init(profileID: UInt64, numbers: [NumberColumnSummary?], categories: [DiscreteColumnSummary?], concept: [[Int]],
         sampleLimit: Int, exactValueLimit: Int, maxUnseenCategories: Int) {
        self.profileID = profileID
        self.numbers = numbers
        self.categories = categories
        self.concept = concept
        self.sampleLimit = sampleLimit
        self.exactValueLimit = exactValueLimit
        self.maxUnseenCategories = maxUnseenCategories
    }

    mutating func addRows(_ count: Int) { rowCount += count }

    /// Keeps the `sampleLimit` rows of smallest key.
    mutating func trimSample() {
        guard sample.count > sampleLimit else { return }
        sample.sort { $0.key != $1.key ? $0.key < $1.key : $0.row < $1.row }
        sample.removeLast(sample.count - sampleLimit)
    }

    /// Adds the rows another summary of the same detector describes.
    ///
    /// - Throws: `EvaluationError.summaryMismatch` when `other` comes from another detector.
    public mutating func merge(_ other: DriftSummary) throws {
        guard other.profileID == profileID, other.numbers.count == numbers.count,
              other.categories.count == categories.count, other.concept.count == concept.count else {
            throw EvaluationError.summaryMismatch
        }
        rowCount += other.rowCount
        for i in numbers.indices {
            guard let theirs = other.numbers[i], var mine = numbers[i] else { continue }
            numbers[i] = nil  // let `mine` own its storage
            mine.cells.merge(theirs.cells)
            if let a = mine.values, let b = theirs.values, a.count + b.count <= exactValueLimit {
                mine.values = a + b
            } else {
                mine.values = nil
            }
            numbers[i] = mine
        }
        for i in categories.indices {
            guard let theirs = other.categories[i] else { continue }
            categories[i]?.merge(theirs, limit: maxUnseenCategories)
        }
        for f in concept.indices {
            guard concept[f].count == other.concept[f].count else { throw EvaluationError.summaryMismatch }
            for k in concept[f].indices { concept[f][k] += other.concept[f][k] }
        }
        sample += other.sample
        trimSample()
    }
}
