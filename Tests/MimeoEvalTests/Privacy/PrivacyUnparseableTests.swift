import Foundation
import MimeoData
import MimeoTestSupport
import Testing

@testable import MimeoEval

/// Real (train, holdout) cells that do not parse must not make the holdout look far away, which
/// raised a false PRIVACY RISK on the old code (a holdout row with a bad cell got a missing
/// indicator no synthetic row has); synthetic cells that do not parse must not count as copies of
/// rows with a missing value.
@Suite struct PrivacyUnparseableTests {
    /// Real adult rows (`../shared/datasets/adult`): 8,000 train rows; holdout rows 0..<4,000 as the
    /// holdout and rows 4,000..<8,000 as "synthetic" (real rows the generator never saw: no leak).
    static let adult: (train: Table, holdout: Table, synthetic: Table, schema: Schema)? = {
        let directory = ReferenceFixture.datasetsDirectory.appendingPathComponent("adult")
        guard let train = try? TableLoader(rowLimit: 8000).load(path: directory.appendingPathComponent("adult-train.csv").path),
              let holdout = try? TableLoader(rowLimit: 8000).load(path: directory.appendingPathComponent("adult-holdout.csv").path)
        else { return nil }
        return (train, holdout.rows(0 ..< 4000), holdout.rows(4000 ..< 8000), SchemaInference().inferSchema(from: train))
    }()

    @Test(Datasets.required("adult/adult-train.csv", "adult/adult-holdout.csv"), arguments: [50, 3])
    func holdoutRowsWithBadCellsDoNotRaiseAFalseLeak(every n: Int) throws {
        let adult = try #require(Self.adult, "../shared/datasets/adult is needed")
        let clean = try PrivacyEvaluator(train: adult.train, holdout: adult.holdout, schema: adult.schema)
            .evaluate(adult.synthetic)
        let bad = UnparseableValuesTests.replacing(adult.holdout, column: "age", every: n, with: "??")
        let report = try PrivacyEvaluator(train: adult.train, holdout: bad, schema: adult.schema).evaluate(adult.synthetic)
        let share = try #require(report.dcrShare.share), cleanShare = try #require(clean.dcrShare.share)
        #expect(report.rowsUsed.holdoutUnparseable == (4000 + n - 1) / n)
        #expect(report.rowsUsed.holdout == 4000 - (4000 + n - 1) / n)
        #expect(abs(cleanShare - 0.5) < 0.03, "clean \(cleanShare)")
        #expect(abs(share - 0.5) < 0.03, "with bad holdout cells every \(n) rows: \(share)")
        #expect(try #require(report.membershipInference.auc) < 0.55)
    }

    @Test(Datasets.required("adult/adult-train.csv", "adult/adult-holdout.csv")) func aHoldoutColumnThatDoesNotParseIsAnError() throws {
        let adult = try #require(Self.adult, "../shared/datasets/adult is needed")
        let bad = UnparseableValuesTests.replacing(adult.holdout, column: "hours-per-week", every: 1, with: "40h")
        #expect(throws: EvaluationError.noParseableRows(table: "holdout", column: "hours-per-week", unparseable: 4000,
                                                        rows: 4000, example: "40h")) {
            try PrivacyEvaluator(train: adult.train, holdout: bad, schema: adult.schema)
        }
    }

    @Test func unparseableSyntheticCellsAreNotCopiesOfMissingOnes() throws {
        let schema = makeSchema(["x": .decimal, "c": .categorical])
        let train = makeTable(["x": [nil, "10", "bad"], "c": ["a", "b", "c"]])
        let holdout = makeTable(["x": ["2", "7"], "c": ["a", "b"]])
        let evaluator = try PrivacyEvaluator(train: train, holdout: holdout, schema: schema)
        // "oops" is not a copy of the row with a missing x; "bad" is a copy of the row that has it.
        let report = try evaluator.evaluate(makeTable(["x": ["oops", "bad"], "c": ["a", "c"]]))
        #expect(report.exactMatch.syntheticShare == 0.5)
        #expect(report.rowsUsed.trainUnparseable == 1 && report.rowsUsed.holdoutUnparseable == 0)
    }

    @Test func attackOptionsMustMakeAnAttack() throws {
        let schema = makeSchema(["x": .decimal, "c": .categorical])
        let table = makeTable(["x": ["1", "2"], "c": ["a", "b"]])
        func attempt(_ quasiIdentifiers: [String], _ sensitive: String?) throws {
            var options = PrivacyOptions()
            options.quasiIdentifiers = quasiIdentifiers
            options.sensitive = sensitive
            _ = try PrivacyEvaluator(train: table, holdout: table, schema: schema, options: options)
        }
        #expect(throws: EvaluationError.invalidAttack(
            "the sensitive column 'c' is also a quasi-identifier: the attacker would know it already")) {
            try attempt(["c"], "c")
        }
        #expect(throws: EvaluationError.invalidAttack("the sensitive column 'c' needs quasi-identifiers")) {
            try attempt([], "c")
        }
        #expect(throws: EvaluationError.invalidAttack("quasi-identifiers need a sensitive column")) { try attempt(["x"], nil) }
        #expect(throws: EvaluationError.invalidAttack("a quasi-identifier name is empty")) { try attempt(["x", ""], "c") }
        #expect(throws: EvaluationError.unknownColumns(["y", "z"], available: ["x", "c"])) { try attempt(["y"], "z") }
        try attempt(["x"], "c")
    }
}
