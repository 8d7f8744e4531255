import Foundation

// Dimension key: B = batch size, V = number of classes.

/// Softmax followed by the negative log-likelihood of the target class, fused.
public enum SoftmaxCrossEntropy {
    /// Returns `Σ_b -log softmax(logits[b])[targets[b]]` and writes
    /// `logitGradient[b, v] = scale · (softmax(logits[b])[v] - 1{v = targets[b]})`, the gradient of
    /// `scale ·` that sum. `logitGradient` may alias `logits`.
    ///
    /// - Parameters:
    ///   - logits: `[B, V]`.
    ///   - targets: `B` class indices, `targetStride` apart.
    ///   - logitGradient: `[B, V]`, overwritten.
    ///   - scale: the factor on the loss the gradient is for (e.g. `1 / B` for a mean).
    @discardableResult
    public static func forwardBackward(
        logits: UnsafePointer<Float>,
        targets: UnsafePointer<Int32>, targetStride: Int,
        logitGradient: UnsafeMutablePointer<Float>,
        scale: Float,
        batchSize B: Int, classes V: Int
    ) -> Double {
        var total = 0.0
        for b in 0..<B {
            let row = logits + b * V
            let grad = logitGradient + b * V
            var maxLogit = row[0]
            for v in 1..<V where row[v] > maxLogit { maxLogit = row[v] }
            let target = Int(targets[b * targetStride])
            let targetLogit = row[target]
            var sum: Float = 0
            for v in 0..<V {
                let e = expf(row[v] - maxLogit)
                grad[v] = e
                sum += e
            }
            total -= Double(targetLogit - maxLogit - logf(sum))
            let inverse = scale / sum
            for v in 0..<V { grad[v] *= inverse }
            grad[target] -= scale
        }
        return total
    }

    /// Returns `Σ_b -log softmax(logits[b])[targets[b]]` without gradients.
    public static func loss(
        logits: UnsafePointer<Float>,
        targets: UnsafePointer<Int32>, targetStride: Int,
        batchSize B: Int, classes V: Int
    ) -> Double {
        var total = 0.0
        for b in 0..<B {
            let row = logits + b * V
            var maxLogit = row[0]
            for v in 1..<V where row[v] > maxLogit { maxLogit = row[v] }
            var sum: Float = 0
            for v in 0..<V { sum += expf(row[v] - maxLogit) }
            let target = Int(targets[b * targetStride])
            total -= Double(row[target] - maxLogit - logf(sum))
        }
        return total
    }
}
