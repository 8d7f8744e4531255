import Foundation

/// The privacy budget of a DP-FedAvg job and the noise that meets it.
public enum NoiseCalibration {
    /// Errors from calibration.
    public enum CalibrationError: Error, Equatable, Sendable {
        /// The target is not reachable with any noise multiplier up to `maximumNoiseMultiplier`.
        case unreachable(targetEpsilon: Double, maximumNoiseMultiplier: Double)
        case invalidTarget(String)
    }

    /// ε after `rounds` rounds of the Poisson-subsampled Gaussian mechanism at the default orders.
    public static func epsilon(noiseMultiplier: Double, samplingRate: Double, rounds: Int, delta: Double) throws -> Double {
        var accountant = try RDPAccountant()
        try accountant.compose(samplingRate: samplingRate, noiseMultiplier: noiseMultiplier, count: rounds)
        return try accountant.epsilon(delta: delta).epsilon
    }

    /// The smallest noise multiplier z (within `tolerance`) such that `rounds` rounds at `samplingRate`
    /// stay within (`targetEpsilon`, `delta`): ε(z) is non-increasing in z, so bisection on
    /// [0, `maximumNoiseMultiplier`] converges; the value returned always satisfies ε(z) ≤ target (it is
    /// the upper end of the final bracket), as `dp_accounting.calibrate_dp_mechanism` guarantees.
    public static func noiseMultiplier(targetEpsilon: Double, delta: Double, rounds: Int, samplingRate: Double,
                                       tolerance: Double = 1e-6, maximumNoiseMultiplier: Double = 1e4) throws -> Double {
        guard targetEpsilon.isFinite, targetEpsilon > 0 else { throw CalibrationError.invalidTarget("ε must be > 0") }
        guard delta > 0, delta < 1 else { throw CalibrationError.invalidTarget("δ must be in (0, 1)") }
        guard rounds >= 1 else { throw CalibrationError.invalidTarget("at least one round") }
        guard samplingRate > 0, samplingRate <= 1 else { throw CalibrationError.invalidTarget("q must be in (0, 1]") }
        guard tolerance > 0, maximumNoiseMultiplier > 0 else { throw CalibrationError.invalidTarget("tolerance") }
        func meetsTarget(_ z: Double) throws -> Bool {
            try epsilon(noiseMultiplier: z, samplingRate: samplingRate, rounds: rounds, delta: delta) <= targetEpsilon
        }
        // Bracket: `low` misses the target (z = 0 is no noise: ε = ∞), `high` meets it.
        var low = 0.0
        var high = 1.0
        while try !meetsTarget(high) {
            low = high
            high *= 2
            if high > maximumNoiseMultiplier {
                throw CalibrationError.unreachable(targetEpsilon: targetEpsilon, maximumNoiseMultiplier: maximumNoiseMultiplier)
            }
        }
        while high - low > tolerance {
            let middle = (low + high) / 2
            if try meetsTarget(middle) { high = middle } else { low = middle }
        }
        return high
    }

    /// How many rounds fit in (`targetEpsilon`, `delta`) at noise multiplier z and sampling rate q: the
    /// largest R with ε(R) ≤ target (0 when even one round exceeds it), found by doubling and bisection
    /// over R ≤ `maximumRounds`.
    public static func affordableRounds(targetEpsilon: Double, delta: Double, noiseMultiplier: Double,
                                        samplingRate: Double, maximumRounds: Int = 1_000_000) throws -> Int {
        func fits(_ rounds: Int) throws -> Bool {
            try epsilon(noiseMultiplier: noiseMultiplier, samplingRate: samplingRate, rounds: rounds, delta: delta)
                <= targetEpsilon
        }
        guard try fits(1) else { return 0 }
        var low = 1
        var high = 2
        while high <= maximumRounds, try fits(high) {
            low = high
            high *= 2
        }
        if high > maximumRounds {
            if try fits(maximumRounds) { return maximumRounds }
            high = maximumRounds
        }
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if try fits(middle) { low = middle } else { high = middle }
        }
        return low
    }
}
