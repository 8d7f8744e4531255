/// A dense, row-major array of `Float` with a shape.
///
/// `Tensor` is a plain value: `scalars` holds `shape.reduce(1, *)` elements in row-major order,
/// and copies are copy-on-write through `Array`. The model's kernels work on flat buffers; reach
/// them through ``withUnsafeBufferPointer(_:)`` (read) and ``withUnsafeMutableBufferPointer(_:)``
/// (update), which keep the pointer inside a closure.
///
/// ```swift
/// var x = Tensor(zeros: [2, 3])          // [B, C]
/// x.withUnsafeMutableBufferPointer { $0[4] = 1 }
/// let y = matmul(x, Tensor(shape: [3, 1], scalars: [1, 2, 3]))   // [2, 1]
/// ```
public struct Tensor: Sendable, Equatable {
    /// The extent of each dimension, outermost first. `[]` is a scalar (one element).
    public var shape: [Int]
    /// The elements in row-major order; `scalars.count == shape.reduce(1, *)`.
    public var scalars: [Float]

    /// A tensor of the given shape filled with zeros.
    ///
    /// - Parameters:
    ///   - shape: The extent of each dimension; each must be non-negative.
    public init(zeros shape: [Int]) {
        self.init(shape: shape, scalars: [Float](repeating: 0, count: Tensor.elementCount(shape)))
    }

    /// A tensor with the given shape and row-major elements.
    ///
    /// - Parameters:
    ///   - shape: The extent of each dimension; each must be non-negative.
    ///   - scalars: The elements in row-major order; their count must equal the product of `shape`.
    public init(shape: [Int], scalars: [Float]) {
        precondition(
            scalars.count == Tensor.elementCount(shape),
            "Tensor: \(scalars.count) scalars do not fill shape \(shape)")
        self.shape = shape
        self.scalars = scalars
    }

    /// The number of elements (the product of `shape`).
    @inlinable
    public var count: Int { scalars.count }

    /// Calls `body` with a read-only pointer to the row-major elements.
    ///
    /// The pointer is valid only inside `body`.
    @inlinable @inline(__always)
    public func withUnsafeBufferPointer<R>(
        _ body: (UnsafeBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        try scalars.withUnsafeBufferPointer(body)
    }

    /// Calls `body` with a mutable pointer to the row-major elements (unique storage first).
    ///
    /// The pointer is valid only inside `body`; the shape cannot change through it.
    @inlinable @inline(__always)
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        try scalars.withUnsafeMutableBufferPointer { buffer in try body(buffer) }
    }

    @usableFromInline
    static func elementCount(_ shape: [Int]) -> Int {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative extent in shape \(shape)")
        return shape.reduce(1, *)
    }
}

extension Tensor: CustomStringConvertible {
    /// A short summary: the shape and, for small tensors, the elements.
    public var description: String {
        count <= 16 ? "Tensor(\(shape), \(scalars))" : "Tensor(\(shape), \(count) scalars)"
    }
}

/// The matrix product of two rank-2 tensors, through OpenBLAS `sgemm`.
///
/// `C = op(A) · op(B)`, where `op(X)` is `Xᵀ` when the matching `transpose…` flag is set.
/// `op(A)` is `[m, k]`, `op(B)` is `[k, n]`, and the result is `[m, n]`:
/// ```swift
/// let logits = matmul(hidden, weight, transposeB: true)   // [B, C] · [V, C]ᵀ -> [B, V]
/// ```
/// - Parameters:
///   - a: A `[m, k]` tensor, or `[k, m]` if `transposeA`.
///   - b: A `[k, n]` tensor, or `[n, k]` if `transposeB`.
///   - transposeA: Use `aᵀ` in the product.
///   - transposeB: Use `bᵀ` in the product.
public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    precondition(a.shape.count == 2 && b.shape.count == 2, "matmul: rank-2 tensors only, got \(a.shape) and \(b.shape)")
    let (m, k) = transposeA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
    let (kB, n) = transposeB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
    precondition(k == kB, "matmul: inner dimensions differ: \(a.shape)\(transposeA ? "ᵀ" : "") · \(b.shape)\(transposeB ? "ᵀ" : "")")
    var c = Tensor(zeros: [m, n])
    if m == 0 || n == 0 || k == 0 { return c }
    a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
            c.withUnsafeMutableBufferPointer { pc in
                BLAS.sgemm(
                    transposeA: transposeA, transposeB: transposeB,
                    m: m, n: n, k: k,
                    a: pa.baseAddress!, lda: a.shape[1],
                    b: pb.baseAddress!, ldb: b.shape[1],
                    c: pc.baseAddress!, ldc: n)
            }
        }
    }
    return c
}
