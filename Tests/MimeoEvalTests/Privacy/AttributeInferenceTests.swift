import MimeoData
import MimeoTestSupport
import Testing

@testable import MimeoEval

@Suite struct AttributeInferenceTests {
    static let schema = makeSchema(["q1": .integer, "q2": .categorical, "secret": .categorical, "amount": .decimal])

    /// Rows whose quasi-identifiers are nearly unique and whose secret is independent of them.
    static func table(_ count: Int, seed: UInt64) -> Table {
        var generator = SplitMix64(seed: seed)
        var q1: [String?] = [], q2: [String?] = [], secret: [String?] = [], amount: [String?] = []
        for _ in 0 ..< count {
            q1.append(String(generator.next() % 100_000))
            q2.append(["a", "b", "c"][Int(generator.next() % 3)])
            secret.append(["s0", "s1", "s2", "s3"][Int(generator.next() % 4)])
            amount.append(String(1 + generator.next() % 1000))
        }
        return makeTable(["q1": q1, "q2": q2, "secret": secret, "amount": amount])
    }

    func evaluator(sensitive: String) throws -> PrivacyEvaluator {
        var options = PrivacyOptions()
        options.quasiIdentifiers = ["q1", "q2"]
        options.sensitive = sensitive
        return try PrivacyEvaluator(train: Self.table(400, seed: 1), holdout: Self.table(200, seed: 2),
                                    schema: Self.schema, options: options)
    }

    /// Copies of the train rows give the secret of every member away, and of no non-member.
    @Test func copiedRowsLeakTheSecret() throws {
        let report = try evaluator(sensitive: "secret").evaluate(Self.table(400, seed: 1))
        let attack = try #require(report.attributeInference)
        #expect(attack.memberAccuracy == 1)
        #expect(attack.nonMemberAccuracy! < 0.4)
        #expect(attack.risk! > 0.9)
        #expect(abs(attack.baselineAccuracy! - 0.25) < 0.1)
        #expect(attack.quasiIdentifiers == ["q1", "q2"] && attack.members == 200 && attack.nonMembers == 200)
        #expect(attack.numericTolerance == nil)
    }

    /// Fresh rows from the same population help members no more than non-members.
    @Test func freshRowsDoNot() throws {
        let report = try evaluator(sensitive: "secret").evaluate(Self.table(400, seed: 3))
        let attack = try #require(report.attributeInference)
        #expect(attack.risk! < 0.1)
        #expect(abs(attack.memberAccuracy! - 0.25) < 0.1)
    }

    /// A number secret counts as guessed within 5% of its value.
    @Test func numberSecret() throws {
        let report = try evaluator(sensitive: "amount").evaluate(Self.table(400, seed: 1))
        let attack = try #require(report.attributeInference)
        #expect(attack.memberAccuracy == 1)
        #expect(attack.numericTolerance == 0.05)
        #expect(AttributeInferenceRisk.isCorrect(guess: .number(104), truth: .number(100), tolerance: 0.05))
        #expect(!AttributeInferenceRisk.isCorrect(guess: .number(106), truth: .number(100), tolerance: 0.05))
        #expect(AttributeInferenceRisk.isCorrect(guess: .category(nil), truth: .category(nil), tolerance: 0))
    }

    @Test func riskNormalisation() {
        #expect(abs(AttributeInferenceRisk.risk(memberAccuracy: 0.6, nonMemberAccuracy: 0.2) - 0.5) < 1e-12)
        #expect(AttributeInferenceRisk.risk(memberAccuracy: 0.2, nonMemberAccuracy: 0.3) == 0)
        #expect(AttributeInferenceRisk.risk(memberAccuracy: 1, nonMemberAccuracy: 1) == 0)
    }
}
