import MimeoNN
import MimeoTensor
import MimeoTestSupport
import Testing

@Suite struct ReLUTests {
    // Kept at least 0.1 away from the kink at 0, so that finite differences do not straddle it.
    static let input: [Float] = {
        var rng = RandomStream(seed: 31, stream: 0)
        return (0..<24).map { _ in
            let z = rng.nextNormal()
            return z < 0 ? min(z, -0.1) : max(z, 0.1)
        }
    }()

    static func forward(_ x: [Float]) -> [Float] {
        var y = x
        y.withUnsafeMutableBufferPointer { ReLU.forward($0.baseAddress!, count: $0.count) }
        return y
    }

    @Test func forwardMatchesNaiveLoop() {
        #expect(Self.forward(Self.input) == Self.input.map { $0 > 0 ? $0 : 0 })
        #expect(Self.forward([-0.0, 0, -1, 2]) == [0, 0, 0, 2])
        #expect(Self.input.contains { $0 < 0 } && Self.input.contains { $0 > 0 }, "both branches are exercised")
    }

    @Test func backwardMatchesFiniteDifferences() {
        expectGradientsMatchFiniteDifferences(
            "ReLU input", at: Self.input,
            forward: Self.forward,
            backward: { x, dy in
                let y = Self.forward(x)
                var g = dy
                g.withUnsafeMutableBufferPointer { ReLU.backward(gradient: $0.baseAddress!, output: y, count: y.count) }
                return g
            })
    }

    @Test func backwardZeroesGradientWhereOutputIsZero() {
        var g: [Float] = [1, 2, 3, 4]
        let y: [Float] = [0, 0.5, 0, 2]
        g.withUnsafeMutableBufferPointer { ReLU.backward(gradient: $0.baseAddress!, output: y, count: 4) }
        #expect(g == [0, 2, 0, 4])
    }
}
