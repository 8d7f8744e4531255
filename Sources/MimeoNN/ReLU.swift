// Dimension key: N = number of elements.

/// The rectified linear unit, `max(0, x)`, applied in place.
public enum ReLU {
    /// `x[i] = max(0, x[i])` for `N` elements.
    @inlinable
    public static func forward(_ x: UnsafeMutablePointer<Float>, count N: Int) {
        for i in 0..<N where x[i] < 0 { x[i] = 0 }
    }

    /// Zeroes `gradient[i]` where the forward output `output[i]` is not positive
    /// (d max(0,x)/dx = 1 for x > 0, else 0).
    @inlinable
    public static func backward(gradient: UnsafeMutablePointer<Float>, output: UnsafePointer<Float>, count N: Int) {
        for i in 0..<N where output[i] <= 0 { gradient[i] = 0 }
    }
}
