// Dimension key: N = number of elements.

/// The rectified linear unit, `max(0, x)`, applied in place.
///
/// Both passes are branch-free, four lanes at a time (a data-dependent branch per element made these
/// loops a fifth of training time).
public enum ReLU {
    /// `x[i] = max(0, x[i])` for `N` elements.
    @inlinable
    public static func forward(_ x: UnsafeMutablePointer<Float>, count N: Int) {
        let raw = UnsafeMutableRawPointer(x)
        var i = 0
        while i + 4 <= N {
            let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD4<Float>.self)
            raw.storeBytes(of: v.replacing(with: 0, where: v .< 0), toByteOffset: i * 4, as: SIMD4<Float>.self)
            i += 4
        }
        while i < N {
            x[i] = x[i] < 0 ? 0 : x[i]
            i += 1
        }
    }

    /// Zeroes `gradient[i]` where the forward output `output[i]` is not positive
    /// (d max(0,x)/dx = 1 for x > 0, else 0).
    @inlinable
    public static func backward(gradient: UnsafeMutablePointer<Float>, output: UnsafePointer<Float>, count N: Int) {
        let g = UnsafeMutableRawPointer(gradient), o = UnsafeRawPointer(output)
        var i = 0
        while i + 4 <= N {
            let out = o.loadUnaligned(fromByteOffset: i * 4, as: SIMD4<Float>.self)
            let grad = g.loadUnaligned(fromByteOffset: i * 4, as: SIMD4<Float>.self)
            g.storeBytes(of: grad.replacing(with: 0, where: out .<= 0), toByteOffset: i * 4, as: SIMD4<Float>.self)
            i += 4
        }
        while i < N {
            if output[i] <= 0 { gradient[i] = 0 }
            i += 1
        }
    }
}
