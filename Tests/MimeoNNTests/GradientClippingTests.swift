import MimeoNN
import MimeoTestSupport
import Testing

@Suite struct GradientClippingTests {
    @Test func leavesSmallGradientsAlone() {
        var g: [Float] = [3, 4, 0]
        let norm = g.withUnsafeMutableBufferPointer { clipGradientNorm($0, maxNorm: 10) }
        #expect(norm == 5)
        #expect(g == [3, 4, 0])
        // Exactly at the limit: unchanged too.
        #expect(g.withUnsafeMutableBufferPointer { clipGradientNorm($0, maxNorm: 5) } == 5)
        #expect(g == [3, 4, 0])
    }

    @Test func scalesLargeGradientsToTheMaximumNorm() {
        var g: [Float] = [3, -4]
        let norm = g.withUnsafeMutableBufferPointer { clipGradientNorm($0, maxNorm: 1) }
        #expect(norm == 5)
        // PyTorch's coefficient maxNorm / (norm + 1e-6).
        expectAllClose("clipped", g, [0.6 / (1 + 2e-7), -0.8 / (1 + 2e-7)], tolerance: CheckTolerance(absolute: 1e-7, relative: 0))
        let after = g.withUnsafeMutableBufferPointer { clipGradientNorm($0, maxNorm: 100) }
        #expect(abs(after - 1) < 1e-5)
    }

    @Test func normIsAccurateForManySmallElements() {
        var g = [Float](repeating: 1e-3, count: 1_000_000)
        let norm = g.withUnsafeMutableBufferPointer { clipGradientNorm($0, maxNorm: 0.5) }
        #expect(abs(norm - 1) < 1e-6)
        #expect(abs(g[0] - 5e-4) < 1e-9)
    }

    @Test func emptyAndNonFiniteGradients() {
        var empty: [Float] = []
        #expect(empty.withUnsafeMutableBufferPointer { clipGradientNorm($0, maxNorm: 1) } == 0)
        var bad: [Float] = [1, .nan, 3]
        let norm = bad.withUnsafeMutableBufferPointer { clipGradientNorm($0, maxNorm: 1) }
        #expect(norm.isNaN)
        #expect(bad[0] == 1 && bad[2] == 3, "left untouched so that the caller can skip the step")
        var infinite: [Float] = [.infinity, 1]
        #expect(infinite.withUnsafeMutableBufferPointer { clipGradientNorm($0, maxNorm: 1) } == .infinity)
        #expect(infinite[1] == 1)
    }
}
