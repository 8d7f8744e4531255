/// Mergeable counts of integer keys: a dense array for keys `0..<denseCount`, a dictionary for
/// the rest. Used for the synthetic side of contingency tables.
///
/// A table made with `coarsensAbove` keeps at most that many dictionary entries: past it, it
/// calls `coarsen` (which maps keys onto fewer keys) and counts `shift` up. Merging brings both
/// tables to the larger shift first and re-checks the bound, so chunked counting ends in the same
/// table as counting everything at once.
struct CountTable: Sendable, Equatable {
    private(set) var dense: [Int]
    private(set) var sparse: [Int: Int] = [:]
    /// How many times the keys were coarsened.
    private(set) var shift = 0
    let coarsensAbove: Int?

    init(denseCount: Int, coarsensAbove: Int? = nil) {
        dense = Array(repeating: 0, count: denseCount)
        self.coarsensAbove = coarsensAbove
    }

    @inline(__always)
    mutating func add(_ key: Int, count: Int = 1) {
        if key >= 0, key < dense.count {
            dense[key] += count
        } else {
            sparse[key, default: 0] += count
        }
    }

    /// Every key with a non-zero count.
    func forEach(_ body: (_ key: Int, _ count: Int) -> Void) {
        for (key, count) in dense.enumerated() where count != 0 { body(key, count) }
        for (key, count) in sparse where count != 0 { body(key, count) }
    }

    /// Coarsens while the dictionary is over its bound; `coarsen(key, shift)` maps a key counted
    /// at `shift - 1` to its key at `shift`.
    mutating func enforceBound(_ coarsen: (Int, Int) -> Int) {
        guard let bound = coarsensAbove else { return }
        while sparse.count > bound, shift < Self.maxShift {
            coarsenOnce(coarsen)
        }
    }

    /// Past this many coarsenings every inner cell is in one group: stop (what is left over the
    /// bound are keys that never coarsen, such as outer buckets).
    static let maxShift = Int.bitWidth - 2

    private mutating func coarsenOnce(_ coarsen: (Int, Int) -> Int) {
        shift += 1
        var next: [Int: Int] = [:]
        next.reserveCapacity(sparse.count / 2)
        for (key, count) in sparse { next[coarsen(key, shift), default: 0] += count }
        sparse = next
    }

    /// Adds another table's counts (same layout), coarsening as needed.
    mutating func merge(_ other: CountTable, coarsen: (Int, Int) -> Int) {
        var other = other
        while other.shift < shift { other.coarsenOnce(coarsen) }
        while shift < other.shift { coarsenOnce(coarsen) }
        precondition(dense.count == other.dense.count, "tables of one layout")
        for i in other.dense.indices where other.dense[i] != 0 { dense[i] += other.dense[i] }
        for (key, count) in other.sparse { sparse[key, default: 0] += count }
        enforceBound(coarsen)
    }
}

extension CountTable: Codable {
    private enum CodingKeys: String, CodingKey { case denseCount, keys, counts, shift, coarsensAbove }

    /// Encoded sparsely: the non-zero keys and their counts.
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        var keys: [Int] = [], counts: [Int] = []
        forEach { keys.append($0); counts.append($1) }
        try c.encode(dense.count, forKey: .denseCount)
        try c.encode(keys, forKey: .keys)
        try c.encode(counts, forKey: .counts)
        try c.encode(shift, forKey: .shift)
        try c.encodeIfPresent(coarsensAbove, forKey: .coarsensAbove)
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(denseCount: try c.decode(Int.self, forKey: .denseCount),
                  coarsensAbove: try c.decodeIfPresent(Int.self, forKey: .coarsensAbove))
        shift = try c.decode(Int.self, forKey: .shift)
        let keys = try c.decode([Int].self, forKey: .keys), counts = try c.decode([Int].self, forKey: .counts)
        guard keys.count == counts.count else {
            throw DecodingError.dataCorruptedError(forKey: .counts, in: c, debugDescription: "one count per key")
        }
        for (key, count) in zip(keys, counts) { add(key, count: count) }
    }
}
