import MimeoNN
import MimeoTestSupport
import Testing

@Suite struct AdamWTests {
    // Reference values: PyTorch's AdamW algorithm written out in numpy (float64), not torch:
    //
    //   def adamw(p, grads, lr, b1, b2, eps, wd):
    //       p = np.array(p, dtype=np.float64); m = np.zeros_like(p); v = np.zeros_like(p); out = []
    //       for t, g in enumerate(grads, start=1):
    //           g = np.array(g, dtype=np.float64)
    //           p = p * (1 - lr * wd)
    //           m = b1 * m + (1 - b1) * g
    //           v = b2 * v + (1 - b2) * g * g
    //           p = p - (lr / (1 - b1 ** t)) * m / (np.sqrt(v) / np.sqrt(1 - b2 ** t) + eps)
    //           out.append(p.copy())
    //       return out, m, v
    static let start: [Float] = [0.5, -1.0, 2.0, 0.0]
    static let gradients: [[Float]] = [[0.1, -0.2, 0.3, 0.0], [-0.05, 0.4, 0.3, 1e-4], [0.2, 0.0, -0.6, 2.0]]

    struct Case: Sendable, CustomTestStringConvertible {
        var learningRate: Float, beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float
        var expected: [[Double]]
        var firstMoment: [Double], secondMoment: [Double]
        var testDescription: String { "lr \(learningRate), betas (\(beta1), \(beta2)), eps \(epsilon), wd \(weightDecay)" }
    }

    static let cases: [Case] = [
        Case(
            learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01,
            expected: [
                [0.4899500009999999, -0.9899000005, 1.9898000003333334, 0.0],
                [0.4872376359402391, -0.9934620456545538, 1.9796010206666335, -0.007440316279138586],
                [0.48060779667144415, -0.9961926902151811, 1.9801595538543073, -0.013827995644340303],
            ],
            firstMoment: [0.023599999999999996, 0.019799999999999995, -0.0087, 0.20000899999999996],
            secondMoment: [5.2477510000000055e-05, 0.00019976004000000022, 0.0005397300900000005, 0.004000000009990004]),
        Case(
            learningRate: 0.05, beta1: 0.8, beta2: 0.99, epsilon: 1e-3, weightDecay: 0.1,
            expected: [
                [0.4479950495049505, -0.9452487562189055, 1.9401661129568106, 0.0],
                [0.4353302854050971, -0.9615063964508042, 1.8806313953488372, -0.0025939010103862817],
                [0.3988135553188709, -0.9718934411101398, 1.8793032482295315, -0.037867466539276216],
            ],
            firstMoment: [0.04479999999999999, 0.0384, -0.03359999999999999, 0.4000159999999999],
            secondMoment: [0.0005227600000000006, 0.0019760400000000023, 0.005373090000000004, 0.04000000009900004]),
    ]

    @Test(arguments: cases)
    func matchesPyTorchAdamWStepByStep(_ reference: Case) {
        var optimizer = AdamW(
            parameterCount: 4, learningRate: reference.learningRate, beta1: reference.beta1,
            beta2: reference.beta2, epsilon: reference.epsilon, weightDecay: reference.weightDecay)
        var parameters = Self.start
        for (t, gradient) in Self.gradients.enumerated() {
            step(&optimizer, &parameters, gradient)
            expectAllClose("step \(t + 1)", parameters, reference.expected[t], tolerance: CheckTolerance(absolute: 1e-6, relative: 1e-6))
        }
        #expect(optimizer.stepCount == 3)
        expectAllClose("m", optimizer.firstMoment, reference.firstMoment, tolerance: CheckTolerance(absolute: 1e-7, relative: 1e-5))
        // β₂ = 0.999 as a Float is 0.99899995, so 1 − β₂ is 5e-5 larger (relative) than numpy's
        // (PyTorch keeps betas as doubles). The bias correction uses the same β₂, so the
        // parameters above still agree to 1e-6.
        expectAllClose("v", optimizer.secondMoment, reference.secondMoment, tolerance: CheckTolerance(absolute: 1e-9, relative: 1e-4))
    }

    @Test func defaultsArePyTorchs() {
        let optimizer = AdamW(parameterCount: 3, learningRate: 1e-3)
        #expect(optimizer.beta1 == 0.9 && optimizer.beta2 == 0.999)
        #expect(optimizer.epsilon == 1e-8 && optimizer.weightDecay == 0.01)
        #expect(optimizer.stepCount == 0 && optimizer.parameterCount == 3)
        #expect(optimizer.firstMoment == [0, 0, 0] && optimizer.secondMoment == [0, 0, 0])
    }

    @Test func weightDecayIsDecoupledFromTheGradient() {
        // With zero gradients the Adam term is 0 / (0 + ε) = 0: only p ← (1 − lr·λ)·p remains.
        var optimizer = AdamW(parameterCount: 2, learningRate: 0.1, weightDecay: 0.5)
        var parameters: [Float] = [2, -4]
        for _ in 0..<3 { step(&optimizer, &parameters, [0, 0]) }
        expectAllClose("decay", parameters, [2 * 0.857375, -4 * 0.857375], tolerance: CheckTolerance(absolute: 1e-6, relative: 0))
    }

    @Test func minimisesAQuadratic() {
        // f(p) = ½ Σ aᵢ (pᵢ − cᵢ)², ∇f = aᵢ (pᵢ − cᵢ); badly scaled on purpose (Adam is scale-free).
        let a: [Float] = [0.01, 1, 100, 5]
        let c: [Float] = [1, -2, 0.5, 3]
        var parameters: [Float] = [0, 0, 0, 0]
        var optimizer = AdamW(parameterCount: 4, learningRate: 0.05, weightDecay: 0)
        for _ in 0..<1500 {
            let gradient = (0..<4).map { a[$0] * (parameters[$0] - c[$0]) }
            step(&optimizer, &parameters, gradient)
        }
        expectAllClose("minimum", parameters, c, tolerance: CheckTolerance(absolute: 1e-2, relative: 0))
    }

    @Test func restoredStateContinuesIdentically() {
        var optimizer = AdamW(parameterCount: 4, learningRate: 0.01)
        var parameters = Self.start
        step(&optimizer, &parameters, Self.gradients[0])
        step(&optimizer, &parameters, Self.gradients[1])
        // Save what a checkpoint would, then restore into a fresh optimizer.
        var restored = AdamW(parameterCount: 4, learningRate: 0.01)
        restored.firstMoment = optimizer.firstMoment
        restored.secondMoment = optimizer.secondMoment
        restored.stepCount = optimizer.stepCount
        var restoredParameters = parameters
        step(&optimizer, &parameters, Self.gradients[2])
        step(&restored, &restoredParameters, Self.gradients[2])
        #expect(restoredParameters == parameters)
        #expect(restored == optimizer)
    }

    private func step(_ optimizer: inout AdamW, _ parameters: inout [Float], _ gradient: [Float]) {
        parameters.withUnsafeMutableBufferPointer { p in
            gradient.withUnsafeBufferPointer { g in optimizer.step(parameters: p, gradients: g) }
        }
    }
}
