/// The bins SDMetrics cuts a number or datetime column into before pairing it with a discrete
/// column: `np.histogram_bin_edges(values.dropna())` (10 equal-width bins between the column's own
/// minimum and maximum) and `np.digitize(value, edges)`.
///
/// `bin(of:)` is the number of edges `<= x`, so values fall in bins `1...binCount` except the
/// maximum itself, which gets its own bin `binCount + 1`, shared with missing values (numpy sorts
/// NaN after every edge). Each side of a comparison is binned with the edges of its *own* values.
///
/// The edges are computed exactly as numpy does: `first + i * ((last - first) / binCount)`, the
/// last edge set to `last`; a constant column widens to `first - 0.5 ... first + 0.5`; no values
/// give `0 ... 1`.
public struct HistogramEdges: Sendable, Equatable {
    /// The `binCount + 1` increasing edges.
    public let edges: [Double]

    /// The edges for values spanning `minimum...maximum` (`nil` for no values).
    public init(minimum: Double?, maximum: Double?, binCount: Int = 10) {
        precondition(binCount > 0, "at least one bin")
        var first = 0.0, last = 1.0
        if let minimum, let maximum {
            first = minimum
            last = maximum
        }
        if first == last {
            first -= 0.5
            last += 0.5
        }
        let div = Double(binCount)
        let delta = last - first
        let step = delta / div
        var edges = (0 ... binCount).map { i -> Double in
            let y = step == 0 ? Double(i) / div * delta : Double(i) * step
            return y + first
        }
        edges[binCount] = last
        self.edges = edges
    }

    /// The bin of `x`: how many edges are `<= x`; NaN (missing) gives `edges.count`.
    @inline(__always)
    public func bin(of x: Double) -> Int {
        if x.isNaN { return edges.count }
        var low = 0, high = edges.count
        while low < high {
            let mid = (low + high) >> 1
            if edges[mid] <= x { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// The bin index missing values get (`binCount + 1`), which they share with the maximum.
    public var missingBin: Int { edges.count }
}
