import MimeoEval

/// Pearson's r between every two number or datetime columns, in the real table and in the
/// synthetic sample, each over the rows where both values are present.
///
/// `real[i][j]` is `nil` when r is undefined (a constant column, fewer than two rows with both
/// values); the diagonal is 1 unless the column is constant.
public struct CorrelationMatrices: Codable, Sendable, Equatable {
    /// The columns, in schema order.
    public var columns: [String]
    public var real: [[Double?]]
    public var synthetic: [[Double?]]
    /// Number and datetime columns left out to keep the heatmaps readable (`maxCorrelationColumns`).
    public var omittedColumns: [String]

    /// Correlates the value columns (NaN: missing) of both sides.
    ///
    /// - Parameters:
    ///   - columns: The names, one per value column.
    ///   - real: `real[c][r]`: column `c`, row `r` of the real table.
    ///   - synthetic: The same for the synthetic sample.
    ///   - omittedColumns: Names of columns not passed in, listed in the report.
    public init(columns: [String], real: [[Double]], synthetic: [[Double]], omittedColumns: [String] = []) {
        self.columns = columns
        self.real = Self.matrix(real)
        self.synthetic = Self.matrix(synthetic)
        self.omittedColumns = omittedColumns
    }

    /// `synthetic - real`, cell by cell (`nil` where either is).
    public var difference: [[Double?]] {
        zip(real, synthetic).map { zip($0, $1).map { r, s in r.flatMap { r in s.map { $0 - r } } } }
    }

    private static func matrix(_ values: [[Double]]) -> [[Double?]] {
        let n = values.count
        var result = [[Double?]](repeating: [Double?](repeating: nil, count: n), count: n)
        for i in 0 ..< n {
            for j in i ..< n {
                var moments = CoMoments()
                moments.add(values[i], values[j])
                let r = i == j ? moments.correlation.map { _ in 1.0 } : moments.correlation
                result[i][j] = r
                result[j][i] = r
            }
        }
        return result
    }
}
