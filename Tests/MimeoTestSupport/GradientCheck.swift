import MimeoTensor
import Testing

// Gradient checking by central finite differences, in the spirit of tinygrad's `helper_test_op`
// and llm.c's `check_tensor`: one helper, explicit tolerances, a readable report.
//
// Three levels:
// - `checkGradient(at:loss:gradient:)`: a scalar loss of a flat vector against its analytic gradient.
// - `checkVectorJacobianProduct(at:forward:backward:)`: a layer's `forward`/`backward` pair, checked
//   through the scalar loss `Σᵢ wᵢ · outᵢ` with fixed random `w` (the upstream gradient). Pass the
//   layer's input as the point to check input gradients, or its parameters (with the input fixed
//   in the closures) to check parameter gradients.
// - `expectGradientsMatchFiniteDifferences` / `expectAllClose`: the same, followed by `#expect`.

/// How far an analytic value may be from its reference: `|a − r| ≤ absolute + relative · max(|a|, |r|)`.
public struct CheckTolerance: Sendable, CustomStringConvertible {
    /// The absolute part (`atol`).
    public var absolute: Double
    /// The relative part (`rtol`), applied to the larger magnitude of the two values.
    public var relative: Double

    public init(absolute: Double, relative: Double) {
        self.absolute = absolute
        self.relative = relative
    }

    /// A default for `Float` kernels checked with `Float` finite differences (`atol 1e-3, rtol 1e-2`).
    public static let float = CheckTolerance(absolute: 1e-3, relative: 1e-2)
    /// A default for `Double` computations (`atol 1e-7, rtol 1e-5`).
    public static let double = CheckTolerance(absolute: 1e-7, relative: 1e-5)

    /// Whether `value` is within tolerance of `reference`.
    public func accepts(_ value: Double, reference: Double) -> Bool {
        abs(value - reference) <= absolute + relative * max(abs(value), abs(reference))
    }

    public var description: String { "atol \(absolute), rtol \(relative)" }
}

/// The outcome of comparing values element by element against references.
public struct NumericCheckResult: Sendable, CustomStringConvertible {
    /// What was checked (shown in messages).
    public var label: String
    /// The tolerance applied.
    public var tolerance: CheckTolerance
    /// The number of elements compared.
    public var count: Int
    /// The number of elements outside the tolerance (NaN counts as outside).
    public var failureCount: Int
    /// `max |value − reference|` over all elements.
    public var maxAbsoluteError: Double
    /// `max |value − reference| / max(|value|, |reference|)` over elements where that is non-zero.
    public var maxRelativeError: Double
    /// The element furthest outside (or least inside) the tolerance, with its two values.
    public var worstIndex: Int
    public var worstValue: Double
    public var worstReference: Double

    /// Whether every element is within tolerance.
    public var passed: Bool { failureCount == 0 }

    public var description: String {
        let verdict = passed ? "ok" : "\(failureCount)/\(count) elements outside tolerance"
        guard count > 0 else { return "\(label): nothing compared" }
        return "\(label): \(verdict) (\(tolerance)); max abs error \(maxAbsoluteError), "
            + "max rel error \(maxRelativeError); worst [\(worstIndex)]: analytic \(worstValue), "
            + "reference \(worstReference)"
    }
}

