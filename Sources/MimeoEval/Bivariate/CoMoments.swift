/// Mergeable first and second moments of a pair of numeric columns, over the rows where both
/// values are present: enough for Pearson's r.
///
///     n, mean_x, mean_y, M2_x = sum (x - mean_x)^2, M2_y, C_xy = sum (x - mean_x)(y - mean_y)
///
/// Chunks are summed with a two-pass loop and combined with Chan, Golub & LeVeque's pairwise
/// update, so merging in any order agrees with one pass over all rows to rounding (~1e-15
/// relative). The extremes are kept so that a constant column is recognised exactly (scipy
/// returns NaN for it).
public struct CoMoments: Codable, Sendable, Equatable {
    /// Rows with both values.
    public private(set) var count = 0
    /// The mean of `x` over those rows.
    public private(set) var meanX = 0.0
    /// The mean of `y` over those rows.
    public private(set) var meanY = 0.0
    /// `M2_x = sum (x - mean_x)^2`.
    public private(set) var sumSquaresX = 0.0
    /// `M2_y = sum (y - mean_y)^2`.
    public private(set) var sumSquaresY = 0.0
    /// `C_xy = sum (x - mean_x)(y - mean_y)`.
    public private(set) var sumProducts = 0.0
    /// The extremes of `x` and `y` over those rows.
    public private(set) var minimumX = Double.infinity
    public private(set) var maximumX = -Double.infinity
    public private(set) var minimumY = Double.infinity
    public private(set) var maximumY = -Double.infinity

    /// No rows.
    public init() {}

    /// Adds the rows of two equally long columns where neither value is NaN.
    public mutating func add(_ x: [Double], _ y: [Double]) {
        x.withUnsafeBufferPointer { xs in
            y.withUnsafeBufferPointer { ys in add(xs, ys) }
        }
    }

    /// Adds the rows of two equally long buffers where neither value is NaN.
    mutating func add(_ x: UnsafeBufferPointer<Double>, _ y: UnsafeBufferPointer<Double>) {
        precondition(x.count == y.count, "one value per row in each column")
        var n = 0
        var sumX = 0.0, sumY = 0.0
        var chunk = CoMoments()
        for i in 0 ..< x.count {
            let a = x[i], b = y[i]
            if a.isNaN || b.isNaN { continue }
            n += 1
            sumX += a
            sumY += b
            chunk.minimumX = min(chunk.minimumX, a)
            chunk.maximumX = max(chunk.maximumX, a)
            chunk.minimumY = min(chunk.minimumY, b)
            chunk.maximumY = max(chunk.maximumY, b)
        }
        guard n > 0 else { return }
        let mx = sumX / Double(n), my = sumY / Double(n)
        var sxx = 0.0, syy = 0.0, sxy = 0.0
        for i in 0 ..< x.count {
            let a = x[i], b = y[i]
            if a.isNaN || b.isNaN { continue }
            let dx = a - mx, dy = b - my
            sxx += dx * dx
            syy += dy * dy
            sxy += dx * dy
        }
        chunk.count = n
        chunk.meanX = mx
        chunk.meanY = my
        chunk.sumSquaresX = sxx
        chunk.sumSquaresY = syy
        chunk.sumProducts = sxy
        merge(chunk)
    }

    /// Combines the moments of another set of rows into these.
    public mutating func merge(_ other: CoMoments) {
        guard other.count > 0 else { return }
        guard count > 0 else {
            self = other
            return
        }
        let na = Double(count), nb = Double(other.count), n = na + nb
        let dx = other.meanX - meanX, dy = other.meanY - meanY
        meanX += dx * nb / n
        meanY += dy * nb / n
        sumSquaresX += other.sumSquaresX + dx * dx * na * nb / n
        sumSquaresY += other.sumSquaresY + dy * dy * na * nb / n
        sumProducts += other.sumProducts + dx * dy * na * nb / n
        count += other.count
        minimumX = min(minimumX, other.minimumX)
        maximumX = max(maximumX, other.maximumX)
        minimumY = min(minimumY, other.minimumY)
        maximumY = max(maximumY, other.maximumY)
    }

    /// Pearson's r, clipped to `-1...1`; `nil` for fewer than two rows or a constant column.
    public var correlation: Double? {
        guard count >= 2, minimumX < maximumX, minimumY < maximumY else { return nil }
        let r = sumProducts / (sumSquaresX.squareRoot() * sumSquaresY.squareRoot())
        return r.isNaN ? nil : min(max(r, -1), 1)
    }
}
