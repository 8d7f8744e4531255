import MimeoTestSupport
import Testing

@testable import MimeoEval

@Suite struct CoMomentsTests {
    @Test func mergedChunksEqualOnePass() {
        var generator = SplitMix64(seed: 7)
        let n = 10_000
        // Large offsets, as epoch nanoseconds: the merge must stay stable.
        let x = (0 ..< n).map { _ in 1.4e18 + Double(generator.next() % 1_000_000) * 1e9 }
        let y = x.enumerated().map { i, v in i % 17 == 0 ? .nan : v * -2e-9 + Double(generator.next() % 1000) }
        var whole = CoMoments()
        whole.add(x, y)
        var merged = CoMoments()
        for range in [0 ..< 1, 1 ..< 2500, 2500 ..< 2500, 2500 ..< 9000, 9000 ..< n] {
            var part = CoMoments()
            part.add(Array(x[range]), Array(y[range]))
            merged.merge(part)
        }
        #expect(merged.count == whole.count)
        #expect(abs(merged.correlation! - whole.correlation!) < 1e-12)
        #expect(abs(merged.meanX - whole.meanX) / whole.meanX < 1e-15)
        #expect(merged.minimumX == whole.minimumX && merged.maximumY == whole.maximumY)
    }

    @Test func constantColumnsHaveNoCorrelation() {
        var moments = CoMoments()
        moments.add([0.1, 0.1, 0.1], [1, 2, 3])
        #expect(moments.correlation == nil)
        var empty = CoMoments()
        empty.merge(CoMoments())
        #expect(empty.count == 0 && empty.correlation == nil)
    }
}
