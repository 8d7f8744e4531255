import MimeoTestSupport
import ArgumentParser
import Foundation
import Testing

@testable import MimeoCLI

/// `mimeo evaluate`: option parsing, end-to-end runs of the built binary on small real data, and
/// malformed inputs.
///
/// The data (`EvaluationFixture`) are rows of samples/adult-sample.csv: the first 1,500 are the
/// training table, the next 500 the holdout, and three "synthetic" tables are made from them: the
/// holdout itself (no leak), the training rows with 10% of their cells perturbed (a leak), and the
/// holdout with every column shuffled independently (same columns, no relationships between them).
@Suite struct EvaluateTests {
    // MARK: - Parsing

    @Test func parsesDefaults() throws {
        let parsed = try MimeoCommand.parseAsRoot(["evaluate", "--real", "r.csv", "--synthetic", "s.csv"])
        let command = try #require(parsed as? MimeoCommand.Evaluate)
        #expect(command.real == "r.csv")
        #expect(command.synthetic == "s.csv")
        #expect(command.holdout == nil)
        #expect(command.target == nil)
        #expect(command.quasiIdentifiers == nil)
        #expect(command.sensitive == nil)
        #expect(command.learner == "trees")
        #expect(command.model == nil)
        #expect(command.seed == 0)
        #expect(command.json == nil)
        #expect(command.html == nil)
        #expect(command.inputOptions.delimiter == nil)  // detected
        #expect(command.inputOptions.schema == nil)
    }

    @Test func parsesEveryOption() throws {
        let command = try MimeoCommand.Evaluate.parse([
            "--real", "r.csv", "--synthetic", "s.csv", "--holdout", "h.csv", "--target", "income",
            "--quasi-identifiers", "age,sex", "--sensitive", "race", "--learner", "linear", "--model", "m.mimeo",
            "--seed", "9", "--json", "out.json", "--html", "out.html", "--delimiter", ";",
        ])
        #expect(command.holdout == "h.csv")
        #expect(command.target == "income")
        #expect(command.quasiIdentifiers == "age,sex")
        #expect(command.sensitive == "race")
        #expect(command.learner == "linear")
        #expect(command.model == "m.mimeo")
        #expect(command.seed == 9)
        #expect(command.json == "out.json")
        #expect(command.html == "out.html")
        #expect(try command.inputOptions.delimiterByte(for: "unread.csv") == UInt8(ascii: ";"))
    }

