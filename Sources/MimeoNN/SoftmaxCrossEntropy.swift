import Foundation
import MimeoTensor

// Dimension key: B = batch size, V = number of classes.

/// Softmax followed by the negative log-likelihood of the target class, fused.
///
/// Exponentials use `FastExp` (relative error below 2e-7), four classes at a time.
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
            let target = Int(targets[b * targetStride])
            let targetLogit = row[target]
            let maxLogit = maximum(row, count: V)
            let sum = exponentiate(row, into: grad, shift: maxLogit, count: V)
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
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: V)
        defer { scratch.deallocate() }
        for b in 0..<B {
            let row = logits + b * V
            let maxLogit = maximum(row, count: V)
            let sum = exponentiate(row, into: scratch, shift: maxLogit, count: V)
            let target = Int(targets[b * targetStride])
            total -= Double(row[target] - maxLogit - logf(sum))
        }
        return total
    }

    /// The largest of `V` logits.
    @inlinable @inline(__always)
    public static func maximum(_ row: UnsafePointer<Float>, count V: Int) -> Float {
        var result = row[0]
        for v in 1..<V where row[v] > result { result = row[v] }
        return result
    }

    /// Writes `exp(row[v] - shift)` to `out` (may alias `row`) and returns their sum, four lanes at a
    /// time with the lanes summed last (a fixed order, so results are reproducible).
    @inlinable @inline(__always)
    public static func exponentiate(_ row: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, shift: Float,
                             count V: Int) -> Float {
        let shiftVector = SIMD4<Float>(repeating: shift)
        let source = UnsafeRawPointer(row), target = UnsafeMutableRawPointer(out)
        var sums = SIMD4<Float>(repeating: 0)
        var v = 0
        while v + 4 <= V {
            let e = FastExp.exp(source.loadUnaligned(fromByteOffset: v * 4, as: SIMD4<Float>.self) - shiftVector)
            target.storeBytes(of: e, toByteOffset: v * 4, as: SIMD4<Float>.self)
            sums += e
            v += 4
        }
        var sum = sums.sum()
        while v < V {
            let e = FastExp.exp(row[v] - shift)
            out[v] = e
            sum += e
            v += 1
        }
        return sum
    }
}
