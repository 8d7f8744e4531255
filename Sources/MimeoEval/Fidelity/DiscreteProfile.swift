/// The real side of a categorical or boolean column.
///
/// A value's *code*: its index in `vocabulary` (the real categories, sorted); `vocabulary.count`
/// = missing; `vocabulary.count + 1` = a category the real column lacks.
struct DiscreteProfile: Sendable {
    let vocabulary: [String]
    let index: [String: Int]
    /// Real counts per code (`vocabulary.count + 1` entries: categories, then missing).
    let counts: [Int]

    init(values: [String?]) {
        var counts: [String: Int] = [:]
        var missing = 0
        for value in values {
            if let value { counts[value, default: 0] += 1 } else { missing += 1 }
        }
        vocabulary = counts.keys.sorted()
        index = Dictionary(uniqueKeysWithValues: vocabulary.enumerated().map { ($1, $0) })
        self.counts = vocabulary.map { counts[$0]! } + [missing]
    }

    var missingCode: Int { vocabulary.count }
    var unseenCode: Int { vocabulary.count + 1 }
    /// Codes per column of a contingency table: categories, missing, unseen.
    var width: Int { vocabulary.count + 2 }

    @inline(__always)
    func code(of value: String?) -> Int {
        guard let value else { return vocabulary.count }
        return index[value] ?? vocabulary.count + 1
    }
}
