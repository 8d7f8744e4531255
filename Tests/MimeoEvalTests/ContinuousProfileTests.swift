import Testing

@testable import MimeoEval

@Suite struct ContinuousProfileTests {
    private func profile(_ values: [Double]) throws -> ContinuousProfile {
        ContinuousProfile(values: values, parser: try CellParser(kind: .decimal, format: nil), binCount: 10)
    }

    @Test func cellsFollowTheRealValues() throws {
        let p = try profile([1, 1, 2, .nan, 1025])
        #expect(p.points == [1, 2, 1025] && p.pointCounts == [2, 1, 1] && p.missingCount == 1)
        // Cell 0 (below), {1}, (1, 2) in one cell, {2}, (2, 1025) in 1023 cells of width 1, {1025}, above.
        #expect(p.pointCells == [1, 3, 1027])
        #expect(p.cellCount == 1029)
        #expect(p.code(of: .nan) == 0)
        #expect(p.code(of: 1) == 1 && p.code(of: 1.5) == 2 && p.code(of: 2) == 3)
        #expect(p.code(of: 2.5) == 4 && p.code(of: 1024.5) == 1026 && p.code(of: 1025) == 1027)
        #expect(p.realCellCounts.reduce(0, +) == 4 && p.realCellCounts[1] == 2)
    }

    @Test func outerBucketsGrowGeometrically() throws {
        let p = try profile([0, 1024])  // unit = 1
        #expect(p.code(of: -0.5) == -1)  // below, bucket 0
        #expect(p.code(of: 1024.5) == -2)  // above, bucket 0
        #expect(p.code(of: 1026) == -(2 * (1 + 128) + 2))  // distance 2: one octave
        #expect(ContinuousProfile.isBelow(p.code(of: -5000)) && !ContinuousProfile.isBelow(p.code(of: 5000)))
        #expect(p.bucket(1e300) == ContinuousProfile.maxBucket)
    }

    @Test func emptyAndConstantColumns() throws {
        let empty = try profile([.nan])
        #expect(empty.cellCount == 2 && empty.code(of: 3) < 0)
        let constant = try profile([7, 7])
        #expect(constant.isConstant && constant.code(of: 7) == 1 && constant.cellCount == 3)
    }
}
