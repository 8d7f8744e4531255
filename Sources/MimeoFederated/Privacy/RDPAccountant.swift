import Foundation

/// A Rényi-DP accountant for the Poisson-subsampled Gaussian mechanism (Mironov, Talwar, Zhang 2019,
/// "Rényi Differential Privacy of the Sampled Gaussian Mechanism"), the arithmetic of Google's
/// `dp_accounting.rdp.RdpAccountant` (dp-accounting 0.6.0, `rdp_privacy_accountant.py`) ported line by
/// line: the same default orders, integer and fractional orders, composition by adding the RDP curves,
/// and the same conversion to (ε, δ) (Balle et al. 2020, Proposition 12, with the KL-divergence bound).
///
/// Neighbouring relation: add or remove one participant (here: one site). One federated round under
/// DP-FedAvg is one `PoissonSampled(q, Gaussian(z))` event, composed once per round.
public struct RDPAccountant: Sendable, Equatable, Codable {
    /// dp-accounting's `DEFAULT_RDP_ORDERS`: 1.1, 1.2, …, 10.9, then 11 … 63, then 128, 256, 512, 1024.
    public static let defaultOrders: [Double] = {
        var orders: [Double] = (1..<100).map { (x: Int) -> Double in 1 + Double(x) / 10 }
        orders += (11..<64).map { (x: Int) -> Double in Double(x) }
        orders += [128, 256, 512, 1024]
        return orders
    }()

    /// The Rényi orders α the curve is tracked at (all > 1).
    public private(set) var orders: [Double]
    /// The accumulated RDP ε(α) at each order: the sum over every composed event.
    public private(set) var rdp: [Double]
    /// The number of events (rounds) composed so far.
    public private(set) var composedEvents: Int

    /// Errors from invalid parameters or a corrupt stored state.
    public enum AccountingError: Error, Equatable, Sendable {
        case invalidSamplingRate(Double)
        case invalidNoiseMultiplier(Double)
        case invalidDelta(Double)
        case invalidEpsilon(Double)
        case invalidCount(Int)
        case invalidOrders(String)
    }

    /// An accountant with nothing spent, tracking `orders` (default: dp-accounting's defaults).
    public init(orders: [Double] = RDPAccountant.defaultOrders) throws {
        try Self.validate(orders: orders)
        self.orders = orders
        self.rdp = [Double](repeating: 0, count: orders.count)
        self.composedEvents = 0
    }

    private static func validate(orders: [Double]) throws {
        guard !orders.isEmpty, orders.count <= 4096 else { throw AccountingError.invalidOrders("1 to 4096 orders") }
        guard orders.allSatisfy({ $0.isFinite && $0 > 1 && $0 <= 1e6 }) else {
            throw AccountingError.invalidOrders("every order must be finite, > 1 and ≤ 1e6")
        }
    }

    /// Composes `count` rounds of the Gaussian mechanism with noise multiplier `noiseMultiplier`
    /// (noise standard deviation / L2 sensitivity), each applied to a Poisson sample of the sites drawn
    /// with probability `samplingRate` (1 when every site takes part in every round).
    public mutating func compose(samplingRate: Double, noiseMultiplier: Double, count: Int = 1) throws {
        guard count >= 0 else { throw AccountingError.invalidCount(count) }
        let curve = try Self.poissonSubsampledGaussianRDP(
            samplingRate: samplingRate, noiseMultiplier: noiseMultiplier, orders: orders)
        guard count > 0 else { return }
        for i in rdp.indices { rdp[i] += Double(count) * curve[i] }
        composedEvents += count
    }

    /// The smallest ε (over the tracked orders) such that everything composed so far is (ε, δ)-DP, and
    /// the order that attains it.
    public func epsilon(delta: Double) throws -> (epsilon: Double, order: Double) {
        try Self.epsilon(orders: orders, rdp: rdp, delta: delta)
    }

    /// The smallest δ (over the tracked orders) such that everything composed so far is (ε, δ)-DP.
    public func delta(epsilon: Double) throws -> (delta: Double, order: Double) {
        try Self.delta(orders: orders, rdp: rdp, epsilon: epsilon)
    }

    /// ε after `additionalRounds` more rounds of the given mechanism, without changing this accountant:
    /// the "stop at budget" check a coordinator makes before starting a round.
    public func epsilon(afterAdditionalRounds additionalRounds: Int, samplingRate: Double,
                        noiseMultiplier: Double, delta: Double) throws -> Double {
        var copy = self
        try copy.compose(samplingRate: samplingRate, noiseMultiplier: noiseMultiplier, count: additionalRounds)
        return try copy.epsilon(delta: delta).epsilon
    }

