/// A design matrix with a fixed number of slots per row: `width` pairs `(feature, value)` per row,
/// a slot with feature `-1` being empty. One-hot categories fill one slot each, numbers one or two
/// (value and missing indicator), so a row of a 15-column table has about 15 non-zeros however many
/// levels the one-hot blocks have.
struct SparseDesign: Sendable, Equatable {
    /// Columns of the dense matrix.
    let featureCount: Int
    /// Slots per row.
    let width: Int
    /// `features[row * width + s]`: the feature of slot `s`, or `-1`.
    var features: [Int32] = []
    /// `values[row * width + s]`: its value.
    var values: [Double] = []

    init(featureCount: Int, width: Int) {
        self.featureCount = featureCount
        self.width = width
    }

    /// The number of rows.
    var rowCount: Int { width == 0 ? 0 : features.count / width }

    /// `x_row · w` (without intercept).
    @inline(__always)
    func dot(row: Int, _ w: UnsafeBufferPointer<Double>) -> Double {
        var sum = 0.0
        let base = row * width
        for s in 0 ..< width {
            let f = features[base + s]
            if f >= 0 { sum += values[base + s] * w[Int(f)] }
        }
        return sum
    }

    /// The rows `rows`, in that order.
    func subset(_ rows: [Int]) -> SparseDesign {
        var out = SparseDesign(featureCount: featureCount, width: width)
        out.features.reserveCapacity(rows.count * width)
        out.values.reserveCapacity(rows.count * width)
        for r in rows {
            out.features.append(contentsOf: features[r * width ..< (r + 1) * width])
            out.values.append(contentsOf: values[r * width ..< (r + 1) * width])
        }
        return out
    }

    /// The dense matrix `[rows, featureCount]` (for tests and small problems).
    func dense() -> [[Double]] {
        (0 ..< rowCount).map { r in
            var row = [Double](repeating: 0, count: featureCount)
            for s in 0 ..< width where features[r * width + s] >= 0 {
                row[Int(features[r * width + s])] += values[r * width + s]
            }
            return row
        }
    }

    /// Accumulates the normal-equation terms of the augmented design `[X, 1]`:
    /// `gram += Σ_i weight_i [x_i, 1][x_i, 1]ᵀ` (upper triangle, `[p+1, p+1]` row-major) and
    /// `moment += Σ_i target_i [x_i, 1]`.
    ///
    /// - Parameters:
    ///   - weights: One weight per row; nil = all 1.
    ///   - targets: One target per row.
    func accumulateNormalEquations(weights: [Double]?, targets: [Double], gram: inout [Double],
                                   moment: inout [Double]) {
        let p = featureCount, n = p + 1, width = width
        precondition(targets.count == rowCount && (weights?.count ?? rowCount) == rowCount, "one value per row")
        let ones = weights == nil ? [Double](repeating: 1, count: rowCount) : []
        gram.withUnsafeMutableBufferPointer { g in
        moment.withUnsafeMutableBufferPointer { m in
        features.withUnsafeBufferPointer { f in
        values.withUnsafeBufferPointer { v in
        (weights ?? ones).withUnsafeBufferPointer { w in
        targets.withUnsafeBufferPointer { t in
            for row in 0 ..< rowCount {
                let weight = w[row], target = t[row]
                let base = row * width
                for a in 0 ..< width {
                    let fa = Int(f[base + a])
                    if fa < 0 { continue }
                    let va = v[base + a]
                    m[fa] += target * va
                    let wa = weight * va
                    let gramRow = fa * n
                    for b in 0 ..< width {
                        let fb = Int(f[base + b])
                        if fb < fa { continue }  // the upper triangle (slots never share a feature)
                        g[gramRow + fb] += wa * v[base + b]
                    }
                    g[gramRow + p] += wa
                }
                m[p] += target
                g[p * n + p] += weight
            }
        }}}}}}
    }
}
