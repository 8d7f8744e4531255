import CBLAS
import Foundation
import Synchronization

/// Matrix products through OpenBLAS. The only file in Mimeo that imports CBLAS.
public enum BLAS {
    /// Row-major single-precision GEMM: `C = alpha · op(A) · op(B) + beta · C`.
    ///
    /// `op(A)` is `[m, k]`, `op(B)` is `[k, n]`, `C` is `[m, n]`; `lda`, `ldb`, `ldc` are the row
    /// strides of the matrices as stored (before transposition).
    @inlinable
    public static func sgemm(
        transposeA: Bool = false, transposeB: Bool = false,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if m == 0 || n == 0 { return }
        cblas_sgemm(
            CblasRowMajor,
            transposeA ? CblasTrans : CblasNoTrans,
            transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k),
            alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// The name of the OpenBLAS kernel in use (`SkylakeX`, `Haswell`, `Prescott`, ...).
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// Sets the number of threads OpenBLAS uses for each call.
    public static func setThreadCount(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, count)))
    }

    /// How many single-threaded scopes (`beginSingleThreadedCalls`) are open in this process.
    private static let singleThreadedScopes = Mutex<Int>(0)

    /// Opens a scope in which OpenBLAS runs each call on one thread (the caller parallelises across calls);
    /// close it with `endSingleThreadedCalls()`. OpenBLAS's thread count is process-wide, so all cores come
    /// back only when the last open scope closes: a training run and a generation run at once (as tests do)
    /// must not restore it under each other, which would change the summation order, and so the bits, of
    /// the other's products.
    public static func beginSingleThreadedCalls() {
        singleThreadedScopes.withLock { count in
            if count == 0 { openblas_set_num_threads(1) }
            count += 1
        }
    }

    /// Closes a scope opened by `beginSingleThreadedCalls()`; the last one restores all cores.
    public static func endSingleThreadedCalls() {
        singleThreadedScopes.withLock { count in
            count = max(0, count - 1)
            if count == 0 { openblas_set_num_threads(Int32(ProcessInfo.processInfo.activeProcessorCount)) }
        }
    }
}
