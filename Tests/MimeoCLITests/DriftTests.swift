import MimeoTestSupport
import ArgumentParser
import Foundation
import Testing

@testable import MimeoCLI

/// `mimeo drift`: option parsing, exit status 0 / 3 on tables with and without drift, the JSON and
/// HTML outputs, and usage errors. The statistics themselves are tested in MimeoEvalTests
/// (DriftDetectorFixtureTests against Evidently, DriftDetectorFlightsTests on real data).
@Suite struct DriftTests {
    @Test func parsesOptions() throws {
        let command = try MimeoCommand.Drift.parse([
            "--reference", "r.csv", "--current", "c.csv", "--target", "y", "--seed", "4", "--json", "d.json", "--html", "d.html",
        ])
        #expect(command.reference == "r.csv" && command.current == "c.csv" && command.target == "y")
        #expect(command.seed == 4 && command.json == "d.json" && command.html == "d.html" && command.model == nil)
        #expect(throws: (any Error).self) { try MimeoCommand.Drift.parse(["--reference", "r.csv"]) }
        #expect(throws: (any Error).self) {
            try MimeoCommand.Drift.parse(["--reference", "r.csv", "--current", "c.csv", "--model", "m", "--schema", "s"])
        }
    }

    /// 400 reference rows: a number uniform on 0-99 and a category a/b/c; `shifted` moves the number
    /// by 30 and makes most categories `c`.
    static func table(seed: UInt64, shifted: Bool) -> String {
        var state = seed
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        var text = "x,kind,y\n"
        for _ in 0 ..< 400 {
            let x = Int(next() % 100) + (shifted ? 30 : 0)
            let kind = shifted && next() % 4 != 0 ? "c" : ["a", "b", "c"][Int(next() % 3)]
            text += "\(x),\(kind),\(x > 50 ? "high" : "low")\n"
        }
        return text
    }

    @Test func exitsWithThreeOnDriftAndZeroWithout() throws {
        let directory = try TemporaryDirectory()
        let reference = try directory.write(Self.table(seed: 1, shifted: false), to: "reference.csv")
        let same = try directory.write(Self.table(seed: 2, shifted: false), to: "same.csv")
        let shifted = try directory.write(Self.table(seed: 3, shifted: true), to: "shifted.csv")

        let calm = try Mimeo.run(["drift", "--reference", reference, "--current", same, "--target", "y",
                                  "--json", directory.file("calm.json")])
        #expect(calm.status == 0, "\(calm)")
        #expect(calm.standardOutput.contains("dataset drift: no"), "\(calm)")

        let moved = try Mimeo.run(["drift", "--reference", reference, "--current", shifted, "--json", directory.file("moved.json"),
                                   "--html", directory.file("moved.html")])
        #expect(moved.status == 3, "\(moved)")
        #expect(moved.standardOutput.contains("dataset drift: YES"), "\(moved)")
        let json = try #require(try JSONSerialization.jsonObject(with: directory.read("moved.json")) as? [String: Any])
        let dataset = try #require(json["dataset"] as? [String: Any])
        #expect(dataset["drifted"] as? Bool == true)
        let columns = try #require(json["columns"] as? [[String: Any]])
        #expect(columns.map { $0["test"] as? String } == ["ks", "chisquare", "z"])
        let html = String(decoding: try directory.read("moved.html"), as: UTF8.self)
        for id in ["decision", "columns", "domain", "concept"] { #expect(html.contains("<section id=\"\(id)\">"), "\(id)") }
        #expect(!html.contains("<script"))
        // Written through a temporary name: nothing else is left in the directory.
        #expect(try directory.contents() == ["calm.json", "moved.html", "moved.json", "reference.csv", "same.csv", "shifted.csv"])
    }

    /// `--model` takes the column kinds from the model: a table against itself does not drift.
    @Test func columnKindsFromAModel() throws {
        let adult = try AdultModel.shared()
        let directory = try TemporaryDirectory()
        let run = try Mimeo.run(["drift", "--reference", adult.csv, "--current", adult.csv, "--model", adult.model,
                                 "--target", "income", "--json", directory.file("self.json")])
        #expect(run.status == 0, "\(run)")
        let json = try #require(try JSONSerialization.jsonObject(with: directory.read("self.json")) as? [String: Any])
        let columns = try #require(json["columns"] as? [[String: Any]])
        #expect(columns.count == adult.columnNames.count)
        #expect(columns.allSatisfy { $0["drifted"] as? Bool == false })
        let age = try #require(columns.first { $0["column"] as? String == "age" })
        #expect(age["test"] as? String == "ks" && age["score"] as? Double == 1)
        let domain = try #require(json["domainClassifier"] as? [String: Any])
        #expect(abs((domain["auc"] as? Double ?? 0) - 0.5) < 0.1, "\(domain)")
    }

    @Test func unknownTargetIsAUsageError() throws {
        let directory = try TemporaryDirectory()
        let reference = try directory.write(Self.table(seed: 1, shifted: false), to: "reference.csv")
        let run = try Mimeo.run(["drift", "--reference", reference, "--current", reference, "--target", "nope"])
        #expect(run.status == 64, "\(run)")
        #expect(run.standardError.contains("nope"), "\(run)")
    }

    @Test func emptyTablesAreErrors() throws {
        let directory = try TemporaryDirectory()
        let reference = try directory.write(Self.table(seed: 1, shifted: false), to: "reference.csv")
        let empty = try directory.write("x,kind,y\n", to: "empty.csv")
        let noCurrent = try Mimeo.run(["drift", "--reference", reference, "--current", empty])
        #expect(noCurrent.status == 1 && noCurrent.standardError.contains("the current table has no rows"), "\(noCurrent)")
        let noReference = try Mimeo.run(["drift", "--reference", empty, "--current", reference])
        #expect(noReference.status == 1 && noReference.standardError.contains("the reference table has no rows"), "\(noReference)")
    }

    @Test func missingCurrentColumnIsAnError() throws {
        let directory = try TemporaryDirectory()
        let reference = try directory.write(Self.table(seed: 1, shifted: false), to: "reference.csv")
        let current = try directory.write("x,kind\n1,a\n", to: "current.csv")
        let run = try Mimeo.run(["drift", "--reference", reference, "--current", current])
        #expect(run.failedCleanly && run.status != 3, "\(run)")
        #expect(run.standardError.contains("'y'"), "\(run)")
    }
}
