#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MimeoNN
import MimeoTensor
import MimeoTestSupport
import Testing

// Dimension key: B = batch size, V = number of classes.

@Suite struct SoftmaxCrossEntropyTests {
    static let (B, V) = (4, 6)
    // Targets interleaved with other columns (targetStride 3).
    static let targets: [Int32] = [5, 0, 0, 0, 0, 0, 3, 0, 0, 2, 0, 0]
    static let targetStride = 3
    static let scale = Float(1) / Float(B)

    static let logits: [Float] = {
        var rng = RandomStream(seed: 41, stream: 0)
        return (0..<(B * V)).map { _ in 2 * rng.nextNormal() }
    }()

    static func forwardBackward(_ logits: [Float]) -> (loss: Double, gradient: [Float]) {
        var gradient = [Float](repeating: .nan, count: B * V)
        let loss = gradient.withUnsafeMutableBufferPointer { g in
            SoftmaxCrossEntropy.forwardBackward(
                logits: logits, targets: targets, targetStride: targetStride, logitGradient: g.baseAddress!,
                scale: scale, batchSize: B, classes: V)
        }
        return (loss, gradient)
    }

    static func loss(_ logits: [Float]) -> Double {
        SoftmaxCrossEntropy.loss(logits: logits, targets: targets, targetStride: targetStride, batchSize: B, classes: V)
    }

    /// `Σ_b −log softmax(logits[b])[target b]`, in Double.
    static func naiveLoss(_ logits: [Float]) -> Double {
        var total = 0.0
        for b in 0..<B {
            let row = logits[(b * V)..<((b + 1) * V)].map(Double.init)
            let maxLogit = row.max()!
            let logSumExp = maxLogit + log(row.reduce(0) { $0 + exp($1 - maxLogit) })
            total += logSumExp - row[Int(targets[b * targetStride])]
        }
        return total
    }

    @Test func lossMatchesNaiveLoop() {
        let expected = Self.naiveLoss(Self.logits)
        expectAllClose("forwardBackward loss", [Self.forwardBackward(Self.logits).loss], [expected], tolerance: CheckTolerance(absolute: 1e-5, relative: 1e-5))
        expectAllClose("loss", [Self.loss(Self.logits)], [expected], tolerance: CheckTolerance(absolute: 1e-5, relative: 1e-5))
    }

    @Test func gradientMatchesFiniteDifferences() {
        let result = checkGradient(
            "logits", at: Self.logits, tolerance: .float,
            loss: { Double(Self.scale) * Self.loss($0) },
            gradient: { Self.forwardBackward($0).gradient })
        #expect(result.passed, "\(result)")
    }

    @Test func gradientRowsSumToZero() {
        let gradient = Self.forwardBackward(Self.logits).gradient
        for b in 0..<Self.B {
            let sum = gradient[(b * Self.V)..<((b + 1) * Self.V)].reduce(0, +)
            #expect(abs(sum) < 1e-6)
        }
    }

    @Test func gradientMayAliasLogits() {
        var buffer = Self.logits
        let loss = buffer.withUnsafeMutableBufferPointer { p in
            SoftmaxCrossEntropy.forwardBackward(
                logits: UnsafePointer(p.baseAddress!), targets: Self.targets, targetStride: Self.targetStride,
                logitGradient: p.baseAddress!, scale: Self.scale, batchSize: Self.B, classes: Self.V)
        }
        let separate = Self.forwardBackward(Self.logits)
        #expect(loss == separate.loss)
        #expect(buffer == separate.gradient)
    }

    @Test func largeLogitsStayFinite() {
        let logits: [Float] = [1000, 0, -1000]
        var gradient = [Float](repeating: 0, count: 3)
        let targets: [Int32] = [1]
        let loss = gradient.withUnsafeMutableBufferPointer { g in
            SoftmaxCrossEntropy.forwardBackward(
                logits: logits, targets: targets, targetStride: 1, logitGradient: g.baseAddress!,
                scale: 1, batchSize: 1, classes: 3)
        }
        #expect(abs(loss - 1000) < 1e-2, "log-sum-exp keeps the exact loss; got \(loss)")
        #expect(abs(SoftmaxCrossEntropy.loss(logits: logits, targets: targets, targetStride: 1, batchSize: 1, classes: 3) - 1000) < 1e-3)
        #expect(gradient.allSatisfy { $0.isFinite })
        expectAllClose("gradient", gradient, [1, -1, 0], tolerance: CheckTolerance(absolute: 1e-6, relative: 0))
    }
}
