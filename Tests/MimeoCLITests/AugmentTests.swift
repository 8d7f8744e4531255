import Foundation
import MimeoData
import MimeoTestSupport
import Testing

/// `mimeo augment` end to end on the shared adult model (600 rows of the adult sample).
@Suite struct AugmentTests {
    @Test func realRowsThenSyntheticMinorityRowsUpToTheShare() throws {
        let adult = try AdultModel.shared()
        let directory = try TemporaryDirectory()
        let output = directory.file("augmented.csv")
        let run = try Mimeo.run(["augment", adult.csv, "--model", adult.model, "--target", "income",
                                 "--minority-share", "0.4", "-o", output, "--seed", "3"])
        #expect(run.succeeded, "\(run)")
        let real = try TableLoader(missingValues: []).load(path: adult.csv)
        let augmented = try TableLoader(missingValues: []).load(path: output)
        #expect(augmented.columnNames == real.columnNames)
        let income = augmented.columnIndex(named: "income")!
        let realRich = real.columns[income].filter { $0 == ">50K" }.count
        let added = augmented.rowCount - real.rowCount
        // The closed form: K = (0.4 · N − m) / 0.6.
        #expect(added == Int(((0.4 * Double(real.rowCount) - Double(realRich)) / 0.6).rounded()))
        let rich = augmented.columns[income].filter { $0 == ">50K" }.count
        #expect(abs(Double(rich) / Double(augmented.rowCount) - 0.4) < 1.0 / Double(augmented.rowCount))
        // The real rows come first, cell for cell; every synthetic row has the minority class.
        for c in 0..<real.columnNames.count {
            #expect(Array(augmented.columns[c].prefix(real.rowCount)) == real.columns[c])
        }
        #expect(augmented.columns[income].suffix(added).allSatisfy { $0 == ">50K" })
        #expect(run.standardError.contains("income=>50K: \(realRich) real + \(added) synthetic"))
        // Same seed, same bytes.
        let again = try Mimeo.run(["augment", adult.csv, "--model", adult.model, "--target", "income",
                                   "--minority-share", "0.4", "-o", directory.file("again.csv"), "--seed", "3", "--quiet"])
        #expect(again.succeeded)
        #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == Data(contentsOf: URL(fileURLWithPath: directory.file("again.csv"))))
    }

    @Test func badRequestsAreClearErrors() throws {
        let adult = try AdultModel.shared()
        let directory = try TemporaryDirectory()
        let other = directory.file("other.csv")
        try Data("a,b\n1,2\n".utf8).write(to: URL(fileURLWithPath: other))
        for (arguments, message) in [
            ([adult.csv, "--target", "nope", "--minority-share", "0.3"], "no column 'nope'"),
            ([adult.csv, "--target", "income", "--minority-share", "0.7"], "--minority-share must be above 0 and at most 0.5"),
            ([other, "--target", "a", "--minority-share", "0.3"], "does not have the model's columns"),
            ([adult.csv, "--target", "sex", "--minority-share", "0.5"], ""),
        ] {
            let out = directory.file("out.csv")
            let run = try Mimeo.run(["augment"] + arguments + ["--model", adult.model, "-o", out, "--quiet"])
            if message.isEmpty {
                #expect(run.succeeded, "\(run)")
            } else {
                #expect(run.status == 64 && run.standardError.contains(message), "\(run)")
                #expect(!FileManager.default.fileExists(atPath: out))
            }
            try? FileManager.default.removeItem(atPath: out)
        }
    }
}
