@testable import MimeoTabular
import Testing

/// `mimeo augment`'s plan against its closed form: every minority class reaches the share of the augmented table.
@Suite struct AugmentationPlanTests {
    static func column(_ counts: [(String?, Int)]) -> [String?] {
        counts.flatMap { Array(repeating: $0.0, count: $0.1) }
    }

    @Test func oneMinorityClassReachesTheShare() throws {
        // N = 1000, m = 100, s = 0.3: K = (0.3 · 1000 − 100) / 0.7 = 285.71..., so 286 rows.
        let plan = try AugmentationPlan(target: Self.column([("no", 900), ("yes", 100)]), minorityShare: 0.3)
        #expect(plan.classes.map(\.value) == ["no", "yes"])
        #expect(plan.classes.map(\.syntheticRows) == [0, 286])
        let share = Double(100 + 286) / Double(1000 + 286)
        #expect(abs(share - 0.3) < 1.0 / 1286)
    }

    /// Three minority classes at s = 0.2: each gets s · (N + K) − m_c with K = (3 · 0.2 · N − Σ m) / (1 − 0.6); missing
    /// values count in N; a class pushed under the share by the added rows joins the minority.
    @Test func severalMinoritiesAndTheSetGrows() throws {
        let plan = try AugmentationPlan(target: Self.column([("a", 700), ("b", 150), ("c", 60), ("d", 40), (nil, 50)]),
                                        minorityShare: 0.2)
        let n = 1000.0, k = (3 * 0.2 * n - 250) / 0.4
        #expect(plan.realRows == 1000)
        #expect(plan.classes.map(\.syntheticRows) == [0] + [150.0, 60, 40].map { Int((0.2 * (n + k) - $0).rounded()) })
        // b (15 %) is above 0.2 of the real rows? No: it is below, and so are c and d; a stays the majority.
        let grown = try AugmentationPlan(target: Self.column([("a", 500), ("b", 230), ("c", 200), ("d", 70)]),
                                         minorityShare: 0.22)
        // At first only c and d are below 0.22 · 1000; the rows added for them push b (230) below 0.22 · (N + K).
        #expect(grown.classes.filter { $0.syntheticRows > 0 }.map(\.value) == ["b", "c", "d"])
        let total = Double(grown.realRows + grown.syntheticRows)
        for c in grown.classes where c.syntheticRows > 0 {
            #expect(abs(Double(c.realRows + c.syntheticRows) / total - 0.22) < 2 / total)
        }
    }

    @Test func classesTheModelCannotGenerateAreLeftAlone() throws {
        let plan = try AugmentationPlan(target: Self.column([("a", 900), ("b", 95), ("rare", 5)]), minorityShare: 0.3) {
            $0 != "rare"
        }
        let rare = try #require(plan.classes.first { $0.value == "rare" })
        #expect(rare.syntheticRows == 0 && !rare.isGenerable)
        #expect(plan.classes.first { $0.value == "b" }!.syntheticRows > 0)
    }

    @Test func impossibleRequestsAreErrors() {
        #expect(throws: ConditionError.self) { try AugmentationPlan(target: Self.column([("a", 10)]), minorityShare: 0.3) }
        #expect(throws: ConditionError.self) { try AugmentationPlan(target: Self.column([("a", 10), ("b", 1)]), minorityShare: 0.6) }
        #expect(throws: ConditionError.self) { try AugmentationPlan(target: Self.column([("a", 10), ("b", 1)]), minorityShare: 0) }
        // Five classes at 0.2 each would fill the whole table.
        #expect(throws: ConditionError.self) {
            try AugmentationPlan(target: Self.column([("a", 96), ("b", 1), ("c", 1), ("d", 1), ("e", 1)]), minorityShare: 0.2)
        }
    }
}
