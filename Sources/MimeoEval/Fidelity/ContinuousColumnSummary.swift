/// The mergeable synthetic side of a number or datetime column, in the cells of its
/// `ContinuousProfile`.
///
/// - `cells[c]`: values in cell `c` (cell 0 and cell `2k` total the outer buckets below and above
///   the real range): KSComplement needs nothing else.
/// - `cellMinimum[c]`, `cellMaximum[c]`: the extremes met in each inner cell, and `outer` the
///   count and extremes of each outer bucket: where SDMetrics' synthetic bin edges (from the
///   synthetic minimum and maximum, known only at the end) fall between a cell's extremes, the
///   cell's values are apportioned (see `SyntheticBinning`); otherwise they are placed exactly.
/// - `minimum`, `maximum`, `countAtMaximum`: the synthetic range; the maximum gets a bin of its own.
/// - `unparseable`: present cells that do not parse as the column's kind (with the first one met,
///   `firstUnparseable`): they are scored as mismatches (docs/metrics.md, "Unparseable values").
struct ContinuousColumnSummary: Sendable, Equatable {
    struct Atom: Codable, Sendable, Equatable {
        var count = 0
        var minimum = Double.infinity
        var maximum = -Double.infinity

        @inline(__always)
        mutating func add(_ x: Double) {
            count += 1
            if x < minimum { minimum = x }
            if x > maximum { maximum = x }
        }

        mutating func merge(_ other: Atom) {
            count += other.count
            minimum = min(minimum, other.minimum)
            maximum = max(maximum, other.maximum)
        }
    }

    var missing = 0
    var unparseable = 0
    var firstUnparseable: String?
    var cells: [Int]
    var cellMinimum: [Double]
    var cellMaximum: [Double]
    var outer: [Int: Atom] = [:]
    var minimum = Double.infinity
    var maximum = -Double.infinity
    var countAtMaximum = 0

    init(cellCount: Int) {
        cells = Array(repeating: 0, count: cellCount)
        cellMinimum = Array(repeating: .infinity, count: cellCount)
        cellMaximum = Array(repeating: -.infinity, count: cellCount)
    }

    /// Values that are present.
    var count: Int { cells.reduce(0, +) }

    /// Counts one value `x` whose code is `code`, read from `cell`.
    @inline(__always)
    mutating func add(_ x: Double, code: Int, cell: String? = nil) {
        if code == ContinuousProfile.unparseableCode {
            unparseable += 1
            if firstUnparseable == nil { firstUnparseable = cell }
            return
        }
        if code == 0 {
            missing += 1
            return
        }
        if code > 0 {
            cells[code] += 1
            if x < cellMinimum[code] { cellMinimum[code] = x }
            if x > cellMaximum[code] { cellMaximum[code] = x }
        } else {
            cells[ContinuousProfile.isBelow(code) ? 0 : cells.count - 1] += 1
            outer[code, default: Atom()].add(x)
        }
        if x < minimum { minimum = x }
        if x > maximum {
            maximum = x
            countAtMaximum = 1
        } else if x == maximum {
            countAtMaximum += 1
        }
    }

    mutating func merge(_ other: ContinuousColumnSummary) {
        precondition(cells.count == other.cells.count, "summaries of one column")
        missing += other.missing
        unparseable += other.unparseable
        if firstUnparseable == nil { firstUnparseable = other.firstUnparseable }
        for c in other.cells.indices where other.cells[c] != 0 {
            cells[c] += other.cells[c]
            cellMinimum[c] = min(cellMinimum[c], other.cellMinimum[c])
            cellMaximum[c] = max(cellMaximum[c], other.cellMaximum[c])
        }
        for (code, atom) in other.outer { outer[code, default: Atom()].merge(atom) }
        minimum = min(minimum, other.minimum)
        if other.maximum > maximum {
            maximum = other.maximum
            countAtMaximum = other.countAtMaximum
        } else if other.maximum == maximum {
            countAtMaximum += other.countAtMaximum
        }
    }
}

extension ContinuousColumnSummary: Codable {
    private enum CodingKeys: String, CodingKey {
        case missing, unparseable, firstUnparseable, cellCount, cellIndex, cellCounts, cellMinimum, cellMaximum, outer, minimum, maximum,
             countAtMaximum
    }

    private struct OuterAtom: Codable {
        var code: Int
        var atom: Atom
    }

    /// Encoded sparsely: the non-empty cells with their extremes (none for the two outer cells).
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(missing, forKey: .missing)
        try c.encode(unparseable, forKey: .unparseable)
        try c.encodeIfPresent(firstUnparseable, forKey: .firstUnparseable)
        try c.encode(cells.count, forKey: .cellCount)
        let used = cells.indices.filter { cells[$0] != 0 }
        try c.encode(used, forKey: .cellIndex)
        try c.encode(used.map { cells[$0] }, forKey: .cellCounts)
        let inner = used.filter { $0 > 0 && $0 < cells.count - 1 }
        try c.encode(inner.map { cellMinimum[$0] }, forKey: .cellMinimum)
        try c.encode(inner.map { cellMaximum[$0] }, forKey: .cellMaximum)
        try c.encode(outer.sorted { $0.key < $1.key }.map { OuterAtom(code: $0.key, atom: $0.value) }, forKey: .outer)
        try c.encodeIfPresent(minimum.isFinite ? minimum : nil, forKey: .minimum)
        try c.encodeIfPresent(maximum.isFinite ? maximum : nil, forKey: .maximum)
        try c.encode(countAtMaximum, forKey: .countAtMaximum)
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(cellCount: try c.decode(Int.self, forKey: .cellCount))
        missing = try c.decode(Int.self, forKey: .missing)
        unparseable = try c.decodeIfPresent(Int.self, forKey: .unparseable) ?? 0
        firstUnparseable = try c.decodeIfPresent(String.self, forKey: .firstUnparseable)
        let used = try c.decode([Int].self, forKey: .cellIndex)
        let counts = try c.decode([Int].self, forKey: .cellCounts)
        guard used.count == counts.count, used.allSatisfy({ cells.indices.contains($0) }) else {
            throw DecodingError.dataCorruptedError(forKey: .cellIndex, in: c, debugDescription: "bad cells")
        }
        for (i, n) in zip(used, counts) { cells[i] = n }
        let inner = used.filter { $0 > 0 && $0 < cells.count - 1 }
        let lows = try c.decode([Double].self, forKey: .cellMinimum)
        let highs = try c.decode([Double].self, forKey: .cellMaximum)
        guard lows.count == inner.count, highs.count == inner.count else {
            throw DecodingError.dataCorruptedError(forKey: .cellMinimum, in: c, debugDescription: "one per inner cell")
        }
        for (j, i) in inner.enumerated() {
            cellMinimum[i] = lows[j]
            cellMaximum[i] = highs[j]
        }
        for entry in try c.decode([OuterAtom].self, forKey: .outer) { outer[entry.code] = entry.atom }
        minimum = try c.decodeIfPresent(Double.self, forKey: .minimum) ?? .infinity
        maximum = try c.decodeIfPresent(Double.self, forKey: .maximum) ?? -.infinity
        countAtMaximum = try c.decode(Int.self, forKey: .countAtMaximum)
    }
}
