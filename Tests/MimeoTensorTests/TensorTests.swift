import MimeoTensor
import MimeoTestSupport
import Testing

@Suite struct TensorTests {
    @Test func zerosHasShapeAndCount() {
        let t = Tensor(zeros: [2, 3, 4])
        #expect(t.shape == [2, 3, 4])
        #expect(t.count == 24)
        #expect(t.scalars.allSatisfy { $0 == 0 })
        #expect(Tensor(zeros: []).count == 1)
        #expect(Tensor(zeros: [0, 5]).count == 0)
    }

    @Test func shapeAndScalarsRoundTrip() {
        let t = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
        #expect(t == Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]))
        #expect(t != Tensor(shape: [4], scalars: [1, 2, 3, 4]))
        #expect(t.withUnsafeBufferPointer { Array($0) } == [1, 2, 3, 4])
    }

    @Test func mutableBufferIsCopyOnWrite() {
        let original = Tensor(shape: [3], scalars: [1, 2, 3])
        var copy = original
        copy.withUnsafeMutableBufferPointer { $0[1] = 20 }
        #expect(copy.scalars == [1, 20, 3])
        #expect(original.scalars == [1, 2, 3])
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func matmulMatchesNaiveLoop(transposeA: Bool, transposeB: Bool) {
        let (m, k, n) = (5, 7, 3)
        var rng = RandomStream(seed: 1, stream: 0)
        let a = Tensor(shape: transposeA ? [k, m] : [m, k], scalars: (0..<(m * k)).map { _ in rng.nextNormal() })
        let b = Tensor(shape: transposeB ? [n, k] : [k, n], scalars: (0..<(k * n)).map { _ in rng.nextNormal() })
        let c = matmul(a, b, transposeA: transposeA, transposeB: transposeB)
        #expect(c.shape == [m, n])
        var expected = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                for p in 0..<k {
                    let aip = transposeA ? a.scalars[p * m + i] : a.scalars[i * k + p]
                    let bpj = transposeB ? b.scalars[j * k + p] : b.scalars[p * n + j]
                    expected[i * n + j] += Double(aip) * Double(bpj)
                }
            }
        }
        expectAllClose("matmul", c.scalars, expected, tolerance: CheckTolerance(absolute: 1e-5, relative: 1e-5))
    }

    @Test func matmulWithEmptyDimensions() {
        #expect(matmul(Tensor(zeros: [2, 0]), Tensor(zeros: [0, 3])) == Tensor(zeros: [2, 3]))
        #expect(matmul(Tensor(zeros: [0, 4]), Tensor(zeros: [4, 3])).shape == [0, 3])
    }

    @Test func blasReportsACoreName() {
        #expect(!BLAS.coreName.isEmpty)
    }
}
