import Foundation

/// The real side of a number or datetime column, and the cells synthetic values are counted in.
///
/// Cells partition the number line, in increasing order: cell 0 holds everything below the
/// smallest real value; then each distinct real value `r_i` has a cell of its own, followed by the
/// open gap up to `r_(i+1)`, cut into equal-width sub-cells no wider than 1/1024 of the real range
/// (at most `1024 + k` gap cells for `k` real values); the last cell holds everything above the
/// largest real value. Below and above the real range, values are further sorted into *outer
/// buckets* by distance, geometrically (`bucketsPerOctave` per doubling, starting at 1/1024 of the
/// real range).
///
/// A value's *code*: 0 = missing; `1...cellCount - 2` = its inner cell; `-(2b + 1)` = outer bucket
/// `b` below the real range; `-(2b + 2)` = outer bucket `b` above it; `unparseableCode` = a present
/// cell that does not parse (synthetic side only).
struct ContinuousProfile: Sendable {
    /// The distinct real values, increasing.
    let points: [Double]
    /// How often the real column holds each of `points`.
    let pointCounts: [Int]
    /// The cell of each point; the point's gap cells follow it.
    let pointCells: [Int]
    /// Real counts per cell (non-zero only in point cells).
    let realCellCounts: [Int]
    /// Real cells left empty (missing or unparseable).
    let missingCount: Int
    /// Real cells that are present but do not parse (counted in `missingCount` too).
    let unparseableCount: Int
    /// The widest inner gap cell, and the width of outer bucket 0.
    let unit: Double
    /// The bins of the real column (its own minimum and maximum).
    let edges: HistogramEdges
    let parser: CellParser

    static let cellsPerRange = 1024.0
    static let bucketsPerOctave = 128.0
    static let maxBucket = 128 * 80
    /// The code of a synthetic cell that is present but does not parse: below every outer code, so
    /// that it is never a cell or bucket, and pair keys `code * width + category` stay in range.
    static let unparseableCode = -1_000_000_000

    /// The profile of the real values (NaN = missing), `unparseable` of which were present but did
    /// not parse.
    init(values: [Double], parser: CellParser, binCount: Int, unparseable: Int = 0) {
        unparseableCount = unparseable
        let present = values.filter { !$0.isNaN }.sorted()
        var points: [Double] = []
        var counts: [Int] = []
        for v in present {
            if let last = points.last, last == v {
                counts[counts.count - 1] += 1
            } else {
                points.append(v)
                counts.append(1)
            }
        }
        self.points = points
        self.pointCounts = counts
        self.missingCount = values.count - present.count
        let lower = points.first ?? 0, upper = points.last ?? 0
        let unit = upper > lower ? (upper - lower) / Self.cellsPerRange : max(abs(lower), 1) / Self.cellsPerRange
        self.unit = unit
        var pointCells: [Int] = []
        var realCellCounts = [0]
        for i in points.indices {
            pointCells.append(realCellCounts.count)
            realCellCounts.append(counts[i])
            if i + 1 < points.count {
                realCellCounts += Array(repeating: 0, count: Self.gapCells(points[i], points[i + 1], unit: unit))
            }
        }
        realCellCounts.append(0)
        self.pointCells = pointCells
        self.realCellCounts = realCellCounts
        self.edges = HistogramEdges(minimum: points.first, maximum: points.last, binCount: binCount)
        self.parser = parser
    }

    /// How many cells the gap `(low, high)` is cut into.
    private static func gapCells(_ low: Double, _ high: Double, unit: Double) -> Int {
        max(1, Int(((high - low) / unit).rounded(.up)))
    }

    /// All cells, inner and the two outer ones.
    var cellCount: Int { realCellCounts.count }

    /// Whether the real column holds exactly one distinct value (SDMetrics' `ConstantInputError`).
    var isConstant: Bool { points.count == 1 }

    /// The code of a synthetic cell whose value is `x`: `unparseableCode` when the cell is present
    /// but `x` is NaN, else `code(of: x)`.
    @inline(__always)
    func code(of x: Double, cell: String?) -> Int {
        CellParser.isUnparseable(cell, value: x) ? Self.unparseableCode : code(of: x)
    }

    /// The code of a value (see the type's documentation).
    @inline(__always)
    func code(of x: Double) -> Int {
        if x.isNaN { return 0 }
        let k = points.count
        if k == 0 { return x < 0 ? -(2 * bucket(-x) + 1) : -(2 * bucket(x) + 2) }
        return points.withUnsafeBufferPointer { p in
            if x < p[0] { return -(2 * bucket(p[0] - x) + 1) }
            if x > p[k - 1] { return -(2 * bucket(x - p[k - 1]) + 2) }
            var low = 0, high = k  // first index with p[index] >= x
            while low < high {
                let mid = (low + high) >> 1
                if p[mid] < x { low = mid + 1 } else { high = mid }
            }
            if p[low] == x { return pointCells[low] }
            // x lies in the gap after point low - 1.
            let first = pointCells[low - 1] + 1, count = pointCells[low] - first
            if count == 1 { return first }
            let position = (x - p[low - 1]) / (p[low] - p[low - 1]) * Double(count)
            return first + min(Int(position), count - 1)
        }
    }

    /// The outer bucket of a positive distance from the real range.
    @inline(__always)
    func bucket(_ distance: Double) -> Int {
        if distance < unit { return 0 }
        let b = 1 + Int((log2(distance / unit) * Self.bucketsPerOctave).rounded(.down))
        return min(b, Self.maxBucket)
    }

    /// Whether a (negative) outer code lies below the real range.
    static func isBelow(_ code: Int) -> Bool { (-code) % 2 == 1 }
}
