#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Adam with decoupled weight decay (Loshchilov & Hutter, "Decoupled Weight Decay
/// Regularization", ICLR 2019), step for step the same as PyTorch's `torch.optim.AdamW`.
///
/// It works on one flat parameter buffer and the matching flat gradient buffer. For step
/// `t = 1, 2, …` and each element:
/// ```
/// p ← p − lr·λ·p                          (decoupled weight decay)
/// m ← β₁·m + (1 − β₁)·g
/// v ← β₂·v + (1 − β₂)·g²
/// p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
/// ```
/// ```swift
/// var optimizer = AdamW(parameterCount: parameters.count, learningRate: 1e-3)
/// parameters.withUnsafeMutableBufferPointer { p in
///     gradients.withUnsafeBufferPointer { g in optimizer.step(parameters: p, gradients: g) }
/// }
/// ```
/// The state (``firstMoment``, ``secondMoment``, ``stepCount``) is public so that checkpoints can
/// save and restore it. Hyperparameters are `Float`, so `β₂ = 0.999` is `0.99899995` and `1 − β₂`
/// differs from PyTorch's (double) value by 5e-5 relative; the bias correction uses the same `β₂`,
/// so updates agree with PyTorch to about 1e-6.
public struct AdamW: Sendable, Equatable {
    /// The step size `lr`; may be changed between steps (schedules).
    public var learningRate: Float
    /// The decay rate of the first-moment average, `β₁`.
    public var beta1: Float
    /// The decay rate of the second-moment average, `β₂`.
    public var beta2: Float
    /// The term added to the denominator for stability, `ε`.
    public var epsilon: Float
    /// The decoupled weight-decay coefficient `λ` (multiplied by `lr`, as in PyTorch).
    public var weightDecay: Float
    /// The running average of gradients, `m`; one element per parameter.
    public var firstMoment: [Float]
    /// The running average of squared gradients, `v`; one element per parameter.
    public var secondMoment: [Float]
    /// The number of steps taken so far, `t` (0 before the first step).
    public var stepCount: Int

    /// An optimizer with zero moments for `parameterCount` parameters.
    ///
    /// - Parameters:
    ///   - parameterCount: The length of the flat parameter buffer.
    ///   - learningRate: The step size `lr`.
    ///   - beta1: The first-moment decay `β₁` (PyTorch default 0.9).
    ///   - beta2: The second-moment decay `β₂` (PyTorch default 0.999).
    ///   - epsilon: The denominator term `ε` (PyTorch default 1e-8).
    ///   - weightDecay: The decoupled decay `λ` (PyTorch AdamW default 0.01).
    public init(
        parameterCount: Int,
        learningRate: Float,
        beta1: Float = 0.9,
        beta2: Float = 0.999,
        epsilon: Float = 1e-8,
        weightDecay: Float = 0.01
    ) {
        precondition(parameterCount >= 0, "AdamW: negative parameterCount")
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.firstMoment = [Float](repeating: 0, count: parameterCount)
        self.secondMoment = [Float](repeating: 0, count: parameterCount)
        self.stepCount = 0
    }

    /// The length of the parameter buffer this optimizer updates.
    public var parameterCount: Int { firstMoment.count }

    /// Takes one optimisation step, updating `parameters` in place and incrementing ``stepCount``.
    ///
    /// The bias corrections `1 − β₁ᵗ` and `1 − β₂ᵗ` are computed in `Double`, as PyTorch does.
    /// - Parameters:
    ///   - parameters: The flat parameters `p`, `[parameterCount]`.
    ///   - gradients: The gradients of the loss with respect to `parameters`, `[parameterCount]`.
    public mutating func step(parameters: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>) {
        precondition(
            parameters.count == parameterCount && gradients.count == parameterCount,
            "AdamW.step: expected \(parameterCount) parameters and gradients, got \(parameters.count) and \(gradients.count)")
        stepCount += 1
        let t = Double(stepCount)
        let biasCorrection1 = 1 - pow(Double(beta1), t)
        let biasCorrection2 = 1 - pow(Double(beta2), t)
        let stepSize = Float(Double(learningRate) / biasCorrection1)
        let inverseSqrtCorrection2 = Float(1 / biasCorrection2.squareRoot())
        let decay = 1 - learningRate * weightDecay
        let (b1, b2, eps) = (beta1, beta2, epsilon)
        let (oneMinusB1, oneMinusB2) = (1 - beta1, 1 - beta2)
        firstMoment.withUnsafeMutableBufferPointer { m in
            secondMoment.withUnsafeMutableBufferPointer { v in
                for i in 0..<parameters.count {
                    let g = gradients[i]
                    let p = parameters[i] * decay
                    let mi = b1 * m[i] + oneMinusB1 * g
                    let vi = b2 * v[i] + oneMinusB2 * g * g
                    m[i] = mi
                    v[i] = vi
                    let denominator = vi.squareRoot() * inverseSqrtCorrection2 + eps
                    parameters[i] = p - stepSize * mi / denominator
                }
            }
        }
    }
}
