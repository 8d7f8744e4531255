// Dimension key: B = batch size, V = vocabulary size, D = embedding width.

/// A lookup table of learned vectors: row `token` of `table[V, D]`.
public enum Embedding {
    /// `out[b, ·] = table[tokens[b * tokenStride], ·]` for `B` rows; `out` rows are `outStride` apart.
    public static func forward(
        out: UnsafeMutablePointer<Float>, outStride: Int,
        tokens: UnsafePointer<Int32>, tokenStride: Int,
        table: UnsafePointer<Float>,
        batchSize B: Int, width D: Int
    ) {
        for b in 0..<B {
            let token = Int(tokens[b * tokenStride])
            (out + b * outStride).update(from: table + token * D, count: D)
        }
    }

    /// `tableGradient[tokens[b], ·] += outputGradient[b, ·]` (accumulated; rows `gradientStride` apart).
    public static func backward(
        tableGradient: UnsafeMutablePointer<Float>,
        outputGradient: UnsafePointer<Float>, gradientStride: Int,
        tokens: UnsafePointer<Int32>, tokenStride: Int,
        batchSize B: Int, width D: Int
    ) {
        for b in 0..<B {
            let token = Int(tokens[b * tokenStride])
            let dst = tableGradient + token * D
            let src = outputGradient + b * gradientStride
            for d in 0..<D { dst[d] += src[d] }
        }
    }
}
