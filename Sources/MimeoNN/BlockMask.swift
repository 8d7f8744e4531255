// Dimension key: B = batch size, D = total width, K = number of blocks.

/// Copies a row-wise selection of feature blocks: block `k` of row `b` is kept when
/// `keep[b * K + k]` is true and zeroed otherwise. This is how the any-order model hides the
/// columns that come later in a row's order.
public enum BlockMask {
    /// `out[b, block k] = keep[b, k] ? input[b, block k] : 0`. Blocks are given by `offsets` (K + 1 entries).
    public static func forward(
        out: UnsafeMutablePointer<Float>,
        input: UnsafePointer<Float>,
        keep: UnsafePointer<Bool>,
        offsets: [Int],
        batchSize B: Int
    ) {
        let K = offsets.count - 1
        let D = offsets[K]
        for b in 0..<B {
            let src = input + b * D
            let dst = out + b * D
            for k in 0..<K {
                let start = offsets[k], width = offsets[k + 1] - start
                if keep[b * K + k] {
                    (dst + start).update(from: src + start, count: width)
                } else {
                    (dst + start).update(repeating: 0, count: width)
                }
            }
        }
    }

    /// `inputGradient[b, block k] += keep[b, k] ? outputGradient[b, block k] : 0`.
    public static func backward(
        inputGradient: UnsafeMutablePointer<Float>,
        outputGradient: UnsafePointer<Float>,
        keep: UnsafePointer<Bool>,
        offsets: [Int],
        batchSize B: Int
    ) {
        let K = offsets.count - 1
        let D = offsets[K]
        for b in 0..<B {
            let src = outputGradient + b * D
            let dst = inputGradient + b * D
            for k in 0..<K where keep[b * K + k] {
                for d in offsets[k]..<offsets[k + 1] { dst[d] += src[d] }
            }
        }
    }
}
