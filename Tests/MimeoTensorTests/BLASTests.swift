import MimeoTensor
import MimeoTestSupport
import Testing

/// `BLAS.sgemm`, the one matrix product the model (`Linear`, the sampler) and evaluation (nearest
/// neighbours, the PCA of deep structure) call, against a naive loop.
@Suite struct BLASTests {
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func sgemmMatchesNaiveLoop(transposeA: Bool, transposeB: Bool) {
        let (m, k, n) = (5, 7, 3)
        var rng = RandomStream(seed: 1, stream: 0)
        let a = (0..<(m * k)).map { _ in rng.nextNormal() }
        let b = (0..<(k * n)).map { _ in rng.nextNormal() }
        let initial = (0..<(m * n)).map { _ in rng.nextNormal() }
        var c = initial
        let (alpha, beta): (Float, Float) = (0.5, 2)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    BLAS.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                               a: pa.baseAddress!, lda: transposeA ? m : k, b: pb.baseAddress!, ldb: transposeB ? k : n,
                               beta: beta, c: pc.baseAddress!, ldc: n)
                }
            }
        }
        var expected = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k {
                    let aip = transposeA ? a[p * m + i] : a[i * k + p]
                    let bpj = transposeB ? b[j * k + p] : b[p * n + j]
                    sum += Double(aip) * Double(bpj)
                }
                expected[i * n + j] = Double(alpha) * sum + Double(beta) * Double(initial[i * n + j])
            }
        }
        expectAllClose("sgemm", c, expected, tolerance: CheckTolerance(absolute: 1e-5, relative: 1e-5))
    }

    /// An empty `m` or `n` leaves `C` alone (OpenBLAS is not called).
    @Test func sgemmWithEmptyDimensions() {
        var c: [Float] = [1, 2, 3]
        let a: [Float] = [1, 2, 3, 4]
        for (m, n) in [(0, 3), (3, 0)] {
            a.withUnsafeBufferPointer { p in
                c.withUnsafeMutableBufferPointer { pc in
                    BLAS.sgemm(m: m, n: n, k: 1, a: p.baseAddress!, lda: 1, b: p.baseAddress!, ldb: max(n, 1),
                               c: pc.baseAddress!, ldc: max(n, 1))
                }
            }
        }
        #expect(c == [1, 2, 3])
    }

    @Test func blasReportsACoreName() {
        #expect(!BLAS.coreName.isEmpty)
    }
}
