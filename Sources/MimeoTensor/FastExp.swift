/// A vectorised single-precision `exp`, for softmax sampling where `expf` calls dominate.
///
/// Cephes-style: `exp(x) = 2^n · exp(r)` with `n = round(x / ln 2)`, `r = x - n·ln 2` (ln 2 split in two
/// parts for accuracy) and a degree-5 polynomial for `exp(r)` on |r| ≤ ln2/2. Inputs are clamped to
/// [-87.3, 88.3]; the relative error is below 2e-7 in that range (`FastExpTests`).
public enum FastExp {
    @inlinable @inline(__always)
    public static func exp(_ input: SIMD4<Float>) -> SIMD4<Float> {
        var x = input.replacing(with: 88.3, where: input .> 88.3)
        x = x.replacing(with: -87.3, where: x .< -87.3)
        // Adding 1.5·2²³ rounds to an integer and leaves it in the low mantissa bits.
        let magic = SIMD4<Float>(repeating: 12_582_912)
        let shifted = x * 1.442_695_04 + magic
        let n = shifted - magic
        var r = x - n * 0.693_359_375
        r = r + n * 2.121_944_4e-4
        let r2 = r * r
        var p = SIMD4<Float>(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_6e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_1e-1
        let expR = p * r2 + r + 1
        let integer = unsafeBitCast(shifted, to: SIMD4<Int32>.self) &- 0x4B40_0000
        return expR * unsafeBitCast((integer &+ 127) &<< 23, to: SIMD4<Float>.self)
    }

    /// The scalar form of `exp(_:)`, bit-identical to one lane of it.
    @inlinable @inline(__always)
    public static func exp(_ x: Float) -> Float {
        exp(SIMD4<Float>(repeating: x))[0]
    }
}
