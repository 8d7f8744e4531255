import MimeoNN
import MimeoTensor

// Dimension key: B = rows, S = sub-columns, C = modelled columns, D = Σ d_s, H = H_s, V = V_s,
// K = context width of a projected model.

/// Scratch memory for one thread's forward and backward passes, sized for `capacity` rows.
public final class TrainingWorkspace: @unchecked Sendable {
    let capacity: Int
    var embeddings: [Float]          // E  [B, D]
    var embeddingGradient: [Float]   // dE [B, D]
    var masked: [Float]              // X  [B, D] (full architecture only)
    var maskedGradient: [Float]      // dX [B, D] (full architecture only)
    var contributions: [Float]       // c_t = E_t[tok_t] · P_t, then dc_t: [S, B, K] (projected only)
    var contexts: [Float]            // x_s = Σ_{t before s} c_t, then dx_s: [S, B, K] (projected only)
    var contextGradient: [Float]     // dx_s of one head [B, K] (projected only)
    var rankOrder: [Int32]           // each row's sub-columns sorted by rank [B, S] (projected only)
    var hidden: [Float]              // H  [B, maxH]
    var hiddenGradient: [Float]      // dH [B, maxH]
    var logits: [Float]              // L  [B, maxV], also dL
    var keep: [Bool]                 // [B, S]
    /// The gradient of the summed loss, laid out like the parameters.
    public var gradients: [Float]

    public init(architecture: ModelArchitecture, capacity: Int) {
        self.capacity = capacity
        let D = architecture.inputWidth, S = architecture.subColumnCount
        let maxH = architecture.hiddenWidths.max() ?? 1
        let maxV = architecture.cardinalities.max() ?? 1
        embeddings = [Float](repeating: 0, count: capacity * D)
        embeddingGradient = embeddings
        if let K = architecture.contextWidth {
            masked = []
            maskedGradient = []
            contributions = [Float](repeating: 0, count: S * capacity * K)
            contexts = contributions
            contextGradient = [Float](repeating: 0, count: capacity * K)
            rankOrder = [Int32](repeating: 0, count: capacity * S)
        } else {
            masked = embeddings
            maskedGradient = embeddings
            contributions = []
            contexts = []
            contextGradient = []
            rankOrder = []
        }
        hidden = [Float](repeating: 0, count: capacity * maxH)
        hiddenGradient = hidden
        logits = [Float](repeating: 0, count: capacity * maxV)
        keep = [Bool](repeating: false, count: capacity * architecture.subColumnCount)
        gradients = [Float](repeating: 0, count: ParameterLayout(architecture).count)
    }
}

extension TabularModel {
    /// The summed negative log-likelihood of `B` rows, each predicted sub-column by sub-column in its
    /// own column order; with `accumulateGradients`, adds `lossScale ·` its gradient to
    /// `workspace.gradients`.
    ///
    /// - Parameters:
    ///   - tokens: `[B, S]` token rows.
    ///   - ranks: `[B, S]`: for each row and sub-column, the position of the sub-column in the row's
    ///     generation order (a column's parts are consecutive). Sub-column t is visible to head s iff
    ///     `ranks[b, t] < ranks[b, s]`.
    /// - Returns: the summed loss over rows and sub-columns.
    public func lossAndGradient(
        tokens: UnsafePointer<Int32>, ranks: UnsafePointer<Int32>, rowCount B: Int,
        workspace: TrainingWorkspace, accumulateGradients: Bool, lossScale: Float
    ) -> Double {
        precondition(B <= workspace.capacity, "batch larger than the workspace")
        if architecture.isProjected {
            return projectedLossAndGradient(tokens: tokens, ranks: ranks, rowCount: B, workspace: workspace,
                                            accumulateGradients: accumulateGradients, lossScale: lossScale)
        }
        let S = architecture.subColumnCount
        let D = architecture.inputWidth
        let offsets = architecture.embeddingOffsets
        // Local copies: reading arrays through `self` inside the loops retains and releases them on every
        // access, and with several threads those reference counts become contended cache lines.
        let hiddenWidths = architecture.hiddenWidths, cardinalities = architecture.cardinalities
        let embeddingWidths = architecture.embeddingWidths
        let embeddingOffset = layout.embedding, hiddenWeight = layout.hiddenWeight, hiddenBias = layout.hiddenBias
        let outputWeight = layout.outputWeight, outputBias = layout.outputBias
        var total = 0.0
        parameters.withUnsafeBufferPointer { parameterBuffer in
            let P = parameterBuffer.baseAddress!
            workspace.gradients.withUnsafeMutableBufferPointer { gradientBuffer in
                let G = gradientBuffer.baseAddress!
                withWorkspacePointers(workspace) { E, dE, X, dX, Hd, dH, L, keep in
                    // Embeddings of every sub-column, side by side: E [B, D].
                    for s in 0..<S {
                        Embedding.forward(out: E + offsets[s], outStride: D, tokens: tokens + s, tokenStride: S,
                                          table: P + embeddingOffset[s], batchSize: B,
                                          width: embeddingWidths[s])
                    }
                    if accumulateGradients { dE.update(repeating: 0, count: B * D) }
                    for s in 0..<S {
                        let H = hiddenWidths[s], V = cardinalities[s]
                        // Which sub-columns head s sees, row by row.
                        for b in 0..<B {
                            let own = ranks[b * S + s]
                            for t in 0..<S { keep[b * S + t] = ranks[b * S + t] < own }
                        }
                        BlockMask.forward(out: X, input: E, keep: keep, offsets: offsets, batchSize: B)     // [B, D]
                        let head = HeadOffsets(hiddenWeight: hiddenWeight[s], hiddenBias: hiddenBias[s],
                                               outputWeight: outputWeight[s], outputBias: outputBias[s])
                        total += headLossAndGradient(
                            input: X, inputWidth: D, hiddenWidth: H, classes: V, head: head, targets: tokens + s,
                            targetStride: S, rowCount: B, parameters: P, gradients: G, hidden: Hd,
                            hiddenGradient: dH, logits: L, inputGradient: dX,
                            accumulateGradients: accumulateGradients, lossScale: lossScale)   // dX [B, D]
                        guard accumulateGradients else { continue }
                        BlockMask.backward(inputGradient: dE, outputGradient: dX, keep: keep, offsets: offsets,
                                           batchSize: B)                                                   // dE [B, D]
                    }
                    if accumulateGradients {
                        for s in 0..<S {
                            Embedding.backward(tableGradient: G + embeddingOffset[s], outputGradient: dE + offsets[s],
                                               gradientStride: D, tokens: tokens + s, tokenStride: S, batchSize: B,
                                               width: embeddingWidths[s])
                        }
                    }
                }
            }
        }
        return total
    }

