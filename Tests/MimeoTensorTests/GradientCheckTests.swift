import MimeoTensor
import MimeoTestSupport
import Testing

/// Tests of the test helper itself (Tests/MimeoTestSupport/GradientCheck.swift).
@Suite struct GradientCheckTests {
    // f(x) = Σ xᵢ³ + x₀x₁, ∇f = 3xᵢ² + (x₁, x₀, 0, …)
    static func cubic<T: BinaryFloatingPoint>(_ x: [T]) -> T { x.reduce(0) { $0 + $1 * $1 * $1 } + x[0] * x[1] }
    static func cubicGradient<T: BinaryFloatingPoint>(_ x: [T]) -> [T] {
        var g = x.map { 3 * $0 * $0 }
        g[0] += x[1]
        g[1] += x[0]
        return g
    }

    @Test func acceptsACorrectGradientInDouble() {
        let result = checkGradient(
            "cubic", at: [0.5, -1.25, 2.0, 3.5], tolerance: .double,
            loss: Self.cubic, gradient: Self.cubicGradient)
        #expect(result.passed, "\(result)")
        #expect(result.maxAbsoluteError < 1e-7)
    }

    @Test func acceptsACorrectGradientInFloat() {
        let result = checkGradient(
            "cubic", at: [Float(0.5), -1.25, 2.0, 3.5], tolerance: .float,
            loss: Self.cubic, gradient: Self.cubicGradient)
        #expect(result.passed, "\(result)")
    }

    @Test func rejectsAWrongGradientAndPointsAtIt() {
        let result = checkGradient(
            "cubic", at: [0.5, -1.25, 2.0, 3.5], tolerance: .double,
            loss: Self.cubic,
            gradient: { x in
                var g = Self.cubicGradient(x)
                g[2] *= 1.01
                return g
            })
        #expect(!result.passed)
        #expect(result.failureCount == 1)
        #expect(result.worstIndex == 2)
        #expect(abs(result.maxAbsoluteError - 0.12) < 1e-6)
    }

    @Test func checksVectorJacobianProducts() {
        // y = x ⊙ x ⊙ w (parameters w), checked with respect to the input and the parameters.
        let x: [Float] = [0.3, -0.7, 1.1, 2.0]
        let w: [Float] = [1.5, -0.5, 0.25, 2.0]
        let input = checkVectorJacobianProduct(
            "input", at: x, tolerance: .float,
            forward: { x in (0..<4).map { x[$0] * x[$0] * w[$0] } },
            backward: { x, dy in (0..<4).map { 2 * x[$0] * w[$0] * dy[$0] } })
        #expect(input.passed, "\(input)")
        let parameters = checkVectorJacobianProduct(
            "parameters", at: w, tolerance: .float,
            forward: { w in (0..<4).map { x[$0] * x[$0] * w[$0] } },
            backward: { _, dy in (0..<4).map { x[$0] * x[$0] * dy[$0] } })
        #expect(parameters.passed, "\(parameters)")
        let wrong = checkVectorJacobianProduct(
            "wrong", at: x, tolerance: .float,
            forward: { x in (0..<4).map { x[$0] * x[$0] * w[$0] } },
            backward: { x, dy in (0..<4).map { x[$0] * w[$0] * dy[$0] } })
        #expect(!wrong.passed)
    }

    @Test func countsNaNAsAFailure() {
        let result = compareValues("nan", values: [1.0, .nan], references: [1.0, 2.0], tolerance: .double)
        #expect(result.failureCount == 1)
        #expect(result.worstIndex == 1)
        #expect(result.description.contains("1/2 elements outside tolerance"))
    }
}
