import Foundation
import MimeoTensor
import Testing

@Suite struct FastExpTests {
    /// Relative error below 2e-7 against Double `exp` over the softmax range, and exact lane agreement.
    @Test func matchesExpWithinTwoUlpsRelative() {
        var worst = 0.0
        var x: Float = -87
        while x <= 88 {
            let lanes = FastExp.exp(SIMD4<Float>(x, x + 0.01, x + 0.02, x + 0.03))
            for lane in 0..<4 {
                let input = Double(x) + Double(lane) * 0.01
                let reference = Foundation.exp(Double(Float(input)))
                worst = max(worst, abs(Double(lanes[lane]) - reference) / reference)
            }
            #expect(FastExp.exp(x) == lanes[0])
            x += 0.173
        }
        #expect(worst < 2e-7, "worst relative error \(worst)")
    }

    @Test func clampsExtremeInputs() {
        let values = FastExp.exp(SIMD4<Float>(-1000, 1000, 0, -.infinity))
        #expect(values[0] > 0 && values[0] < 1e-37)
        #expect(values[1].isFinite && values[1] > 1e38)
        #expect(values[2] == 1)
        #expect(values[3] >= 0 && values[3] < 1e-37)
    }
}
