import MimeoNN
import MimeoTensor
import MimeoTestSupport
import Testing

// Dimension key: B = batch size, V = vocabulary size, D = embedding width.

@Suite struct EmbeddingTests {
    static let (B, V, D) = (5, 4, 3)
    // Tokens interleaved with another column (tokenStride 2); token 2 appears twice, token 3 never.
    static let tokens: [Int32] = [2, -1, 0, -1, 2, -1, 1, -1, 0, -1]
    static let tokenStride = 2
    // Output rows are wider than D (as when embeddings are written into a concatenated row).
    static let outStride = 5

    static let table: [Float] = {
        var rng = RandomStream(seed: 23, stream: 0)
        return (0..<(V * D)).map { _ in rng.nextNormal() }
    }()

    static func forward(_ table: [Float]) -> [Float] {
        var out = [Float](repeating: 9, count: B * outStride)
        out.withUnsafeMutableBufferPointer { o in
            Embedding.forward(
                out: o.baseAddress!, outStride: outStride, tokens: tokens, tokenStride: tokenStride,
                table: table, batchSize: B, width: D)
        }
        return out
    }

    static func backward(tableGradient: inout [Float], outputGradient: [Float]) {
        tableGradient.withUnsafeMutableBufferPointer { g in
            Embedding.backward(
                tableGradient: g.baseAddress!, outputGradient: outputGradient, gradientStride: outStride,
                tokens: tokens, tokenStride: tokenStride, batchSize: B, width: D)
        }
    }

    @Test func forwardMatchesNaiveLoop() {
        var expected = [Float](repeating: 9, count: Self.B * Self.outStride)
        for b in 0..<Self.B {
            let token = Int(Self.tokens[b * Self.tokenStride])
            for d in 0..<Self.D { expected[b * Self.outStride + d] = Self.table[token * Self.D + d] }
        }
        // Exact copy, and the columns past D in each output row are untouched.
        #expect(Self.forward(Self.table) == expected)
    }

    @Test func backwardMatchesFiniteDifferencesForTheTable() {
        expectGradientsMatchFiniteDifferences(
            "Embedding table", at: Self.table,
            forward: { Self.forward($0) },
            backward: { _, dOut in
                var g = [Float](repeating: 0, count: Self.V * Self.D)
                Self.backward(tableGradient: &g, outputGradient: dOut)
                return g
            })
    }

    @Test func backwardAccumulatesAndSkipsUnusedRows() {
        let dOut = [Float](repeating: 1, count: Self.B * Self.outStride)
        var g = [Float](repeating: 0.5, count: Self.V * Self.D)
        Self.backward(tableGradient: &g, outputGradient: dOut)
        // Rows 0 and 2 are used twice, row 1 once, row 3 never.
        #expect(g == [2.5, 2.5, 2.5, 1.5, 1.5, 1.5, 2.5, 2.5, 2.5, 0.5, 0.5, 0.5])
    }
}
