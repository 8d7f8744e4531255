/// The mergeable synthetic side of a categorical or boolean column: counts per code of its
/// `DiscreteProfile` (categories, missing, unknown), and the unknown categories one by one.
struct DiscreteColumnSummary: Codable, Sendable, Equatable {
    var counts: [Int]
    /// Categories the real column lacks, with their counts (at most `maxUnseenCategories`).
    var unseen: [String: Int] = [:]
    /// Rows of further unknown categories, pooled.
    var pooledUnseen = 0

    init(width: Int) {
        counts = Array(repeating: 0, count: width)
    }

    mutating func addUnseen(_ value: String, limit: Int) {
        if let n = unseen[value] {
            unseen[value] = n + 1
        } else if unseen.count < limit {
            unseen[value] = 1
        } else {
            pooledUnseen += 1
        }
    }

    mutating func merge(_ other: DiscreteColumnSummary, limit: Int) {
        precondition(counts.count == other.counts.count, "summaries of one column")
        for i in counts.indices { counts[i] += other.counts[i] }
        pooledUnseen += other.pooledUnseen
        for (value, n) in other.unseen.sorted(by: { $0.key < $1.key }) {
            if let m = unseen[value] {
                unseen[value] = m + n
            } else if unseen.count < limit {
                unseen[value] = n
            } else {
                pooledUnseen += n
            }
        }
    }
}
