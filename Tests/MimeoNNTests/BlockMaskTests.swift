import MimeoNN
import MimeoTensor
import MimeoTestSupport
import Testing

// Dimension key: B = batch size, D = total width, K = number of blocks.

@Suite struct BlockMaskTests {
    static let offsets = [0, 2, 5, 6]  // K = 3 blocks of widths 2, 3, 1; D = 6
    static let B = 4
    static let keep: [Bool] = [
        true, false, true,
        false, false, false,
        true, true, true,
        false, true, false,
    ]

    static let input: [Float] = {
        var rng = RandomStream(seed: 53, stream: 0)
        return (0..<(B * 6)).map { _ in rng.nextNormal() }
    }()

    static func forward(_ x: [Float]) -> [Float] {
        var out = [Float](repeating: .nan, count: x.count)
        out.withUnsafeMutableBufferPointer { o in
            BlockMask.forward(out: o.baseAddress!, input: x, keep: keep, offsets: offsets, batchSize: B)
        }
        return out
    }

    @Test func forwardMatchesNaiveLoop() {
        var expected = [Float](repeating: 0, count: Self.input.count)
        for b in 0..<Self.B {
            for d in 0..<6 {
                let k = Self.offsets.lastIndex { $0 <= d }!
                if Self.keep[b * 3 + k] { expected[b * 6 + d] = Self.input[b * 6 + d] }
            }
        }
        #expect(Self.forward(Self.input) == expected)
    }

    @Test func backwardMatchesFiniteDifferences() {
        expectGradientsMatchFiniteDifferences(
            "BlockMask input", at: Self.input,
            forward: Self.forward,
            backward: { _, dOut in
                var g = [Float](repeating: 0, count: Self.input.count)
                g.withUnsafeMutableBufferPointer { g in
                    BlockMask.backward(inputGradient: g.baseAddress!, outputGradient: dOut, keep: Self.keep,
                                       offsets: Self.offsets, batchSize: Self.B)
                }
                return g
            })
    }

    @Test func backwardAccumulates() {
        var g = [Float](repeating: 1, count: Self.input.count)
        let dOut = [Float](repeating: 2, count: Self.input.count)
        g.withUnsafeMutableBufferPointer { g in
            BlockMask.backward(inputGradient: g.baseAddress!, outputGradient: dOut, keep: Self.keep,
                               offsets: Self.offsets, batchSize: Self.B)
        }
        #expect(g == Self.forward(dOut).map { $0 + 1 })
    }
}
