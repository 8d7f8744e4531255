/// Where the synthetic values of one number column fall among SDMetrics' bins, which are cut
/// from the synthetic minimum and maximum and so are known only once every row is summarised.
///
/// Each value cell (or outer bucket) of the summary becomes a distribution over bins:
/// - a cell whose smallest and largest values fall in one bin (always so for a cell holding one
///   real value) goes to that bin, exactly;
/// - otherwise the cell *straddles* an edge: its values equal to the synthetic maximum go to the
///   maximum's bin, and the rest are spread over the cell's `[minimum, maximum)` in proportion to
///   length (an estimate: the values inside the cell are not kept). The straddling cells' share of
///   the rows bounds the error this can cause in a contingency score.
struct SyntheticBinning {
    let edges: HistogramEdges
    /// Bin weights (summing to 1) per cell or outer code with values; `bins[b]` is bin `b`.
    private(set) var cellWeights: [Int: [Double]] = [:]
    /// The bin of cells that fall in one bin.
    private(set) var cellBin: [Int: Int] = [:]
    let binSlots: Int

    init(summary: ContinuousColumnSummary, binCount: Int) {
        let present = summary.count > 0
        edges = HistogramEdges(minimum: present ? summary.minimum : nil, maximum: present ? summary.maximum : nil,
                               binCount: binCount)
        binSlots = edges.missingBin + 1
        for c in summary.cells.indices where summary.cells[c] != 0 && c > 0 && c < summary.cells.count - 1 {
            place(c, count: summary.cells[c], low: summary.cellMinimum[c], high: summary.cellMaximum[c],
                  summary: summary)
        }
        for (code, atom) in summary.outer where atom.count > 0 {
            place(code, count: atom.count, low: atom.minimum, high: atom.maximum, summary: summary)
        }
    }

    private mutating func place(_ key: Int, count: Int, low: Double, high: Double, summary: ContinuousColumnSummary) {
        let first = edges.bin(of: low), last = edges.bin(of: high)
        if first == last {
            cellBin[key] = first
            return
        }
        var weights = Array(repeating: 0.0, count: binSlots)
        let atMaximum = high == summary.maximum ? summary.countAtMaximum : 0
        weights[last] += Double(atMaximum)
        let rest = Double(count - atMaximum)
        let e = edges.edges
        if rest > 0 {
            for b in first ... last {
                let lower = b == 0 ? -Double.infinity : e[b - 1]
                let upper = b < e.count ? e[b] : Double.infinity
                let overlap = min(high, upper) - max(low, lower)
                if overlap > 0 { weights[b] += rest * overlap / (high - low) }
            }
        }
        let total = weights.reduce(0, +)
        cellWeights[key] = weights.map { $0 / total }
    }

    /// Adds `count × weight` per bin of cell (or outer code) `key` to `into`; returns the mass
    /// that was apportioned rather than placed exactly (all of `count` for a straddling cell).
    @discardableResult
    func distribute(cell key: Int, count: Double, into body: (_ bin: Int, _ amount: Double) -> Void) -> Double {
        if let bin = cellBin[key] {
            body(bin, count)
            return 0
        }
        guard let weights = cellWeights[key] else { return 0 }
        for (b, w) in weights.enumerated() where w > 0 { body(b, count * w) }
        return count
    }

    /// The bin weights of a group of inner cells `cells` (pooled by coarsening), weighted by the
    /// cells' counts; nil when they hold no values.
    func weights(ofCells cells: ClosedRange<Int>, counts: [Int]) -> [Double]? {
        var weights = Array(repeating: 0.0, count: binSlots)
        var total = 0.0
        for c in cells where counts[c] != 0 {
            let n = Double(counts[c])
            total += n
            distribute(cell: c, count: n) { weights[$0] += $1 }
        }
        guard total > 0 else { return nil }
        return weights.map { $0 / total }
    }
}
