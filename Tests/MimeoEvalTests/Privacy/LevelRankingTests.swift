import Testing

@testable import MimeoEval

/// The one ranking of categorical levels that privacy's distance encoder and utility's learner encoding keep
/// the top of.
@Suite struct LevelRankingTests {
    @Test func ranksByCountThenFirstAppearance() {
        let ranking = LevelRanking(["b", "a", "c", "a", "d", "c", "b", "e", "a"])
        #expect(ranking.ranked == ["a", "b", "c", "d", "e"])
        #expect(ranking.counts == ["a": 3, "b": 2, "c": 2, "d": 1, "e": 1])
    }

    @Test func tiesKeepTheOrderOfFirstAppearance() {
        #expect(LevelRanking(["z", "y", "x", "x", "y", "z"]).ranked == ["z", "y", "x"])
    }

    @Test func topTakesAtMostTheLimit() {
        let ranking = LevelRanking(["p", "q", "q", "r", "r", "r"])
        #expect(ranking.top(2) == ["r", "q"])
        #expect(ranking.top(10) == ["r", "q", "p"])
        #expect(ranking.top(0).isEmpty)
        #expect(ranking.top(-1).isEmpty)
        #expect(LevelRanking([String]()).top(5).isEmpty)
    }
}
