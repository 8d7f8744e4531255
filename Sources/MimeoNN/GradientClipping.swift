/// Scales gradients in place so that their global L2 norm is at most `maxNorm`, and returns the
/// norm before clipping (PyTorch's `torch.nn.utils.clip_grad_norm_`).
///
/// `‖g‖ = √(Σᵢ gᵢ²)`, summed in `Double`. If `‖g‖ > maxNorm`, every element is multiplied by
/// `maxNorm / (‖g‖ + 1e-6)` (PyTorch's coefficient); otherwise nothing changes. A non-finite norm
/// (NaN or infinity in the gradients) leaves the gradients untouched and is returned as is, so the
/// caller can skip the step.
/// ```swift
/// let norm = gradients.withUnsafeMutableBufferPointer { clipGradientNorm($0, maxNorm: 1) }
/// ```
/// - Parameters:
///   - gradients: The flat gradients of all parameters, `[parameterCount]`.
///   - maxNorm: The largest allowed norm; must be non-negative.
/// - Returns: The L2 norm of `gradients` before clipping.
@discardableResult
public func clipGradientNorm(_ gradients: UnsafeMutableBufferPointer<Float>, maxNorm: Float) -> Float {
    precondition(maxNorm >= 0, "clipGradientNorm: maxNorm must be non-negative, got \(maxNorm)")
    var sumOfSquares: Double = 0
    for g in gradients {
        let d = Double(g)
        sumOfSquares += d * d
    }
    let norm = sumOfSquares.squareRoot()
    guard norm.isFinite, norm > Double(maxNorm) else { return Float(norm) }
    let scale = Float(Double(maxNorm) / (norm + 1e-6))
    for i in gradients.indices {
        gradients[i] *= scale
    }
    return Float(norm)
}
