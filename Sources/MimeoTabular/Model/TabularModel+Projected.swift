import MimeoNN
import MimeoTensor

// Dimension key: B = rows, S = sub-columns, D = Σ d_s, d = d_t, H = H_s, V = V_s, K = context width.

extension TabularModel {
    /// `lossAndGradient` for the projected architecture (`architecture.contextWidth` set).
    ///
    /// ```
    /// E     = [E_0[tok_0] | … | E_{S-1}[tok_{S-1}]]            [B, D]
    /// c_t   = E_t[tok_t] · P_t                                 [B, K]   one sgemm per sub-column
    /// x_s   = Σ_{t : rank_t < rank_s} c_t                      [B, K]   prefix sum in each row's rank order
    /// h_s   = relu(x_s · W1_s + b1_s); z_s = h_s · W2_s + b2_s
    /// dc_t  = Σ_{s : rank_t < rank_s} dx_s                             suffix sum in the same order
    /// dP_t += E_t[tok_t]ᵀ · dc_t;  dE_t = dc_t · P_tᵀ
    /// ```
    ///
    /// Per row this costs O(S·K) for the sums and O(Σ_s K·H_s) for the heads, where the full
    /// architecture costs O(Σ_s D·H_s), which grows with S².
    func projectedLossAndGradient(
        tokens: UnsafePointer<Int32>, ranks: UnsafePointer<Int32>, rowCount B: Int,
        workspace: TrainingWorkspace, accumulateGradients: Bool, lossScale: Float
    ) -> Double {
        let S = architecture.subColumnCount
        let D = architecture.inputWidth
        let K = architecture.contextWidth!
        guard S > 0 else { return 0 }
        let offsets = architecture.embeddingOffsets
        // Local copies, as in the full path: no retains of `self`'s arrays inside the loops.
        let hiddenWidths = architecture.hiddenWidths, cardinalities = architecture.cardinalities
        let embeddingWidths = architecture.embeddingWidths
        let embeddingOffset = layout.embedding, projection = layout.projection
        let hiddenWeight = layout.hiddenWeight, hiddenBias = layout.hiddenBias
        let outputWeight = layout.outputWeight, outputBias = layout.outputBias
        let slab = B * K  // one sub-column's [B, K] block of `contributions` and `contexts`
        var total = 0.0
        parameters.withUnsafeBufferPointer { parameterBuffer in
            workspace.gradients.withUnsafeMutableBufferPointer { gradientBuffer in
                withProjectedPointers(workspace) { E, dE, C, X, dX, Hd, dH, L, order in
                    let P = parameterBuffer.baseAddress!, G = gradientBuffer.baseAddress!
                    // E [B, D], then c_t = E_t · P_t into C[t] ([B, d_t] · [d_t, K]).
                    for t in 0..<S {
                        Embedding.forward(out: E + offsets[t], outStride: D, tokens: tokens + t, tokenStride: S,
                                          table: P + embeddingOffset[t], batchSize: B, width: embeddingWidths[t])
                        BLAS.sgemm(m: B, n: K, k: embeddingWidths[t], a: E + offsets[t], lda: D,
                                   b: P + projection[t], ldb: K, c: C + t * slab, ldc: K)
                    }
                    // Each row's sub-columns in rank order; x of the first is 0, then
                    // x_{o_i} = x_{o_{i-1}} + c_{o_{i-1}} (an exclusive prefix sum).
                    for b in 0..<B {
                        let row = order + b * S, rowRanks = ranks + b * S
                        for t in 0..<S { row[t] = Int32(t) }
                        var rowOrder = UnsafeMutableBufferPointer(start: row, count: S)
                        rowOrder.sort { rowRanks[Int($0)] < rowRanks[Int($1)] }
                        var previous = Int(row[0])
                        (X + previous * slab + b * K).update(repeating: 0, count: K)
                        for i in 1..<max(1, S) {
                            let t = Int(row[i])
                            let x = X + t * slab + b * K
                            let px = X + previous * slab + b * K, pc = C + previous * slab + b * K
                            for k in 0..<K { x[k] = px[k] + pc[k] }
                            previous = t
                        }
                    }
                    for s in 0..<S {
                        let H = hiddenWidths[s], V = cardinalities[s]
                        let x = X + s * slab                                                                // [B, K]
                        let head = HeadOffsets(hiddenWeight: hiddenWeight[s], hiddenBias: hiddenBias[s],
                                               outputWeight: outputWeight[s], outputBias: outputBias[s])
                        total += headLossAndGradient(
                            input: x, inputWidth: K, hiddenWidth: H, classes: V, head: head, targets: tokens + s,
                            targetStride: S, rowCount: B, parameters: P, gradients: G, hidden: Hd,
                            hiddenGradient: dH, logits: L, inputGradient: dX,
                            accumulateGradients: accumulateGradients, lossScale: lossScale)   // dx_s [B, K]
                        guard accumulateGradients else { continue }
                        x.update(from: dX, count: slab)  // x_s is no longer needed: keep dx_s in its place
                    }
                    guard accumulateGradients else { return }
                    // dc_t = Σ of dx_s over the sub-columns after t: the last gets 0, then
                    // dc_{o_i} = dc_{o_{i+1}} + dx_{o_{i+1}}. It overwrites c, which is no longer needed.
                    for b in 0..<B {
                        let row = order + b * S
                        var next = Int(row[S - 1])
                        (C + next * slab + b * K).update(repeating: 0, count: K)
                        for i in stride(from: S - 2, through: 0, by: -1) {
                            let t = Int(row[i])
                            let dc = C + t * slab + b * K
                            let nc = C + next * slab + b * K, nx = X + next * slab + b * K
                            for k in 0..<K { dc[k] = nc[k] + nx[k] }
                            next = t
                        }
                    }
                    for t in 0..<S {
                        let d = embeddingWidths[t]
                        // dP_t += E_tᵀ · dc_t   [d_t, K];   dE_t = dc_t · P_tᵀ   [B, d_t]
                        BLAS.sgemm(transposeA: true, m: d, n: K, k: B, a: E + offsets[t], lda: D,
                                   b: C + t * slab, ldb: K, beta: 1, c: G + projection[t], ldc: K)
                        BLAS.sgemm(transposeB: true, m: B, n: d, k: K, a: C + t * slab, lda: K,
                                   b: P + projection[t], ldb: K, c: dE + offsets[t], ldc: D)
                        Embedding.backward(tableGradient: G + embeddingOffset[t], outputGradient: dE + offsets[t],
                                           gradientStride: D, tokens: tokens + t, tokenStride: S, batchSize: B,
                                           width: d)
                    }
                }
            }
        }
        return total
    }

    private func withProjectedPointers(
        _ w: TrainingWorkspace,
        _ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>,
                 UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>,
                 UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Int32>) -> Void
    ) {
        w.embeddings.withUnsafeMutableBufferPointer { E in
            w.embeddingGradient.withUnsafeMutableBufferPointer { dE in
                w.contributions.withUnsafeMutableBufferPointer { C in
                    w.contexts.withUnsafeMutableBufferPointer { X in
                        w.contextGradient.withUnsafeMutableBufferPointer { dX in
                            w.hidden.withUnsafeMutableBufferPointer { H in
                                w.hiddenGradient.withUnsafeMutableBufferPointer { dH in
                                    w.logits.withUnsafeMutableBufferPointer { L in
                                        w.rankOrder.withUnsafeMutableBufferPointer { order in
                                            body(E.baseAddress!, dE.baseAddress!, C.baseAddress!, X.baseAddress!,
                                                 dX.baseAddress!, H.baseAddress!, dH.baseAddress!, L.baseAddress!,
                                                 order.baseAddress!)
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
}