    @Test(arguments: [
        (["--learner", "forest"], "--learner is trees or linear, not 'forest'"),
        (["--learner", "Trees"], "--learner is trees or linear, not 'Trees'"),
        (["--target", "income"], "--target needs --holdout (utility is tested on real holdout rows)"),
        (["--holdout", "h.csv", "--quasi-identifiers", "age,sex"], "--quasi-identifiers and --sensitive go together"),
        (["--holdout", "h.csv", "--sensitive", "income"], "--quasi-identifiers and --sensitive go together"),
        (["--quasi-identifiers", "age", "--sensitive", "income"], "attribute inference needs --holdout"),
        (["--model", "m.mimeo", "--schema", "s.json"], "give either --model or --schema, not both"),
        (["--holdout", "h.csv", "--quasi-identifiers", "income", "--sensitive", "income"],
         "--sensitive 'income' is also in --quasi-identifiers: the attacker would know it already"),
        (["--holdout", "h.csv", "--quasi-identifiers", "age, income", "--sensitive", "income"],
         "--sensitive 'income' is also in --quasi-identifiers: the attacker would know it already"),
        (["--holdout", "h.csv", "--quasi-identifiers", "", "--sensitive", "income"], "--quasi-identifiers names no column"),
        (["--holdout", "h.csv", "--quasi-identifiers", " ", "--sensitive", "income"], "--quasi-identifiers names no column"),
        (["--holdout", "h.csv", "--quasi-identifiers", "age,,sex", "--sensitive", "income"],
         "--quasi-identifiers has an empty column name in 'age,,sex'"),
        (["--holdout", "h.csv", "--quasi-identifiers", "age,", "--sensitive", "income"],
         "--quasi-identifiers has an empty column name in 'age,'"),
        (["--holdout", "h.csv", "--quasi-identifiers", "age", "--sensitive", ""], "--sensitive names no column"),
        (["--seed", "x"], "The value 'x' is invalid for '--seed <seed>'"),
        (["--delimiter", "ab"],
         "--delimiter must be one ASCII character other than a quote or newline (or 'tab'), not 'ab'"),
    ])
    func rejectsInvalidOptions(extra: [String], message: String) {
        #expect {
            try MimeoCommand.Evaluate.parse(["--real", "r.csv", "--synthetic", "s.csv"] + extra)
        } throws: { error in
            MimeoCommand.Evaluate.message(for: error) == message
        }
    }

    @Test func rejectsStandardInputAsSynthetic() {
        #expect {
            try MimeoCommand.Evaluate.parse(["--real", "r.csv", "--synthetic", "-"])
        } throws: { error in
            MimeoCommand.Evaluate.message(for: error) == "--synthetic must be a file (it is read more than once)"
        }
    }

    @Test(arguments: [
        (["--synthetic", "s.csv"], "Missing expected argument '--real <train.csv>'"),
        (["--real", "r.csv"], "Missing expected argument '--synthetic <synthetic.csv>'"),
    ])
    func requiresRealAndSynthetic(arguments: [String], message: String) {
        #expect {
            try MimeoCommand.Evaluate.parse(arguments)
        } throws: { error in
            MimeoCommand.Evaluate.message(for: error) == message
        }
    }

    // MARK: - End to end

    /// The holdout as "synthetic": real rows the generator never saw, so no leak; every section of
    /// the report (with utility), the JSON and the self-contained HTML file, and nothing else.
    @Test func holdoutAsSyntheticShowsNoLeakAndWritesBothReports() throws {
        let fixture = try EvaluationFixture.shared()
        let run = try EvaluationFixture.holdoutRun()
        #expect(run.run.succeeded, "\(run.run)")
        let out = run.run.standardOutput
        expectFidelityLines(out)
        #expect(out.contains("\(fixture.holdout) (500 rows) against \(fixture.train) (1,500 rows)"), "\(out)")
        #expect(out.contains("utility (income, "), "\(out)")
        #expect(out.contains("AUC synthetic / real"), "\(out)")
        #expect(out.contains("privacy (synthetic sample 500 rows, holdout 500)"), "\(out)")
        #expect(out.contains("No leak detected"), "\(out)")
        #expect(!out.contains("PRIVACY RISK"), "\(out)")
        #expect(try fidelityScore("overall", in: out) > 0.8, "real rows are faithful: \(out)")
        #expect(out.contains("wrote \(run.file("report.json"))"))
        #expect(out.contains("wrote \(run.file("report.html"))"))
        #expect(run.run.standardError.contains("evaluated in"), "\(run.run)")
        #expect(try run.contents() == ["report.html", "report.json"], "no partial or temporary file")

        let json = try #require(
            try JSONSerialization.jsonObject(with: run.read("report.json")) as? [String: Any])
        for key in ["fidelity", "deepStructure", "privacy", "utility", "findings"] {
            #expect(json[key] != nil, "JSON key \(key)")
        }
        let fidelity = try #require(json["fidelity"] as? [String: Any])
        let overall = try #require(fidelity["overall"] as? Double)
        #expect(abs(overall - (try fidelityScore("overall", in: out))) < 5e-5, "the JSON and the summary agree")
        let findings = try #require(json["findings"] as? [String])
        #expect(findings.contains { $0.hasPrefix("No leak detected") })
        let utility = try #require(json["utility"] as? [String: Any])
        #expect(utility["target"] as? String == "income")

        let html = String(decoding: try run.read("report.html"), as: UTF8.self)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        for id in ["scores", "columns", "correlations", "privacy", "utility"] {
            #expect(html.contains("<section id=\"\(id)\">"), "section \(id)")
        }
        #expect(!html.contains("http"), "self-contained: no link to anywhere")
        #expect(!html.lowercased().contains("<script"), "no scripts")
        #expect(html.hasSuffix("</html>\n"), "complete")
    }

    /// Training rows with 10% of cells perturbed: near-copies of the training data, which the
    /// privacy section must flag.
    @Test func perturbedTrainingRowsAreAPrivacyRisk() throws {
        let fixture = try EvaluationFixture.shared()
        let directory = try TemporaryDirectory()
        let run = try Mimeo.run(["evaluate", "--real", fixture.train, "--synthetic", fixture.perturbed,
                                 "--holdout", fixture.holdout, "--json", directory.file("report.json")])
        #expect(run.succeeded, "\(run)")
        let out = run.standardOutput
        expectFidelityLines(out)
        #expect(out.contains("PRIVACY RISK"), "\(out)")
        #expect(!out.contains("No leak detected"), "\(out)")
        let share = try score(after: "DCR share (0.5 = no leak)", in: out)
        let auc = try score(after: "membership inference AUC", in: out)
        #expect(share > 0.55 || auc > 0.55, "DCR share \(share), membership AUC \(auc)")
        #expect(!out.contains("utility ("), "no --target, no utility: \(out)")

        let json = try #require(
            try JSONSerialization.jsonObject(with: directory.read("report.json")) as? [String: Any])
        #expect(json["utility"] == nil || json["utility"] is NSNull, "no --target, no utility")
        let privacy = try #require(json["privacy"] as? [String: Any])
        let dcr = try #require(privacy["dcrShare"] as? [String: Any])
        #expect(abs((dcr["share"] as? Double ?? -1) - share) < 5e-5, "the JSON and the summary agree")
        #expect(try directory.contents() == ["report.json"])
    }

    /// Every column shuffled independently: each column's distribution is the holdout's (so the
    /// column shapes score is the holdout's, exactly), but the relationships between columns are
    /// gone, so the overall fidelity is lower than the holdout's.
    @Test func shuffledColumnsScoreLowerThanTheHoldout() throws {
        let fixture = try EvaluationFixture.shared()
        let holdout = try EvaluationFixture.holdoutRun()
        try #require(holdout.run.succeeded, "\(holdout.run)")
        let run = try Mimeo.run(["evaluate", "--real", fixture.train, "--synthetic", fixture.shuffled])
        #expect(run.succeeded, "\(run)")
        let out = run.standardOutput
        expectFidelityLines(out)
        #expect(out.contains("Privacy not assessed: give --holdout"), "no --holdout, no privacy: \(out)")
        #expect(!out.contains("privacy ("), "\(out)")
        let base = holdout.run.standardOutput
        #expect(try fidelityScore("column shapes", in: out) == (try fidelityScore("column shapes", in: base)))
        let shuffledPairs = try fidelityScore("column pair trends", in: out)
        let holdoutPairs = try fidelityScore("column pair trends", in: base)
        #expect(shuffledPairs < holdoutPairs - 0.05, "pair trends \(shuffledPairs) vs \(holdoutPairs)")
        let shuffledOverall = try fidelityScore("overall", in: out)
        let holdoutOverall = try fidelityScore("overall", in: base)
        #expect(shuffledOverall < holdoutOverall, "overall \(shuffledOverall) vs \(holdoutOverall)")
    }

    /// `--delimiter` applies to all three files: semicolon-separated copies score as the comma ones.
    @Test func delimiterAppliesToEveryFile() throws {
        let fixture = try EvaluationFixture.shared()
        let holdout = try EvaluationFixture.holdoutRun()
        try #require(holdout.run.succeeded, "\(holdout.run)")
        let directory = try TemporaryDirectory()
        let train = try directory.write(
            String(decoding: try Data(contentsOf: URL(fileURLWithPath: fixture.train)), as: UTF8.self)
                .replacingOccurrences(of: ",", with: ";"), to: "train.csv")
        let other = try directory.write(fixture.holdoutText.replacingOccurrences(of: ",", with: ";"), to: "holdout.csv")
        let run = try Mimeo.run(["evaluate", "--real", train, "--synthetic", other, "--holdout", other,
                                 "--delimiter", ";"])
        #expect(run.succeeded, "\(run)")
        let base = holdout.run.standardOutput
        for label in ["overall", "column shapes", "column pair trends", "deep structure", "DCR share (0.5 = no leak)",
                      "membership inference AUC"] {
            #expect(try score(after: label, in: run.standardOutput) == (try score(after: label, in: base)), "\(label)")
        }
    }

    /// A non-number in a number column is a mismatch, not a missing value (on the old code it was read
    /// as missing: the column's score went up and nothing was reported). The run succeeds; the age
    /// column scores lower than with those cells left empty, and the bad values are counted in the
    /// summary, the JSON and the HTML findings.
    @Test func nonNumbersInANumberColumnAreMismatches() throws {
        let fixture = try EvaluationFixture.shared()
        let directory = try TemporaryDirectory()
        var reports: [[String: Any]] = []
        var outputs: [String] = []
        for (name, junk) in [("junk", ["abc", "12x", "inf", "4 5", "--"]), ("blank", [""])] {
            let synthetic = try directory.write(fixture.replacingCells(ofColumn: "age", everyNth: 25, with: junk),
                                                to: "\(name).csv")
            let run = try Mimeo.run(["evaluate", "--real", fixture.train, "--synthetic", synthetic,
                                     "--holdout", fixture.holdout, "--target", "income", "--learner", "linear",
                                     "--json", directory.file("\(name).json"), "--html", directory.file("\(name).html")])
            #expect(run.succeeded, "\(name): \(run)")
            expectFidelityLines(run.standardOutput)
            outputs.append(run.standardOutput)
            reports.append(try #require(try JSONSerialization.jsonObject(with: directory.read("\(name).json")) as? [String: Any]))
        }
        func ageScore(_ report: [String: Any]) throws -> Double {
            let fidelity = try #require(report["fidelity"] as? [String: Any])
            let columns = try #require(fidelity["columns"] as? [[String: Any]])
            return try #require(columns.first { $0["column"] as? String == "age" }?["score"] as? Double)
        }
        #expect(try ageScore(reports[0]) < (try ageScore(reports[1])), "bad values score below missing ones")
        #expect(try fidelityScore("column shapes", in: outputs[0]) < (try fidelityScore("column shapes", in: outputs[1])))
        let unparseable = try #require(reports[0]["unparseable"] as? [String: Any])
        let synthetic = try #require(unparseable["synthetic"] as? [[String: Any]])
        #expect(synthetic.count == 1 && synthetic[0]["column"] as? String == "age" && synthetic[0]["count"] as? Int == 20,
                "\(synthetic)")
        #expect(outputs[0].contains("  unparseable age                    20  synthetic values, such as 'abc': counted as mismatches"),
                "\(outputs[0])")
        let finding = "20 synthetic values do not parse as their column's kind (age 20, such as 'abc')"
        #expect(outputs[0].contains(finding), "\(outputs[0])")
        let html = String(decoding: try directory.read("junk.html"), as: UTF8.self)
        #expect(html.contains("20 synthetic values do not parse as their column") && html.contains("(age 20, such as "),
                "HTML findings")
        #expect(!outputs[1].contains("unparseable"), "\(outputs[1])")
        #expect(((try #require(reports[1]["unparseable"] as? [String: Any]))["synthetic"] as? [Any])?.isEmpty == true)
    }

    // MARK: - Bad input

    /// One malformed evaluation: files written into a fresh directory, and what the error must say.
    struct BadInput: Sendable, CustomTestStringConvertible {
        let name: String
        /// The synthetic file's text (nil: the file does not exist).
        let synthetic: @Sendable (EvaluationFixture) throws -> String?
        /// The holdout file's text (nil: use the fixture's holdout).
        var holdout: (@Sendable (EvaluationFixture) throws -> String)? = nil
        /// The real file's text (nil: use the fixture's training table).
        var real: (@Sendable (EvaluationFixture) throws -> String)? = nil
        var extra: [String] = []
        /// Fragments standard error must contain; `$SYN`, `$HOLDOUT` and `$REAL` stand for the files' paths.
        let message: [String]
        /// The exit status: 1 for a data error, 64 (EX_USAGE) for an option naming an unknown column.
        var status: Int32 = 1

        var testDescription: String { name }

        static let all: [BadInput] = [
            BadInput(name: "synthetic lacks a column",
                     synthetic: { try $0.droppingColumn("education", from: $0.holdoutText) },
                     message: ["Error: $SYN: error: the synthetic table has no column 'education'; its header has 14 columns: 'age',"]),
            BadInput(name: "synthetic file empty", synthetic: { _ in "" },
                     message: ["Error: $SYN:1: error: empty file: expected a header line"]),
            BadInput(name: "synthetic header only", synthetic: { "\($0.header)\n" },
                     message: ["Error: $SYN: error: the table has a header but no data rows"]),
            BadInput(name: "synthetic header only, lacking a column",
                     synthetic: { try $0.droppingColumn("sex", from: "\($0.header)\n") },
                     message: ["Error: $SYN: error: the synthetic table has no column 'sex'"]),
            BadInput(name: "synthetic ragged row", synthetic: { $0.holdoutText + "39,State-gov\n" },
                     message: ["Error: $SYN:502:3: error (column 'fnlwgt'): expected 15 fields, found 2"]),
            BadInput(name: "synthetic file missing", synthetic: { _ in nil },
                     message: ["$SYN: error: cannot open file for reading"]),
            BadInput(name: "unknown target", synthetic: { $0.holdoutText }, extra: ["--target", "salary"],
                     message: ["Error: unknown column 'salary'; columns are: age, workclass, fnlwgt"], status: 64),
            BadInput(name: "unknown sensitive column", synthetic: { $0.holdoutText },
                     extra: ["--quasi-identifiers", "age, sex", "--sensitive", "wealth"],
                     message: ["Error: unknown column 'wealth'; columns are: age,"], status: 64),
            BadInput(name: "unknown quasi-identifier", synthetic: { $0.holdoutText },
                     extra: ["--quasi-identifiers", "age,gender", "--sensitive", "income"],
                     message: ["Error: unknown column 'gender'; columns are: age,"], status: 64),
            BadInput(name: "holdout has different columns", synthetic: { $0.holdoutText },
                     holdout: { $0.holdoutText.replacingOccurrences(of: ",sex,", with: ",gender,") },
                     message: ["Error: $HOLDOUT: error: the holdout table has no column 'sex'; its header has 15 columns:"]),
            // Detected otherwise: `--delimiter ','` makes the synthetic file's ';' a mismatch.
            BadInput(name: "synthetic in another delimiter than --delimiter",
                     synthetic: { $0.holdoutText.replacingOccurrences(of: ",", with: ";") }, extra: ["--delimiter", ","],
                     message: ["Error: $SYN: error: the synthetic table has none of the real table's columns (15 columns: 'age',",
                               "its header has 1 column: 'age;workclass;",
                               "if the file is separated by ';', give --delimiter ';'"]),
            BadInput(name: "synthetic from another table", synthetic: { _ in "a,b\n1,2\n" },
                     message: ["Error: $SYN: error: the synthetic table has none of the real table's columns",
                               "its header has 2 columns: 'a', 'b'"]),
            BadInput(name: "the wrong delimiter for every file", synthetic: { $0.holdoutText }, extra: ["--delimiter", ";"],
                     message: ["Error: $REAL: error: the real table has 1 column: 'age,workclass,",
                               "if the file is separated by ',', give --delimiter ','"]),
            BadInput(name: "holdout column does not parse", synthetic: { $0.holdoutText },
                     holdout: { try $0.replacingCells(ofColumn: "age", everyNth: 1, with: ["old"]) },
                     message: ["Error: $HOLDOUT: error (column 'age'): no row of the holdout table can be compared: "
                               + "500 of its 500 values in this column do not parse as integer, such as 'old'"]),

            BadInput(name: "holdout header only", synthetic: { $0.holdoutText }, holdout: { "\($0.header)\n" },
                     message: ["Error: $HOLDOUT: error: the table has a header but no data rows"]),
            BadInput(name: "real header only", synthetic: { $0.holdoutText }, real: { "\($0.header)\n" },
                     message: ["Error: $REAL: error: the table has a header but no data rows"]),
        ]
    }

    @Test(arguments: BadInput.all)
    func badInputFailsCleanly(_ input: BadInput) throws {
        let fixture = try EvaluationFixture.shared()
        let directory = try TemporaryDirectory()
        let synthetic = directory.file("synthetic.csv")
        if let text = try input.synthetic(fixture) { try directory.write(text, to: "synthetic.csv") }
        let holdout = try input.holdout.map { try directory.write($0(fixture), to: "holdout.csv") } ?? fixture.holdout
        let real = try input.real.map { try directory.write($0(fixture), to: "real.csv") } ?? fixture.train
        let before = try directory.contents()

        let run = try Mimeo.run(["evaluate", "--real", real, "--synthetic", synthetic, "--holdout", holdout,
                                 "--json", directory.file("report.json"), "--html", directory.file("report.html")]
                                + input.extra)

        #expect(run.failedCleanly, "\(run)")
        #expect(run.status == input.status, "\(run)")
        for fragment in input.message {
            let expected = fragment.replacingOccurrences(of: "$SYN", with: synthetic)
                .replacingOccurrences(of: "$HOLDOUT", with: holdout).replacingOccurrences(of: "$REAL", with: real)
            #expect(run.standardError.contains(expected), "expected '\(expected)' in: \(run)")
        }
        #expect(!run.standardOutput.contains("wrote "), "\(run)")
        #expect(try directory.contents() == before, "no report and no temporary file may be left behind")
    }

    // MARK: - Helpers

    /// Where two parsed JSON values differ (numbers within 1e-9), or nil when they agree.
    private func jsonDifference(_ a: Any, _ b: Any, at path: String = "$") -> String? {
        switch (a, b) {
        case (let a as [String: Any], let b as [String: Any]):
            guard a.keys.sorted() == b.keys.sorted() else { return "\(path): keys \(a.keys.sorted()) vs \(b.keys.sorted())" }
            for key in a.keys.sorted() {
                if let difference = jsonDifference(a[key]!, b[key]!, at: "\(path).\(key)") { return difference }
            }
            return nil
        case (let a as [Any], let b as [Any]):
            guard a.count == b.count else { return "\(path): \(a.count) vs \(b.count) elements" }
            for i in a.indices {
                if let difference = jsonDifference(a[i], b[i], at: "\(path)[\(i)]") { return difference }
            }
            return nil
        case (let a as String, let b as String):
            return a == b ? nil : "\(path): \(a) vs \(b)"
        case (let a as NSNumber, let b as NSNumber):
            return abs(a.doubleValue - b.doubleValue) <= 1e-9 ? nil : "\(path): \(a) vs \(b)"
        case (is NSNull, is NSNull):
            return nil
        default:
            return "\(path): \(a) vs \(b)"
        }
    }

    /// The fidelity block of the summary: four scores, each with a grade.
    private func expectFidelityLines(_ out: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(out.contains("\nfidelity\n"), "\(out)", sourceLocation: sourceLocation)
        for name in ["overall", "column shapes", "column pair trends", "deep structure"] {
            let line = out.split(separator: "\n").first { $0.hasPrefix("  \(name) ") }.map(String.init) ?? ""
            let graded = ["Excellent", "Good", "Moderate", "Poor"].contains { line.contains("  \($0)") }
            #expect(graded && (try? fidelityScore(name, in: out)) != nil, "line '\(name)': \(out)",
                    sourceLocation: sourceLocation)
        }
        #expect(out.contains("\nfindings\n  - Fidelity is "), "\(out)", sourceLocation: sourceLocation)
    }

    /// The score printed on the summary line `name` (a number in 0...1).
    private func fidelityScore(_ name: String, in out: String) throws -> Double {
        try score(after: name, in: out)
    }

    /// The first number after the label `label` on its summary line.
    private func score(after label: String, in out: String) throws -> Double {
        guard let line = out.split(separator: "\n").first(where: { $0.hasPrefix("  \(label) ") }) else {
            throw MimeoTestError("no line '\(label)' in:\n\(out)")
        }
        let rest = line.dropFirst(2 + label.count).drop { $0 == " " }
        guard let value = Double(rest.prefix { !$0.isWhitespace }), (0 ... 1).contains(value) else {
            throw MimeoTestError("no score on line '\(line)'")
        }
        return value
    }
}

