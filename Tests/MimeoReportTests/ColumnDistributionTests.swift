import Testing
@testable import MimeoReport

@Suite struct ColumnDistributionTests {
    @Test func histogramUsesRealRangeAndCountsSyntheticOutside() throws {
        let real = (0 ... 100).map(Double.init) + [.nan]
        let synthetic = [-5, 0, 50, 100, 100.5, 200, .nan]
        let h = try #require(Histogram(real: real, synthetic: synthetic, binCount: 30, scale: .number,
                                       integerAligned: false))
        #expect(h.edges.count == 31)
        #expect(h.edges.first == 0 && h.edges.last == 100)
        #expect(h.real.reduce(0, +) == 101)
        #expect(h.real.last! > 0, "the maximum falls in the last bin")
        #expect(h.synthetic.reduce(0, +) == 3)
        #expect(h.syntheticBelow == 1)
        #expect(h.syntheticAbove == 2)
        #expect(!h.isIntegerAligned)
    }

    @Test func smallIntegerRangesGetOneBinPerValue() throws {
        let h = try #require(Histogram(real: [1, 2, 2, 5], synthetic: [3, 6], binCount: 30, scale: .number,
                                       integerAligned: true))
        #expect(h.isIntegerAligned)
        #expect(h.edges == [0.5, 1.5, 2.5, 3.5, 4.5, 5.5])
        #expect(h.real == [1, 2, 0, 0, 1])
        #expect(h.synthetic == [0, 0, 1, 0, 0])
        #expect(h.syntheticAbove == 1)
    }

    @Test func wideIntegerRangesGetEqualBins() throws {
        let h = try #require(Histogram(real: [0, 1000], synthetic: [], binCount: 30, scale: .number,
                                       integerAligned: true))
        #expect(!h.isIntegerAligned)
        #expect(h.edges.count == 31)
    }

    @Test func constantAndEmptyColumns() throws {
        let constant = try #require(Histogram(real: [7, 7], synthetic: [7, 8], binCount: 30, scale: .number,
                                              integerAligned: false))
        #expect(constant.edges == [6.5, 7.5])
        #expect(constant.real == [2])
        #expect(constant.synthetic == [1])
        #expect(constant.syntheticAbove == 1)
        // No real values: the synthetic range is used.
        let syntheticOnly = try #require(Histogram(real: [.nan], synthetic: [1, 3], binCount: 2, scale: .number,
                                                   integerAligned: false))
        #expect(syntheticOnly.edges == [1, 2, 3])
        #expect(syntheticOnly.synthetic == [1, 1])
        #expect(Histogram(real: [.nan], synthetic: [], binCount: 30, scale: .number, integerAligned: false) == nil)
    }

    @Test func categoriesKeepTopRealThenOtherThenMissing() {
        var real: [String?] = []
        for (i, name) in ["a", "b", "c", "d", "e"].enumerated() {
            real += Array(repeating: name, count: 10 - i)
        }
        real += [nil, nil]
        let synthetic: [String?] = ["a", "a", "e", "zz", "zz", nil]
        let counts = CategoryCounts(real: real, synthetic: synthetic, top: 3)
        #expect(counts.bars.map(\.label) == ["a", "b", "c", "other (2 + 1 new)", "missing"])
        #expect(counts.bars.map(\.role) == [.value, .value, .value, .other, .missing])
        #expect(counts.bars.map(\.real) == [10, 9, 8, 7 + 6, 2])
        #expect(CategoryCounts(real: ["a"], synthetic: ["b"], top: 1).bars.map(\.label) == ["a", "other (1 new)"])
        #expect(CategoryCounts(real: ["a", "a", "b"], synthetic: [], top: 1).bars.map(\.label) == ["a", "other (1)"])
        #expect(counts.bars.map(\.synthetic) == [2, 0, 0, 3, 1])
        #expect(counts.realCategoryCount == 5)
        #expect(counts.syntheticUnseen == 2)
    }

    @Test func categoryTiesAreBrokenByName() {
        let counts = CategoryCounts(real: ["y", "x", "z", "x", "y"], synthetic: [], top: 12)
        #expect(counts.bars.map(\.label) == ["x", "y", "z"])
    }
}
