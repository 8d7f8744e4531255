import Foundation
import MimeoData
import MimeoTestSupport
import Testing

@testable import MimeoEval

/// `EvaluationPipeline.run`, the library call behind `mimeo evaluate`, on files of real adult rows
/// (`../shared/datasets/adult`): 2,000 train rows, 1,000 holdout rows, and 1,000 other holdout
/// rows as "synthetic" (no leak).
@Suite(Datasets.required("adult/adult-train.csv", "adult/adult-holdout.csv")) struct EvaluationPipelineTests {
    struct Files {
        let directory: TemporaryDirectory
        let header: String
        let train: [String], holdout: [String], synthetic: [String]
        var trainPath: String { directory.file("train.csv") }
        var holdoutPath: String { directory.file("holdout.csv") }
        var syntheticPath: String { directory.file("synthetic.csv") }

        init() throws {
            let adult = ReferenceFixture.datasetsDirectory.appendingPathComponent("adult")
            func lines(_ name: String) throws -> [String] {
                try String(contentsOf: adult.appendingPathComponent(name), encoding: .utf8)
                    .split(separator: "\n").prefix(2001).map(String.init)
            }
            let train = try lines("adult-train.csv"), holdout = try lines("adult-holdout.csv")
            directory = try TemporaryDirectory()
            header = train[0]
            self.train = Array(train.dropFirst())
            self.holdout = Array(holdout[1 ... 1000])
            synthetic = Array(holdout[1001 ... 2000])
            try write(self.train, "train.csv")
            try write(self.holdout, "holdout.csv")
            try write(synthetic, "synthetic.csv")
        }

        @discardableResult
        func write(_ rows: [String], _ name: String, header: String? = nil, delimiter: Character = ",") throws -> String {
            let text = ([header ?? self.header] + rows).joined(separator: "\n") + "\n"
            return try directory.write(delimiter == "," ? text : text.replacingOccurrences(of: ",", with: String(delimiter)),
                                       to: name)
        }

        /// `rows` with field `field` of every `n`-th row replaced by `text`.
        func replacing(_ rows: [String], field: Int, every n: Int, with text: String) -> [String] {
            rows.enumerated().map { i, row in
                guard i % n == 0 else { return row }
                var fields = row.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                fields[field] = text
                return fields.joined(separator: ",")
            }
        }
    }

    /// The pipeline returns what the evaluators return, and the findings the verdict gives.
    @Test func runsEverySectionLikeTheEvaluators() throws {
        let files = try Files()
        var request = EvaluationRequest(real: files.trainPath, synthetic: files.syntheticPath, holdout: files.holdoutPath)
        request.target = "income"
        request.learner = .linear
        request.quasiIdentifiers = ["age", "sex"]
        request.sensitive = "race"
        let evaluation = try EvaluationPipeline.run(request)
        let report = evaluation.report
        let real = try Table.load(path: files.trainPath)
        let schema = SchemaInference().inferSchema(from: real)
        #expect(evaluation.schema == schema)
        let fidelity = try FidelityEvaluator(real: real, schema: schema).evaluate(try Table.load(path: files.syntheticPath))
        #expect(report.fidelity.columns == fidelity.columns && report.fidelity.overall == fidelity.overall)
        #expect(report.syntheticSampleRows == 1000 && evaluation.syntheticSample.rowCount == 1000)
        #expect(report.deepStructure.score != nil)
        #expect(report.privacy?.attributeInference?.sensitive == "race")
        #expect(report.utility?.target == "income")
        #expect(report.unparseable.syntheticTotal == 0 && report.unparseable.holdoutRows == 0)
        #expect(report.findings.first?.hasPrefix("Fidelity is ") == true)
        #expect(report.findings.contains { $0.hasPrefix("No leak detected") }, "\(report.findings)")
        #expect(!report.findings.contains { $0.contains("PRIVACY RISK") })
        // The JSON keys `mimeo evaluate --json` has always written.
        let json = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as? [String: Any])
        for key in ["fidelity", "deepStructure", "privacy", "utility", "findings", "syntheticSampleRows", "unparseable"] {
            #expect(json[key] != nil, "\(key)")
        }
    }

    @Test func unparseableSyntheticValuesAreCountedAndLowerTheScore() throws {
        let files = try Files()
        let clean = try EvaluationPipeline.run(EvaluationRequest(real: files.trainPath, synthetic: files.syntheticPath))
        let bad = try files.write(files.replacing(files.synthetic, field: 0, every: 8, with: "forty"), "bad.csv")
        let report = try EvaluationPipeline.run(EvaluationRequest(real: files.trainPath, synthetic: bad)).report
        #expect(report.unparseable.synthetic == [UnparseableValues.Column(column: "age", count: 125, example: "forty")])
        #expect(try #require(report.fidelity.columnShapes) < (try #require(clean.report.fidelity.columnShapes)))
        #expect(try #require(report.deepStructure.score) < (try #require(clean.report.deepStructure.score)))
        #expect(report.findings.contains {
            $0.hasPrefix("125 synthetic values do not parse as their column's kind (age 125, such as 'forty')")
        }, "\(report.findings)")
    }

    @Test func holdoutCellsThatDoNotParseRaiseNoFalseLeak() throws {
        let files = try Files()
        let holdout = try files.write(files.replacing(files.holdout, field: 2, every: 4, with: "n/k"), "holdout-bad.csv")
        let report = try EvaluationPipeline.run(
            EvaluationRequest(real: files.trainPath, synthetic: files.syntheticPath, holdout: holdout)).report
        #expect(report.unparseable.holdoutRows == 250)
        #expect(!report.findings.contains { $0.contains("PRIVACY RISK") }, "\(report.findings)")
        #expect(report.findings.contains { $0.hasPrefix("Privacy samples leave out 0 train and 250 holdout rows") })
    }

    /// Inputs whose columns do not match are refused with the file, the columns and a hint.
    @Test func mismatchedFilesAreRefused() throws {
        let files = try Files()
        func message(_ request: EvaluationRequest) -> String {
            do {
                _ = try EvaluationPipeline.run(request)
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        // The wrong delimiter for every file: one column each, so "everything matches" on the old code.
        var semicolon = EvaluationRequest(real: files.trainPath, synthetic: files.syntheticPath)
        semicolon.delimiter = UInt8(ascii: ";")
        let wrong = message(semicolon)
        #expect(wrong.hasPrefix("\(files.trainPath): error: the real table has 1 column: 'age,workclass,"), "\(wrong)")
        #expect(wrong.hasSuffix("if the file is separated by ',', give --delimiter ','"), "\(wrong)")
        // A synthetic file with another delimiter.
        let semicolonFile = try files.write(files.synthetic, "semicolon.csv", delimiter: ";")
        let other = message(EvaluationRequest(real: files.trainPath, synthetic: semicolonFile))
        #expect(other.hasPrefix("\(semicolonFile): error: the synthetic table has none of the real table's columns "
                                + "(15 columns: 'age', 'workclass',"), "\(other)")
        #expect(other.hasSuffix("if the file is separated by ';', give --delimiter ';'"), "\(other)")
        // A column missing from the synthetic file.
        let header = files.header.replacingOccurrences(of: ",sex,", with: ",gender,")
        let renamed = try files.write(files.synthetic, "renamed.csv", header: header)
        let missing = message(EvaluationRequest(real: files.trainPath, synthetic: renamed))
        #expect(missing.hasPrefix("\(renamed): error: the synthetic table has no column 'sex'; its header has 15 columns:"),
                "\(missing)")
        // The same for the holdout.
        let holdout = message(EvaluationRequest(real: files.trainPath, synthetic: files.syntheticPath, holdout: renamed))
        #expect(holdout.hasPrefix("\(renamed): error: the holdout table has no column 'sex'"), "\(holdout)")
        // Nothing to score in the real table.
        let ids = try files.directory.write("id,name\n1,a\n2,b\n3,c\n", to: "ids.csv")
        var identifiers = EvaluationRequest(real: ids, synthetic: ids)
        identifiers.schema = .declared(makeSchema(["id": .identifier, "name": .text]))
        let none = message(identifiers)
        #expect(none.hasPrefix("\(ids): error: no column can be scored: the real table has 2 columns: 'id', 'name'"),
                "\(none)")
        // A holdout column in which nothing parses.
        let hours = try files.write(files.replacing(files.holdout, field: 12, every: 1, with: "40h"), "hours.csv")
        let garbage = message(EvaluationRequest(real: files.trainPath, synthetic: files.syntheticPath, holdout: hours))
        #expect(garbage == "\(hours): error (column 'hours-per-week'): no row of the holdout table can be compared: "
                + "1000 of its 1000 values in this column do not parse as integer, such as '40h'. Does the file have "
                + "the real table's format?")
        // A given schema that does not fit the real table.
        var given = EvaluationRequest(real: files.trainPath, synthetic: files.syntheticPath)
        var schema = SchemaInference().inferSchema(from: try Table.load(path: files.trainPath))
        schema.columns[1].kind = .decimal  // workclass
        given.schema = .given(schema)
        #expect(message(given).hasPrefix("\(files.trainPath): error (column 'workclass'): no value of the real column "
                                          + "parses as decimal, such as 'State-gov'"), "\(message(given))")
    }

    @Test func optionsMustNameColumnsAndMakeAnAttack() throws {
        let files = try Files()
        var request = EvaluationRequest(real: files.trainPath, synthetic: files.syntheticPath, holdout: files.holdoutPath)
        request.target = "salary"
        #expect(throws: EvaluationError.self) { try EvaluationPipeline.run(request) }
        request.target = nil
        request.quasiIdentifiers = ["income"]
        request.sensitive = "income"
        #expect(throws: EvaluationError.invalidAttack(
            "the sensitive column 'income' is also a quasi-identifier: the attacker would know it already")) {
            try EvaluationPipeline.run(request)
        }
        request.quasiIdentifiers = []
        #expect(throws: EvaluationError.invalidAttack("the sensitive column 'income' needs quasi-identifiers")) {
            try EvaluationPipeline.run(request)
        }
        request.quasiIdentifiers = ["age", "gender"]
        #expect(throws: EvaluationError.self) { try EvaluationPipeline.run(request) }
    }
}
