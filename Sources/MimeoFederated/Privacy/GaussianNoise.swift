import Foundation

/// Standard normal draws for the DP noise, from any random number generator: the coordinator passes a
/// `SystemRandomNumberGenerator` (the kernel's CSPRNG) in production, tests a seeded generator.
public enum GaussianNoise {
    /// One draw from N(0, 1) by the Box–Muller transform, in Double, from 2 × 53 random bits.
    public static func standardNormal<Generator: RandomNumberGenerator>(using generator: inout Generator) -> Double {
        // u1 in (0, 1]: never 0, so the logarithm is finite.
        let u1 = (Double(generator.next() >> 11) + 1) * 0x1p-53
        let u2 = Double(generator.next() >> 11) * 0x1p-53
        return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }

    /// Adds N(0, σ²) independently to every element of `values`.
    public static func add<Generator: RandomNumberGenerator>(standardDeviation: Double, to values: inout [Double],
                                                             using generator: inout Generator) {
        guard standardDeviation > 0 else { return }
        for i in values.indices { values[i] += standardDeviation * standardNormal(using: &generator) }
    }
}
