import MimeoTestSupport
import Testing

@testable import MimeoEval

@Suite struct NearestNeighborSearchTests {
    /// Random rows: 3 numbers (some missing) and 2 categories (some outside the kept levels), with
    /// repeated rows so that ties occur.
    static func randomRows(_ count: Int, seed: UInt64, repeats: Int = 0) -> EncodedRows {
        var generator = SplitMix64(seed: seed)
        func uniform() -> Float { Float(generator.next() >> 40) * 0x1p-24 }
        var rows = EncodedRows(numericWidth: 3, categoricalWidth: 2)
        for _ in 0 ..< count {
            let numbers: [Float] = (0 ..< 3).map { c in
                generator.next() % 13 == 0 ? .nan : (c == 2 ? Float(generator.next() % 4) / 3 : uniform() * 1.2 - 0.1)
            }
            let codes: [Int32] = [Int32(generator.next() % 5) - 1, Int32(generator.next() % 3)]
            rows.append(numbers: numbers, codes: codes)
        }
        for r in 0 ..< repeats { rows.append(rows, row: (r * 7) % max(count, 1)) }
        return rows
    }

    static let layout = FeatureLayout(hasIndicator: [true, false, true], levelCounts: [4, 3])

    /// The squared distance from the dense features, in Double: the definition.
    static func denseDistance(_ a: EncodedRows, _ i: Int, _ b: EncodedRows, _ j: Int) -> Double {
        let k = layout.featureCount
        var x = [Float](repeating: 0, count: k), y = [Float](repeating: 0, count: k)
        x.withUnsafeMutableBufferPointer { layout.writeDense(a, i ..< i + 1, into: $0.baseAddress!) }
        y.withUnsafeMutableBufferPointer { layout.writeDense(b, j ..< j + 1, into: $0.baseAddress!) }
        return zip(x, y).reduce(0) { $0 + (Double($1.0) - Double($1.1)) * (Double($1.0) - Double($1.1)) }
    }

    static func exactDistance(_ a: EncodedRows, _ i: Int, _ b: EncodedRows, _ j: Int) -> Double {
        a.numbers.withUnsafeBufferPointer { an in
            a.codes.withUnsafeBufferPointer { ac in
                b.numbers.withUnsafeBufferPointer { bn in
                    b.codes.withUnsafeBufferPointer { bc in
                        layout.exactSquaredDistance(an.baseAddress! + i * 3, ac.baseAddress! + i * 2,
                                                    bn.baseAddress! + j * 3, bc.baseAddress! + j * 2,
                                                    numericWidth: 3, categoricalWidth: 2)
                    }
                }
            }
        }
    }

    @Test func exactDistanceEqualsTheDenseFeatures() {
        let a = Self.randomRows(40, seed: 1), b = Self.randomRows(30, seed: 2)
        for i in 0 ..< a.count {
            for j in 0 ..< b.count {
                #expect(abs(Self.exactDistance(a, i, b, j) - Self.denseDistance(a, i, b, j)) < 1e-12)
            }
        }
    }

    /// Block sizes and scanning threads (1 query row per block never splits; 177 rows split in 2 or 3).
    @Test(arguments: [(1, 1, 1), (3, 5, 2), (7, 64, 1), (2048, 4096, 1), (2048, 4096, 2), (200, 30, 3)])
    func matchesBruteForce(_ blocks: (Int, Int, Int)) {
        let queries = Self.randomRows(157, seed: 3, repeats: 20)
        let references = Self.randomRows(211, seed: 4, repeats: 30)
        let search = NearestNeighborSearch(layout: Self.layout, queryBlockRows: blocks.0, referenceBlockRows: blocks.1,
                                           threadCount: blocks.2)
        let result = search.run(queries: queries, references: references, wantsSecond: true, wantsReverse: true)
        var reverse = [Double](repeating: .infinity, count: references.count)
        var reverseIndex = [Int32](repeating: -1, count: references.count)
        for q in 0 ..< queries.count {
            var best = Double.infinity, second = Double.infinity, index: Int32 = -1
            for r in 0 ..< references.count {
                let d = Self.exactDistance(queries, q, references, r)
                if d < best {
                    second = best
                    best = d
                    index = Int32(r)
                } else if d < second {
                    second = d
                }
                if d < reverse[r] {
                    reverse[r] = d
                    reverseIndex[r] = Int32(q)
                }
            }
            #expect(result.nearest[q] == best)
            #expect(result.secondNearest[q] == second)
            #expect(result.nearestIndex[q] == index)
        }
        #expect(result.reverseNearest == reverse)
        #expect(result.reverseNearestIndex == reverseIndex)
    }

    /// Exact copies are found at distance exactly 0, whatever the Float32 rounding of the product.
    @Test func copiesAreAtZero() {
        let references = Self.randomRows(100, seed: 5)
        let queries = references.subset([3, 50, 99, 3])
        let result = NearestNeighborSearch(layout: Self.layout).run(queries: queries, references: references,
                                                                     wantsSecond: true)
        #expect(result.nearest == [0, 0, 0, 0])
        #expect(result.nearestIndex.allSatisfy { $0 >= 0 })
        for (q, row) in [3, 50, 99, 3].enumerated() {
            #expect(Self.exactDistance(references, Int(result.nearestIndex[q]), references, row) == 0)
        }
    }

    @Test func emptySides() {
        let rows = Self.randomRows(5, seed: 6)
        let empty = EncodedRows(numericWidth: 3, categoricalWidth: 2)
        let search = NearestNeighborSearch(layout: Self.layout)
        let none = search.run(queries: rows, references: empty, wantsSecond: true, wantsReverse: true)
        #expect(none.nearest == Array(repeating: .infinity, count: 5))
        #expect(none.nearestIndex == Array(repeating: -1, count: 5))
        #expect(none.reverseNearest.isEmpty)
        let one = search.run(queries: rows, references: rows.subset([2]), wantsSecond: true)
        #expect(one.secondNearest == Array(repeating: .infinity, count: 5))
    }

    /// Values far outside the train range (large norms) stay exact: the screening margin grows with them.
    @Test func largeValuesStayExact() {
        var queries = EncodedRows(numericWidth: 3, categoricalWidth: 2)
        var references = EncodedRows(numericWidth: 3, categoricalWidth: 2)
        for i in 0 ..< 50 {
            references.append(numbers: [Float(i) * 1000, 0.5, 0], codes: [0, 1])
            queries.append(numbers: [Float(i) * 1000 + 0.001 * Float(i % 3), 0.5, 0], codes: [0, 1])
        }
        let result = NearestNeighborSearch(layout: Self.layout, queryBlockRows: 8, referenceBlockRows: 16)
            .run(queries: queries, references: references)
        for q in 0 ..< 50 {
            #expect(result.nearestIndex[q] == Int32(q))
            #expect(result.nearest[q] == Self.exactDistance(queries, q, references, q))
        }
    }
}
