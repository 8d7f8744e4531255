/// The dense distance features of `EncodedRows`, exactly as the referee's `Encoder.transform`
/// builds them (`../shared/tools/eval_synth.py`):
///
///     [ x_1, (m_1), x_2, (m_2), ..., onehot(c_1), onehot(c_2), ... ]      (Float32)
///
/// `x_c` is the min-max scaled number (0 when missing); `m_c` is a missing-value indicator, present
/// only for numeric columns with a missing value in train, holdout or synthetic; `onehot(c)` has
/// one slot per kept level (the missing value is the level `__NA__` when kept) and is all zeros
/// for a value outside the kept levels.
///
/// Squared Euclidean distances between two rows are then, exactly:
///
///     Σ_c (x_c − x'_c)² + Σ_c [m_c ≠ m'_c] + Σ_c ([k ≠ k'] · ([k ≥ 0] + [k' ≥ 0]))
///
/// which `exactSquaredDistance` computes in `Double` from the compact form (no cancellation).
struct FeatureLayout: Sendable, Equatable {
    /// Whether numeric column `c` has a missing-value indicator.
    let hasIndicator: [Bool]
    /// Kept levels of each categorical column.
    let levelCounts: [Int]
    /// The first dense slot of each numeric column (its value; the indicator follows).
    let numericOffsets: [Int]
    /// The first dense slot of each categorical column's one-hot block.
    let categoricalOffsets: [Int]
    /// The width of a dense row.
    let featureCount: Int

    init(hasIndicator: [Bool], levelCounts: [Int]) {
        self.hasIndicator = hasIndicator
        self.levelCounts = levelCounts
        var offset = 0
        var numericOffsets: [Int] = []
        for indicator in hasIndicator {
            numericOffsets.append(offset)
            offset += indicator ? 2 : 1
        }
        var categoricalOffsets: [Int] = []
        for levels in levelCounts {
            categoricalOffsets.append(offset)
            offset += levels
        }
        self.numericOffsets = numericOffsets
        self.categoricalOffsets = categoricalOffsets
        featureCount = offset
    }

    /// The layout of a subset of the columns.
    func projected(numericColumns: [Int], categoricalColumns: [Int]) -> FeatureLayout {
        FeatureLayout(hasIndicator: numericColumns.map { hasIndicator[$0] },
                      levelCounts: categoricalColumns.map { levelCounts[$0] })
    }

    /// Writes rows `range` of `rows` as dense features, row `range.lowerBound + i` at
    /// `out + i * featureCount` (all other slots zero).
    func writeDense(_ rows: EncodedRows, _ range: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        let width = featureCount
        out.update(repeating: 0, count: range.count * width)
        let nw = rows.numericWidth, cw = rows.categoricalWidth
        rows.numbers.withUnsafeBufferPointer { numbers in
            rows.codes.withUnsafeBufferPointer { codes in
                for (i, row) in range.enumerated() {
                    let base = out + i * width
                    for c in 0 ..< nw {
                        let x = numbers[row * nw + c]
                        let slot = numericOffsets[c]
                        if x.isNaN {
                            if hasIndicator[c] { base[slot + 1] = 1 }
                        } else {
                            base[slot] = x
                        }
                    }
                    for c in 0 ..< cw {
                        let code = codes[row * cw + c]
                        if code >= 0 { base[categoricalOffsets[c] + Int(code)] = 1 }
                    }
                }
            }
        }
    }

    /// The squared norms of the dense rows, in `Double`.
    func squaredNorms(_ rows: EncodedRows) -> [Double] {
        let nw = rows.numericWidth, cw = rows.categoricalWidth
        var norms = [Double](repeating: 0, count: rows.count)
        for row in 0 ..< rows.count {
            var sum = 0.0
            for c in 0 ..< nw {
                let x = rows.numbers[row * nw + c]
                if x.isNaN {
                    if hasIndicator[c] { sum += 1 }
                } else {
                    sum += Double(x) * Double(x)
                }
            }
            for c in 0 ..< cw where rows.codes[row * cw + c] >= 0 { sum += 1 }
            norms[row] = sum
        }
        return norms
    }

    /// The squared Euclidean distance between row `i` of `a` and row `j` of `b`, in `Double`
    /// from the Float32 features, summed term by term (no `‖a‖² + ‖b‖² − 2a·b` cancellation).
    @inline(__always)
    func exactSquaredDistance(_ a: UnsafePointer<Float>, _ aCodes: UnsafePointer<Int32>,
                              _ b: UnsafePointer<Float>, _ bCodes: UnsafePointer<Int32>,
                              numericWidth: Int, categoricalWidth: Int) -> Double {
        var sum = 0.0
        for c in 0 ..< numericWidth {
            let x = a[c], y = b[c]
            let xMissing = x.isNaN, yMissing = y.isNaN
            let dx = Double(xMissing ? 0 : x) - Double(yMissing ? 0 : y)
            sum += dx * dx
            if xMissing != yMissing, hasIndicator[c] { sum += 1 }
        }
        for c in 0 ..< categoricalWidth {
            let k = aCodes[c], l = bCodes[c]
            if k != l { sum += Double((k >= 0 ? 1 : 0) + (l >= 0 ? 1 : 0)) }
        }
        return sum
    }
}
