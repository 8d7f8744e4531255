import Testing

@testable import MimeoEval

@Suite struct ContingencySimilarityTests {
    @Test func metadataFollowsSDMetrics() {
        #expect(ContingencySimilarity.name == "ContingencySimilarity")
        #expect(ContingencySimilarity.goal == .maximize)
        #expect(ContingencySimilarity.range == 0 ... 1)
    }

    @Test func comparesJointFrequencies() {
        let real: ([String?], [String?]) = (["a", "b"], ["x", "y"])
        #expect(ContingencySimilarity.compute(real: real, synthetic: real) == 1)
        #expect(ContingencySimilarity.compute(real: real, synthetic: (["a", "b"], ["y", "x"])) == 0)
        // (a,x) 1/2 + (b,y) 1/2 vs (a,x) 1/4, (a,y) 1/4, (b,y) 1/2: TV = 1/2.
        let mixed = ContingencySimilarity.compute(real: real, synthetic: (["a", "a", "b", "b"], ["x", "y", "y", "y"]))
        #expect(mixed == 0.75)
    }

    @Test func missingValuesAreACategory() {
        // (nil, x) 1/2 + (a, x) 1/2 vs (a, x) 1: TV = 1.
        let score = ContingencySimilarity.compute(real: ([nil, "a"], ["x", "x"]), synthetic: (["a", "a"], ["x", "x"]))
        #expect(score == 0.5)
    }

    @Test func cramersVMatchesScipy() {
        // scipy.stats.contingency.association(..., method="cramer")
        let v1 = ContingencySimilarity.cramersV([[100, 150], [203, 322], [42, 7], [32, 21]])!
        #expect(abs(v1 - 0.2338236568314592) < 1e-14)
        let v2 = ContingencySimilarity.cramersV([[10, 2, 3], [1, 12, 4]])!
        #expect(abs(v2 - 0.6750302976346516) < 1e-14)
        #expect(ContingencySimilarity.cramersV([[10, 0], [0, 10]]) == 1)
        #expect(ContingencySimilarity.cramersV([[5, 5], [5, 5]]) == 0)
        // Empty rows and columns are dropped (pandas unstack keeps only seen values).
        #expect(ContingencySimilarity.cramersV([[10, 0, 0], [0, 0, 10], [0, 0, 0]]) == 1)
        #expect(ContingencySimilarity.cramersV([[4, 6]]) == nil)
    }
}