/// Compares `values` with `references` element by element.
///
/// - Parameters:
///   - label: What is being compared, for the report.
///   - values: The values under test (analytic gradients, kernel outputs).
///   - references: The trusted values (finite differences, a naive loop); same count.
///   - tolerance: The allowed difference.
public func compareValues<A: BinaryFloatingPoint, R: BinaryFloatingPoint>(
    _ label: String, values: [A], references: [R], tolerance: CheckTolerance
) -> NumericCheckResult {
    precondition(values.count == references.count, "\(label): \(values.count) values vs \(references.count) references")
    var result = NumericCheckResult(
        label: label, tolerance: tolerance, count: values.count, failureCount: 0,
        maxAbsoluteError: 0, maxRelativeError: 0, worstIndex: 0,
        worstValue: values.isEmpty ? 0 : Double(values[0]),
        worstReference: references.isEmpty ? 0 : Double(references[0]))
    var worstExcess = -Double.infinity
    for i in values.indices {
        let value = Double(values[i]), reference = Double(references[i])
        let error = abs(value - reference)
        let scale = max(abs(value), abs(reference))
        let allowed = tolerance.absolute + tolerance.relative * scale
        let excess = error.isNaN ? .infinity : error - allowed
        if !tolerance.accepts(value, reference: reference) { result.failureCount += 1 }
        if error.isNaN || error > result.maxAbsoluteError { result.maxAbsoluteError = error }
        if scale > 0, error.isNaN || error / scale > result.maxRelativeError { result.maxRelativeError = error / scale }
        if excess > worstExcess {
            worstExcess = excess
            result.worstIndex = i
            result.worstValue = value
            result.worstReference = reference
        }
    }
    return result
}

/// Central finite differences of a scalar function at `point`, in `Double`.
///
/// `∂f/∂xᵢ ≈ (f(x + hᵢeᵢ) − f(x − hᵢeᵢ)) / (x₊ − x₋)`, where `hᵢ = step · max(1, |xᵢ|)` and the
/// denominator is the difference of the perturbed values *as stored* in `Scalar`, so rounding of
/// the perturbation (large in `Float`) does not bias the estimate.
/// - Parameters:
///   - point: Where to differentiate.
///   - step: The relative step `h`; `nil` picks `1e-2` for `Float` (and narrower) and `1e-6` for `Double`.
///   - loss: The scalar function; any floating-point result type.
public func finiteDifferenceGradient<Scalar: BinaryFloatingPoint, Loss: BinaryFloatingPoint>(
    at point: [Scalar], step: Double? = nil, loss: ([Scalar]) -> Loss
) -> [Double] {
    let h = step ?? (Scalar.significandBitCount > 30 ? 1e-6 : 1e-2)
    var x = point
    var gradient = [Double](repeating: 0, count: point.count)
    for i in point.indices {
        let original = point[i]
        let hi = h * max(1, abs(Double(original)))
        let plus = Scalar(Double(original) + hi)
        let minus = Scalar(Double(original) - hi)
        x[i] = plus
        let lossPlus = Double(loss(x))
        x[i] = minus
        let lossMinus = Double(loss(x))
        x[i] = original
        gradient[i] = (lossPlus - lossMinus) / (Double(plus) - Double(minus))
    }
    return gradient
}

/// Checks an analytic gradient of a scalar loss against central finite differences.
///
/// ```swift
/// let result = checkGradient("x²", at: [1, 2, 3], tolerance: .double,
///                             loss: { x in x.reduce(0) { $0 + $1 * $1 } },
///                             gradient: { x in x.map { 2 * $0 } })
/// #expect(result.passed, "\(result)")
/// ```
/// - Parameters:
///   - label: What is being checked, for the report.
///   - point: The flat vector to differentiate with respect to (an input or a parameter buffer).
///   - step: The relative finite-difference step (see ``finiteDifferenceGradient(at:step:loss:)``).
///   - tolerance: How close the analytic gradient must be to the numeric one.
///   - loss: The scalar loss as a function of the point (evaluated `2 · point.count` times).
///   - gradient: The analytic gradient at a point (evaluated once, at `point`).
/// - Returns: The comparison, with the maximum absolute and relative errors.
public func checkGradient<Scalar: BinaryFloatingPoint, Loss: BinaryFloatingPoint, Gradient: BinaryFloatingPoint>(
    _ label: String = "gradient",
    at point: [Scalar],
    step: Double? = nil,
    tolerance: CheckTolerance,
    loss: ([Scalar]) -> Loss,
    gradient: ([Scalar]) -> [Gradient]
) -> NumericCheckResult {
    let analytic = gradient(point)
    precondition(analytic.count == point.count, "\(label): gradient has \(analytic.count) elements for \(point.count) inputs")
    let numeric = finiteDifferenceGradient(at: point, step: step, loss: loss)
    return compareValues(label, values: analytic, references: numeric, tolerance: tolerance)
}

