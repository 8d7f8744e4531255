import MimeoTensor

// Dimension key: B = batch size, C = input features, OC = output features.

/// A fully connected layer: `out = input · weight + bias`, with `weight` of shape `[C, OC]`
/// (row-major, one row per input feature) and `bias` of shape `[OC]`.
///
/// Pointer-level kernels in the llm.c style: the caller owns all buffers, so the same weights can be
/// used from several threads with separate activations and gradients.
public enum Linear {
    /// `out[B, OC] = input[B, C] · weight[C, OC] + bias[OC]`.
    public static func forward(
        out: UnsafeMutablePointer<Float>,
        input: UnsafePointer<Float>,
        weight: UnsafePointer<Float>,
        bias: UnsafePointer<Float>?,
        batchSize B: Int, inFeatures C: Int, outFeatures OC: Int
    ) {
        if let bias {
            for b in 0..<B { (out + b * OC).update(from: bias, count: OC) }
        }
        BLAS.sgemm(m: B, n: OC, k: C, a: input, lda: C, b: weight, ldb: OC,
                   beta: bias == nil ? 0 : 1, c: out, ldc: OC)
    }

    /// Accumulates `weightGradient += inputᵀ · outputGradient`, `biasGradient += Σ_b outputGradient`,
    /// and writes (or, with `accumulateInput`, adds) `inputGradient = outputGradient · weightᵀ`.
    ///
    /// - Parameters:
    ///   - inputGradient: `[B, C]`, or `nil` when the input needs no gradient.
    ///   - weightGradient: `[C, OC]`, accumulated.
    ///   - biasGradient: `[OC]`, accumulated; `nil` when the layer has no bias.
    ///   - outputGradient: `[B, OC]`.
    ///   - input: `[B, C]`, the forward input.
    ///   - weight: `[C, OC]`.
    public static func backward(
        inputGradient: UnsafeMutablePointer<Float>?,
        weightGradient: UnsafeMutablePointer<Float>,
        biasGradient: UnsafeMutablePointer<Float>?,
        outputGradient: UnsafePointer<Float>,
        input: UnsafePointer<Float>,
        weight: UnsafePointer<Float>,
        batchSize B: Int, inFeatures C: Int, outFeatures OC: Int,
        accumulateInput: Bool = false
    ) {
        BLAS.sgemm(transposeA: true, m: C, n: OC, k: B, a: input, lda: C, b: outputGradient, ldb: OC,
                   beta: 1, c: weightGradient, ldc: OC)
        if let biasGradient {
            for b in 0..<B {
                let row = outputGradient + b * OC
                for o in 0..<OC { biasGradient[o] += row[o] }
            }
        }
        if let inputGradient {
            BLAS.sgemm(transposeB: true, m: B, n: C, k: OC, a: outputGradient, lda: OC, b: weight, ldb: OC,
                       beta: accumulateInput ? 1 : 0, c: inputGradient, ldc: C)
        }
    }
}
