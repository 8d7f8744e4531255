/// The distinct levels of a categorical column ranked for one-hot encoding: most frequent first, ties in the
/// order of first appearance. The distance encoder (privacy) and the learner encoding (utility) both keep
/// the top levels of this one ranking.
struct LevelRanking {
    /// Every distinct level, ranked.
    let ranked: [String]
    /// How often each level occurs.
    let counts: [String: Int]

    /// Counts `levels` (one per cell, missing cells already mapped to a level of their own) and ranks them.
    init<Levels: Sequence<String>>(_ levels: Levels) {
        var counts: [String: Int] = [:], order: [String] = []
        for level in levels {
            if let n = counts[level] {
                counts[level] = n + 1
            } else {
                counts[level] = 1
                order.append(level)
            }
        }
        // Count descending, then first appearance (a stable sort of the appearance order).
        ranked = order.enumerated().sorted { a, b in
            let ca = counts[a.element]!, cb = counts[b.element]!
            return ca != cb ? ca > cb : a.offset < b.offset
        }.map(\.element)
        self.counts = counts
    }

    /// The first `limit` ranked levels (none for a limit of 0 or less).
    func top(_ limit: Int) -> [String] { Array(ranked.prefix(max(0, limit))) }
}