/// Checks a layer's backward pass (a vector–Jacobian product) against finite differences.
///
/// The scalar loss is `L(x) = Σᵢ wᵢ · forward(x)ᵢ`, summed in `Double`, with `w` drawn once from
/// `RandomStream(seed: seed, stream: 0)` (standard normal). Its gradient is `Jᵀw`, which is what
/// `backward(x, w)` must return. To check parameter gradients, make the parameters the point and
/// keep the input fixed inside the closures.
/// ```swift
/// let result = checkVectorJacobianProduct("ReLU input", at: x, tolerance: .float,
///     forward: { x in x.map { max(0, $0) } },
///     backward: { x, dOut in zip(x, dOut).map { $0 > 0 ? $1 : 0 } })
/// ```
/// - Parameters:
///   - label: What is being checked, for the report.
///   - point: The flat vector to differentiate with respect to.
///   - seed: The seed for the upstream gradient `w`.
///   - step: The relative finite-difference step (default `1e-2` for `Float`).
///   - tolerance: How close the analytic gradient must be to the numeric one.
///   - forward: The layer's output as a function of the point (evaluated `2 · point.count + 1` times).
///   - backward: The gradient with respect to the point, given the point and the upstream gradient.
public func checkVectorJacobianProduct(
    _ label: String = "backward",
    at point: [Float],
    seed: UInt64 = 0x5EED,
    step: Double? = nil,
    tolerance: CheckTolerance,
    forward: ([Float]) -> [Float],
    backward: (_ point: [Float], _ outputGradient: [Float]) -> [Float]
) -> NumericCheckResult {
    let outputCount = forward(point).count
    var rng = RandomStream(seed: seed, stream: 0)
    let upstream = (0..<outputCount).map { _ in rng.nextNormal() }
    return checkGradient(
        label, at: point, step: step, tolerance: tolerance,
        loss: { x -> Double in
            let out = forward(x)
            precondition(out.count == outputCount, "\(label): forward output size changed")
            var total = 0.0
            for i in out.indices { total += Double(upstream[i]) * Double(out[i]) }
            return total
        },
        gradient: { x in backward(x, upstream) })
}

/// ``checkVectorJacobianProduct(_:at:seed:step:tolerance:forward:backward:)`` followed by `#expect`.
///
/// Records a test issue with the report when any element is outside the tolerance, and returns
/// the result for further checks.
@discardableResult
public func expectGradientsMatchFiniteDifferences(
    _ label: String = "backward",
    at point: [Float],
    seed: UInt64 = 0x5EED,
    step: Double? = nil,
    tolerance: CheckTolerance = .float,
    forward: ([Float]) -> [Float],
    backward: (_ point: [Float], _ outputGradient: [Float]) -> [Float],
    sourceLocation: SourceLocation = #_sourceLocation
) -> NumericCheckResult {
    let result = checkVectorJacobianProduct(
        label, at: point, seed: seed, step: step, tolerance: tolerance, forward: forward, backward: backward)
    #expect(result.passed, "\(result)", sourceLocation: sourceLocation)
    return result
}

/// ``compareValues(_:values:references:tolerance:)`` followed by `#expect` (llm.c's `check_tensor`).
@discardableResult
public func expectAllClose<A: BinaryFloatingPoint, R: BinaryFloatingPoint>(
    _ label: String,
    _ values: [A],
    _ references: [R],
    tolerance: CheckTolerance,
    sourceLocation: SourceLocation = #_sourceLocation
) -> NumericCheckResult {
    guard values.count == references.count else {
        Issue.record("\(label): \(values.count) values vs \(references.count) references", sourceLocation: sourceLocation)
        return NumericCheckResult(
            label: label, tolerance: tolerance, count: 0, failureCount: 1, maxAbsoluteError: .nan,
            maxRelativeError: .nan, worstIndex: 0, worstValue: .nan, worstReference: .nan)
    }
    let result = compareValues(label, values: values, references: references, tolerance: tolerance)
    #expect(result.passed, "\(result)", sourceLocation: sourceLocation)
    return result
}
