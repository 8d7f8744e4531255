import MimeoTestSupport
import Foundation
import Testing

@testable import MimeoCLI

/// `mimeo transform` end to end: keys from a file or the environment (never an argument), the same output for
/// the same key, a policy overriding detection, a report without values, clear errors. Detection and fakes
/// themselves are tested in MimeoPrivacyTests.
@Suite struct TransformCommandTests {
    static let input = """
        id,customer_email,phone,age,notes
        1,ann.lee@example.com,(415) 555-0101,34,call me on +44 20 7946 0958
        2,bob.stone@example.org,(415) 555-0102,71,nothing to add here today
        3,ann.lee@example.com,(415) 555-0101,5,mail bob.stone@example.org please
        """ + "\n"

    @Test func autoWithKeyFileAndEnvironment() throws {
        let directory = try TemporaryDirectory()
        let input = try directory.write(Self.input, to: "in.csv")
        let key = try directory.write("0123456789abcdef0123456789abcdef\n", to: "secret.key")
        let first = try Mimeo.run(["transform", input, "--pii", "auto", "-o", directory.file("a.csv"), "--key-file", key,
                                   "--report", directory.file("pii.json")])
        #expect(first.status == 0, "\(first)")
        let second = try Mimeo.run(["transform", input, "-o", directory.file("b.csv")],
                                   environment: ["MIMEO_TRANSFORM_KEY": "0123456789abcdef0123456789abcdef"])
        #expect(second.status == 0, "\(second)")
        let a = String(decoding: try directory.read("a.csv"), as: UTF8.self)
        #expect(a == String(decoding: try directory.read("b.csv"), as: UTF8.self))
        for secret in ["ann.lee@example.com", "bob.stone@example.org", "555-0101", "7946 0958"] { #expect(!a.contains(secret), "\(secret)") }
        let rows = a.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        #expect(rows[0] == ["id", "customer_email", "phone", "age", "notes"])
        #expect(rows[1][1] == rows[3][1] && rows[1][1] != rows[2][1])
        #expect(rows[1][3] == "34" && rows[2][0] == "2")
        #expect(rows[2][4] == "nothing to add here today")
        let report = String(decoding: try directory.read("pii.json"), as: UTF8.self)
        #expect(report.contains("\"entity\" : \"email\"") && report.contains("\"entity\" : \"freeText\""))
        #expect(!report.contains("ann.lee") && !report.contains("0958"))
    }

    @Test func policyAndErrors() throws {
        let directory = try TemporaryDirectory()
        let input = try directory.write(Self.input, to: "in.csv")
        let policy = try directory.write("columns:\n  age: generalise\n  id: drop\n  notes: redact\n  customer_email: hash\n", to: "policy.yaml")
        let noKey = try Mimeo.run(["transform", input, "--policy", policy, "-o", directory.file("out.csv")],
                                  environment: ["MIMEO_TRANSFORM_KEY": ""])
        #expect(noKey.status != 0 && noKey.standardError.contains("needs a key"), "\(noKey)")
        #expect(!FileManager.default.fileExists(atPath: directory.file("out.csv")))
        let run = try Mimeo.run(["transform", input, "--policy", policy, "-o", directory.file("out.csv")],
                                environment: ["MIMEO_TRANSFORM_KEY": "another key of enough length"])
        #expect(run.status == 0, "\(run)")
        let lines = String(decoding: try directory.read("out.csv"), as: UTF8.self).split(separator: "\n")
        #expect(lines[0] == "customer_email,phone,age,notes")
        #expect(lines[1].hasSuffix(",30-39,call me on [PHONE]") && lines[2].hasSuffix(",70-79,nothing to add here today"))
        #expect(lines[1].split(separator: ",")[0].count == 32)
        let bad = try directory.write("columns:\n  nope: keep\n", to: "bad.yaml")
        let unknown = try Mimeo.run(["transform", input, "--policy", bad, "-o", directory.file("x.csv")])
        #expect(unknown.status != 0 && unknown.standardError.contains("'nope'"), "\(unknown)")
        let short = try directory.write("short", to: "short.key")
        let weak = try Mimeo.run(["transform", input, "-o", directory.file("x.csv"), "--key-file", short])
        #expect(weak.status != 0 && weak.standardError.contains("at least 16"), "\(weak)")
        let overwrite = try Mimeo.run(["transform", input, "-o", input, "--key-file", short])
        #expect(overwrite.status == 64, "\(overwrite)")
    }
}