    private func withWorkspacePointers(
        _ w: TrainingWorkspace,
        _ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>,
                 UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>,
                 UnsafeMutablePointer<Float>, UnsafeMutablePointer<Bool>) -> Void
    ) {
        w.embeddings.withUnsafeMutableBufferPointer { E in
            w.embeddingGradient.withUnsafeMutableBufferPointer { dE in
                w.masked.withUnsafeMutableBufferPointer { X in
                    w.maskedGradient.withUnsafeMutableBufferPointer { dX in
                        w.hidden.withUnsafeMutableBufferPointer { H in
                            w.hiddenGradient.withUnsafeMutableBufferPointer { dH in
                                w.logits.withUnsafeMutableBufferPointer { L in
                                    w.keep.withUnsafeMutableBufferPointer { keep in
                                        body(E.baseAddress!, dE.baseAddress!, X.baseAddress!, dX.baseAddress!,
                                             H.baseAddress!, dH.baseAddress!, L.baseAddress!, keep.baseAddress!)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Where one head's four parameter tensors start in the flat parameter (and gradient) buffer.
struct HeadOffsets {
    var hiddenWeight: Int, hiddenBias: Int, outputWeight: Int, outputBias: Int
}

/// One head's summed loss over `B` rows from its inputs `x` `[B, I]`:
/// `h = relu(x · W1 + b1)`, `z = h · W2 + b2`, cross-entropy against `targets`. With
/// `accumulateGradients`, also the backward pass: adds `lossScale ·` the head's weight gradients to
/// `gradients` and writes `dx` `[B, I]` to `inputGradient`. Shared by the full and the projected
/// architecture, which differ only in how `x` is built.
@inline(__always)
func headLossAndGradient(
    input x: UnsafePointer<Float>, inputWidth I: Int, hiddenWidth H: Int, classes V: Int, head: HeadOffsets,
    targets: UnsafePointer<Int32>, targetStride S: Int, rowCount B: Int,
    parameters P: UnsafePointer<Float>, gradients G: UnsafeMutablePointer<Float>,
    hidden Hd: UnsafeMutablePointer<Float>, hiddenGradient dH: UnsafeMutablePointer<Float>,
    logits L: UnsafeMutablePointer<Float>, inputGradient dX: UnsafeMutablePointer<Float>,
    accumulateGradients: Bool, lossScale: Float
) -> Double {
    Linear.forward(out: Hd, input: x, weight: P + head.hiddenWeight, bias: P + head.hiddenBias,
                   batchSize: B, inFeatures: I, outFeatures: H)
    ReLU.forward(Hd, count: B * H)                                                                  // [B, H]
    Linear.forward(out: L, input: Hd, weight: P + head.outputWeight, bias: P + head.outputBias,
                   batchSize: B, inFeatures: H, outFeatures: V)
    guard accumulateGradients else {
        return SoftmaxCrossEntropy.loss(logits: L, targets: targets, targetStride: S, batchSize: B, classes: V)
    }
    let loss = SoftmaxCrossEntropy.forwardBackward(
        logits: L, targets: targets, targetStride: S, logitGradient: L, scale: lossScale,
        batchSize: B, classes: V)                                                                   // dL [B, V]
    Linear.backward(inputGradient: dH, weightGradient: G + head.outputWeight, biasGradient: G + head.outputBias,
                    outputGradient: L, input: Hd, weight: P + head.outputWeight, batchSize: B,
                    inFeatures: H, outFeatures: V)                                                  // dH [B, H]
    ReLU.backward(gradient: dH, output: Hd, count: B * H)
    Linear.backward(inputGradient: dX, weightGradient: G + head.hiddenWeight, biasGradient: G + head.hiddenBias,
                    outputGradient: dH, input: x, weight: P + head.hiddenWeight, batchSize: B,
                    inFeatures: I, outFeatures: H)                                                  // dx [B, I]
    return loss
}