/// Train, holdout and "synthetic" tables made from samples/adult-sample.csv, written once per test
/// process into a directory removed when the process exits.
struct EvaluationFixture: Sendable {
    let directory: String
    let header: String
    /// Rows 1 ... 1,500 of the sample.
    let train: String
    /// Rows 1,501 ... 2,000: the holdout, and "synthetic" case (a).
    let holdout: String
    let holdoutText: String
    /// The training rows with 10% of their cells perturbed (deterministically).
    let perturbed: String
    /// The holdout with every column shuffled independently (deterministically).
    let shuffled: String

    static func shared() throws -> EvaluationFixture { try sharedResult.get() }

    /// `mimeo evaluate` of the holdout as synthetic (with utility, JSON and HTML, written into
    /// `directory`, a subdirectory of the fixture's), run once and shared by the tests that compare
    /// against it.
    static func holdoutRun() throws -> SharedRun { try holdoutResult.get() }

    /// A run and the directory its reports went to.
    struct SharedRun: Sendable {
        let run: MimeoRun
        let directory: String

        func file(_ name: String) -> String { "\(directory)/\(name)" }
        func read(_ name: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: file(name))) }
        func contents() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: directory).sorted() }
    }

    private static let sharedResult: Result<EvaluationFixture, MimeoTestError> = Result {
        try make()
    }.mapError { $0 as? MimeoTestError ?? MimeoTestError("\($0)") }

    private static let holdoutResult: Result<SharedRun, MimeoTestError> = Result {
        let fixture = try shared()
        let directory = fixture.directory + "/holdout-run"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let run = try Mimeo.run(["evaluate", "--real", fixture.train, "--synthetic", fixture.holdout,
                                 "--holdout", fixture.holdout, "--target", "income",
                                 "--json", directory + "/report.json", "--html", directory + "/report.html"])
        return SharedRun(run: run, directory: directory)
    }.mapError { $0 as? MimeoTestError ?? MimeoTestError("\($0)") }

    private static func make() throws -> EvaluationFixture {
        let directory = evaluationFixtureDirectory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: evaluationFixtureDirectory) }
        let lines = try adultSampleText(rows: 2000).split(separator: "\n").map(String.init)
        let header = lines[0]
        let rows = lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let trainRows = Array(rows[0 ..< 1500]), holdoutRows = Array(rows[1500 ..< 2000])
        func text(_ rows: [[String]]) -> String {
            ([header] + rows.map { $0.joined(separator: ",") }).joined(separator: "\n") + "\n"
        }
        func write(_ rows: [[String]], _ name: String) throws -> String {
            let path = "\(directory)/\(name)"
            try Data(text(rows).utf8).write(to: URL(fileURLWithPath: path))
            return path
        }
        var random = SplitMix64(seed: 2024)
        let columnCount = rows[0].count

        // (b) 10% of the training cells: a number moves by 1 to 3, a category takes another row's value.
        var perturbed = trainRows
        for r in perturbed.indices {
            for c in 0 ..< columnCount where random.next() % 10 == 0 {
                if let number = Int(perturbed[r][c]) {
                    perturbed[r][c] = String(number + 1 + Int(random.next() % 3))
                } else {
                    perturbed[r][c] = trainRows[Int(random.next() % UInt64(trainRows.count))][c]
                }
            }
        }
        // (c) each column of the holdout permuted on its own.
        var shuffled = holdoutRows
        for c in 0 ..< columnCount {
            var column = holdoutRows.map { $0[c] }
            for i in stride(from: column.count - 1, to: 0, by: -1) {
                column.swapAt(i, Int(random.next() % UInt64(i + 1)))
            }
            for r in shuffled.indices { shuffled[r][c] = column[r] }
        }
        return EvaluationFixture(
            directory: directory, header: header, train: try write(trainRows, "train.csv"),
            holdout: try write(holdoutRows, "holdout.csv"), holdoutText: text(holdoutRows),
            perturbed: try write(perturbed, "perturbed.csv"), shuffled: try write(shuffled, "shuffled.csv"))
    }

    /// `text` (a CSV with the adult header) without the column `name`.
    func droppingColumn(_ name: String, from text: String) throws -> String {
        let names = header.split(separator: ",").map(String.init)
        guard let index = names.firstIndex(of: name) else { throw MimeoTestError("no column \(name)") }
        return text.split(separator: "\n").map { line in
            var fields = line.split(separator: ",", omittingEmptySubsequences: false)
            fields.remove(at: index)
            return fields.joined(separator: ",")
        }.joined(separator: "\n") + "\n"
    }

    /// The holdout with every `n`-th cell of column `name` replaced by the values of `junk` in turn.
    func replacingCells(ofColumn name: String, everyNth n: Int, with junk: [String]) throws -> String {
        let names = header.split(separator: ",").map(String.init)
        guard let index = names.firstIndex(of: name) else { throw MimeoTestError("no column \(name)") }
        var replaced = 0
        let lines = holdoutText.split(separator: "\n").enumerated().map { (i, line) -> String in
            guard i > 0, i % n == 0 else { return String(line) }
            var fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            fields[index] = junk[replaced % junk.count]
            replaced += 1
            return fields.joined(separator: ",")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Where the evaluation fixture lives (a global so that the `atexit` handler can reach it).
private let evaluationFixtureDirectory = NSTemporaryDirectory() + "mimeo-cli-tests-evaluate-\(getpid())-\(UUID().uuidString)"

