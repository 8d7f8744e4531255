import MimeoTestSupport
import ArgumentParser
import Foundation
import Testing

@testable import MimeoCLI

@Suite struct BenchmarkTests {
    @Test func parsesDefaults() throws {
        let parsed = try MimeoCommand.parseAsRoot(["benchmark", "data.csv"])
        let command = try #require(parsed as? MimeoCommand.Benchmark)
        #expect(command.input == "data.csv")
        #expect(command.sampleRows == 1_000_000)
        #expect(command.rssRows == 10_000_000)
        #expect(command.maxTime == nil)
        #expect(command.workDir == NSTemporaryDirectory())
        #expect(command.inputOptions.delimiter == nil)  // detected
    }

    @Test func parsesOptions() throws {
        let command = try MimeoCommand.Benchmark.parse([
            "data.csv", "--sample-rows", "10", "--rss-rows", "20", "--max-time", "5", "--work-dir", "/tmp/w",
            "--delimiter", "|",
        ])
        #expect(command.sampleRows == 10)
        #expect(command.rssRows == 20)
        #expect(command.maxTime == 5)
        #expect(command.workDir == "/tmp/w")
        #expect(try command.inputOptions.delimiterByte(for: "unread.csv") == UInt8(ascii: "|"))
    }

    @Test func rejectsABadDelimiterWhileParsing() {
        #expect {
            try MimeoCommand.Benchmark.parse(["data.csv", "--delimiter", "tabs"])
        } throws: { error in
            MimeoCommand.Benchmark.message(for: error)
                == "--delimiter must be one ASCII character other than a quote or newline (or 'tab'), not 'tabs'"
        }
    }
}