    // MARK: Codable (the coordinator checkpoints the accountant with each round)

    private enum CodingKeys: String, CodingKey { case orders, rdp, composedEvents }

    /// Encodes the curve with `null` for +∞ (an order excluded because its series did not converge, or
    /// no noise), which JSON has no number for.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(orders, forKey: .orders)
        try container.encode(rdp.map { $0.isFinite ? $0 : nil }, forKey: .rdp)
        try container.encode(composedEvents, forKey: .composedEvents)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let orders = try container.decode([Double].self, forKey: .orders)
        let rdp = try container.decode([Double?].self, forKey: .rdp).map { $0 ?? .infinity }
        let composedEvents = try container.decode(Int.self, forKey: .composedEvents)
        do { try Self.validate(orders: orders) } catch {
            throw DecodingError.dataCorruptedError(forKey: .orders, in: container, debugDescription: "\(error)")
        }
        guard rdp.count == orders.count, rdp.allSatisfy({ !$0.isNaN && $0 >= 0 }) else {
            throw DecodingError.dataCorruptedError(
                forKey: .rdp, in: container, debugDescription: "one non-negative RDP value per order")
        }
        guard composedEvents >= 0 else {
            throw DecodingError.dataCorruptedError(
                forKey: .composedEvents, in: container, debugDescription: "negative event count")
        }
        self.orders = orders
        self.rdp = rdp
        self.composedEvents = composedEvents
    }

    // MARK: The RDP of one event (`_compute_rdp_poisson_subsampled_gaussian`)

    /// The RDP curve of one Poisson-subsampled Gaussian event at each of `orders`; `.infinity` where it
    /// is unbounded (no noise) or where the fractional-order series does not converge.
    public static func poissonSubsampledGaussianRDP(samplingRate q: Double, noiseMultiplier sigma: Double,
                                                    orders: [Double]) throws -> [Double] {
        guard q.isFinite, q >= 0, q <= 1 else { throw AccountingError.invalidSamplingRate(q) }
        guard !sigma.isNaN, sigma >= 0 else { throw AccountingError.invalidNoiseMultiplier(sigma) }
        try validate(orders: orders)
        return orders.map { alpha in
            if q == 0 { return 0 }
            if alpha.isInfinite || sigma == 0 { return .infinity }
            if sigma.isInfinite { return 0 }
            if q == 1 { return alpha / (2 * sigma * sigma) }
            return logA(q: q, sigma: sigma, alpha: alpha) / (alpha - 1)
        }
    }

    private static func logA(q: Double, sigma: Double, alpha: Double) -> Double {
        if alpha == alpha.rounded(), alpha <= Double(Int32.max) {
            return logAInteger(q: q, sigma: sigma, alpha: Int(alpha))
        }
        return logAFractional(q: q, sigma: sigma, alpha: alpha)
    }

    /// log(A_α) for integer α, 0 < q < 1 (`_compute_log_a_int`).
    private static func logAInteger(q: Double, sigma: Double, alpha: Int) -> Double {
        var logA = -Double.infinity
        let log1mq = Foundation.log1p(-q)
        let logq = Foundation.log(q)
        let a = Double(alpha)
        for i in 0...alpha {
            let di = Double(i)
            let logCoefficient = logBinomial(a, di) + di * logq + (a - di) * log1mq
            let s = logCoefficient + (di * di - di) / (2 * sigma * sigma)
            logA = logAdd(logA, s)
        }
        return logA
    }

    /// log(A_α) for fractional α, 0 < q < 1 (`_compute_log_a_frac`; arXiv:1908.10530 §3.3).
    private static func logAFractional(q: Double, sigma: Double, alpha: Double) -> Double {
        var logA0 = -Double.infinity, logA1 = -Double.infinity
        let z0 = sigma * sigma * Foundation.log(1 / q - 1) + 0.5
        let log1mq = Foundation.log1p(-q)
        let logq = Foundation.log(q)
        var lastS0 = -Double.infinity, lastS1 = -Double.infinity
        for step in 0..<1000 {
            let i = Double(step)
            let logCoefficient = logBinomial(alpha, i)
            let j = alpha - i
            let logT0 = logCoefficient + i * logq + j * log1mq
            let logT1 = logCoefficient + j * logq + i * log1mq
            let logE0 = Foundation.log(0.5) + logErfc((i - z0) / (2.0.squareRoot() * sigma))
            let logE1 = Foundation.log(0.5) + logErfc((z0 - j) / (2.0.squareRoot() * sigma))
            let logS0 = logT0 + (i * i - i) / (2 * sigma * sigma) + logE0
            let logS1 = logT1 + (j * j - j) / (2 * sigma * sigma) + logE1
            logA0 = logAdd(logA0, logS0)
            logA1 = logAdd(logA1, logS1)
            let total = logAdd(logA0, logA1)
            if logS0 < lastS0, logS1 < lastS1, max(logS0, logS1) < total - 30 { return total }
            lastS0 = logS0
            lastS1 = logS1
        }
        // dp-accounting logs a warning and excludes the order; so does this port.
        return .infinity
    }

    // MARK: Conversion to (ε, δ) (`compute_epsilon`, `compute_delta`)

    /// ε from an RDP curve at target δ: Balle et al. 2020 (arXiv:2004.00010) Proposition 12, or 0 where
    /// the KL bound δ ≤ √(1 − e^(−r)) already suffices; minimised over the orders.
    public static func epsilon(orders: [Double], rdp: [Double], delta: Double) throws -> (epsilon: Double, order: Double) {
        guard !delta.isNaN, delta >= 0, delta <= 1 else { throw AccountingError.invalidDelta(delta) }
        guard orders.count == rdp.count, !orders.isEmpty else {
            throw AccountingError.invalidOrders("one RDP value per order")
        }
        if delta == 0 {
            return rdp.allSatisfy({ $0 == 0 }) ? (0, 0) : (.infinity, 0)
        }
        var best = Double.infinity
        var bestOrder = orders[0]
        var first = true
        for (a, r) in zip(orders, rdp) {
            let epsilon: Double
            if r < 0 {
                epsilon = 0
            } else if delta * delta + Foundation.expm1(-r) > 0 {
                epsilon = 0
            } else if a > 1.01 {
                epsilon = r + Foundation.log1p(-1 / a) - Foundation.log(delta * a) / (a - 1)
            } else {
                epsilon = .infinity
            }
            // np.argmin: the first minimum; NaN never occurs (r is never NaN).
            if first || epsilon < best {
                best = epsilon
                bestOrder = a
                first = false
            }
        }
        return (max(0, best), bestOrder)
    }

    /// δ from an RDP curve at target ε (`compute_delta`): the same bounds, minimised over the orders.
    public static func delta(orders: [Double], rdp: [Double], epsilon: Double) throws -> (delta: Double, order: Double) {
        guard !epsilon.isNaN, epsilon >= 0 else { throw AccountingError.invalidEpsilon(epsilon) }
        guard orders.count == rdp.count, !orders.isEmpty else {
            throw AccountingError.invalidOrders("one RDP value per order")
        }
        var best = Double.infinity
        var bestOrder = orders[0]
        var first = true
        for (a, r) in zip(orders, rdp) {
            var logDelta: Double
            if r <= 0 {
                logDelta = -.infinity
            } else {
                logDelta = 0.5 * Foundation.log1p(-Foundation.exp(-r))
            }
            if a > 1.01 {
                let bound = (a - 1) * (r - epsilon + Foundation.log1p(-1 / a)) - Foundation.log(a)
                logDelta = min(logDelta, bound)
            }
            if first || logDelta < best {
                best = logDelta
                bestOrder = a
                first = false
            }
        }
        return (min(Foundation.exp(best), 1), bestOrder)
    }

    // MARK: Log-space helpers

    /// log(e^x + e^y) without overflow.
    static func logAdd(_ x: Double, _ y: Double) -> Double {
        let a = min(x, y), b = max(x, y)
        if a == -.infinity { return b }
        return Foundation.log1p(Foundation.exp(a - b)) + b
    }

    /// log |C(n, k)| through log-gamma (scipy's `gammaln` is log |Γ|, as is C's `lgamma`).
    static func logBinomial(_ n: Double, _ k: Double) -> Double {
        logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1)
    }

    /// log |Γ(x)|; +∞ at the poles, as scipy's `gammaln`.
    static func logGamma(_ x: Double) -> Double {
        if x <= 0, x == x.rounded() { return .infinity }
        return Foundation.lgamma(x)
    }

    /// log(erfc(x)), accurate in the far tail where erfc underflows (the asymptotic series dp-accounting
    /// falls back to, continued to the x⁻⁸ term).
    static func logErfc(_ x: Double) -> Double {
        let r = Foundation.erfc(x)
        if r > 1e-290 { return Foundation.log(r) }
        let x2 = x * x
        return -Foundation.log(Double.pi) / 2 - Foundation.log(x) - x2 - 0.5 / x2 + 0.625 / (x2 * x2)
            - 37.0 / 24.0 / (x2 * x2 * x2) + 353.0 / 64.0 / (x2 * x2 * x2 * x2)
    }
}
