import MimeoNN
import MimeoTensor
import MimeoTestSupport
import Testing

// Dimension key: B = batch size, C = input features, OC = output features.

@Suite struct LinearTests {
    static let (B, C, OC) = (3, 4, 5)

    static func randomFloats(_ count: Int, stream: UInt64) -> [Float] {
        var rng = RandomStream(seed: 17, stream: stream)
        return (0..<count).map { _ in rng.nextNormal() }
    }

    let input = randomFloats(B * C, stream: 0)    // [B, C]
    let weight = randomFloats(C * OC, stream: 1)  // [C, OC]
    let bias = randomFloats(OC, stream: 2)        // [OC]

    /// `Linear.forward` on arrays; `bias == nil` means no bias.
    static func forward(_ x: [Float], _ w: [Float], _ b: [Float]?) -> [Float] {
        var out = [Float](repeating: .nan, count: B * OC)
        out.withUnsafeMutableBufferPointer { o in
            x.withUnsafeBufferPointer { x in
                w.withUnsafeBufferPointer { w in
                    if let b {
                        b.withUnsafeBufferPointer { b in
                            Linear.forward(out: o.baseAddress!, input: x.baseAddress!, weight: w.baseAddress!,
                                           bias: b.baseAddress!, batchSize: B, inFeatures: C, outFeatures: OC)
                        }
                    } else {
                        Linear.forward(out: o.baseAddress!, input: x.baseAddress!, weight: w.baseAddress!,
                                       bias: nil, batchSize: B, inFeatures: C, outFeatures: OC)
                    }
                }
            }
        }
        return out
    }

    /// `Linear.backward` on arrays, starting from the given gradient buffers.
    static func backward(
        _ x: [Float], _ w: [Float], _ dy: [Float],
        dx: inout [Float], dw: inout [Float], db: inout [Float], accumulateInput: Bool = false
    ) {
        dx.withUnsafeMutableBufferPointer { dx in
            dw.withUnsafeMutableBufferPointer { dw in
                db.withUnsafeMutableBufferPointer { db in
                    Linear.backward(
                        inputGradient: dx.baseAddress!, weightGradient: dw.baseAddress!, biasGradient: db.baseAddress!,
                        outputGradient: dy, input: x, weight: w,
                        batchSize: B, inFeatures: C, outFeatures: OC, accumulateInput: accumulateInput)
                }
            }
        }
    }

    static func gradients(_ x: [Float], _ w: [Float], _ dy: [Float]) -> (dx: [Float], dw: [Float], db: [Float]) {
        var dx = [Float](repeating: .nan, count: B * C)  // overwritten, so garbage must not leak through
        var dw = [Float](repeating: 0, count: C * OC)
        var db = [Float](repeating: 0, count: OC)
        backward(x, w, dy, dx: &dx, dw: &dw, db: &db)
        return (dx, dw, db)
    }

    @Test func forwardMatchesNaiveLoop() {
        var expected = [Double](repeating: 0, count: Self.B * Self.OC)
        var expectedWithoutBias = expected
        for b in 0..<Self.B {
            for o in 0..<Self.OC {
                var sum = 0.0
                for c in 0..<Self.C { sum += Double(input[b * Self.C + c]) * Double(weight[c * Self.OC + o]) }
                expectedWithoutBias[b * Self.OC + o] = sum
                expected[b * Self.OC + o] = sum + Double(bias[o])
            }
        }
        let tolerance = CheckTolerance(absolute: 1e-5, relative: 1e-5)
        expectAllClose("with bias", Self.forward(input, weight, bias), expected, tolerance: tolerance)
        expectAllClose("without bias", Self.forward(input, weight, nil), expectedWithoutBias, tolerance: tolerance)
    }

    @Test func backwardMatchesFiniteDifferencesForTheInput() {
        expectGradientsMatchFiniteDifferences(
            "Linear input", at: input,
            forward: { x in Self.forward(x, weight, bias) },
            backward: { x, dy in Self.gradients(x, weight, dy).dx })
    }

    @Test func backwardMatchesFiniteDifferencesForTheWeight() {
        expectGradientsMatchFiniteDifferences(
            "Linear weight", at: weight,
            forward: { w in Self.forward(input, w, bias) },
            backward: { w, dy in Self.gradients(input, w, dy).dw })
    }

    @Test func backwardMatchesFiniteDifferencesForTheBias() {
        expectGradientsMatchFiniteDifferences(
            "Linear bias", at: bias,
            forward: { b in Self.forward(input, weight, b) },
            backward: { _, dy in Self.gradients(input, weight, dy).db })
    }

    @Test func parameterGradientsAccumulateAndInputGradientOverwritesUnlessAsked() {
        let dy = Self.randomFloats(Self.B * Self.OC, stream: 3)
        let once = Self.gradients(input, weight, dy)
        var dx = [Float](repeating: 1, count: Self.B * Self.C)
        var dw = once.dw, db = once.db
        Self.backward(input, weight, dy, dx: &dx, dw: &dw, db: &db)
        expectAllClose("dx overwritten", dx, once.dx, tolerance: CheckTolerance(absolute: 0, relative: 0))
        expectAllClose("dw accumulated", dw, once.dw.map { 2 * $0 }, tolerance: CheckTolerance(absolute: 1e-6, relative: 1e-6))
        expectAllClose("db accumulated", db, once.db.map { 2 * $0 }, tolerance: CheckTolerance(absolute: 1e-6, relative: 1e-6))
        Self.backward(input, weight, dy, dx: &dx, dw: &dw, db: &db, accumulateInput: true)
        expectAllClose("dx accumulated", dx, once.dx.map { 2 * $0 }, tolerance: CheckTolerance(absolute: 1e-6, relative: 1e-6))
    }

    @Test func backwardWithoutInputOrBiasGradient() {
        let dy = Self.randomFloats(Self.B * Self.OC, stream: 4)
        var dw = [Float](repeating: 0, count: Self.C * Self.OC)
        dw.withUnsafeMutableBufferPointer { dw in
            Linear.backward(
                inputGradient: nil, weightGradient: dw.baseAddress!, biasGradient: nil,
                outputGradient: dy, input: input, weight: weight,
                batchSize: Self.B, inFeatures: Self.C, outFeatures: Self.OC)
        }
        expectAllClose("dw", dw, Self.gradients(input, weight, dy).dw, tolerance: CheckTolerance(absolute: 0, relative: 0))
    }
}
