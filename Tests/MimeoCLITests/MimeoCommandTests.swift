import ArgumentParser
import Foundation
import Testing

@testable import MimeoCLI

@Suite struct MimeoCommandTests {
    /// Every subcommand, in the order of the help, with arguments that parse.
    static let subcommands: [(name: String, type: any ParsableCommand.Type, arguments: [String])] = [
        ("schema", MimeoCommand.Schema.self, ["d.csv"]),
        ("train", MimeoCommand.Train.self, ["d.csv", "-o", "m.mimeo"]),
        ("generate", MimeoCommand.Generate.self, ["m.mimeo", "-n", "1"]),
        ("augment", MimeoCommand.Augment.self, ["d.csv", "--model", "m.mimeo", "--target", "y", "--minority-share", "0.3",
                                                "-o", "a.csv"]),
        ("score", MimeoCommand.Score.self, ["m.mimeo", "d.csv"]),
        ("evaluate", MimeoCommand.Evaluate.self, ["--real", "r.csv", "--synthetic", "s.csv"]),
        ("drift", MimeoCommand.Drift.self, ["--reference", "r.csv", "--current", "c.csv"]),
        ("transform", MimeoCommand.Transform.self, ["d.csv", "-o", "safe.csv"]),
        ("info", MimeoCommand.Info.self, ["m.mimeo"]),
        ("benchmark", MimeoCommand.Benchmark.self, ["d.csv"]),
        ("keygen", MimeoCommand.Keygen.self, ["-o", "w1.key"]),
        ("coordinator", MimeoCommand.Coordinator.self, ["--state", "c.db"]),
        ("worker", MimeoCommand.Worker.self, ["--connect", "tcp://127.0.0.1:5570"]),
        ("status", MimeoCommand.Status.self, []),
    ]

    /// `text` with every run of whitespace made one space, so wrapped help can be searched.
    static func flattened(_ text: String) -> String {
        text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    // MARK: - Parsing

    @Test func dispatchesEverySubcommand() throws {
        for (name, type, arguments) in Self.subcommands {
            let parsed = try MimeoCommand.parseAsRoot([name] + arguments)
            #expect(Swift.type(of: parsed) == type, "\(name)")
        }
    }

    @Test func rejectsAnUnknownSubcommand() {
        #expect {
            try MimeoCommand.parseAsRoot(["synthesize", "d.csv"])
        } throws: { error in
            MimeoCommand.message(for: error) == "2 unexpected arguments: 'synthesize', 'd.csv'"
        }
    }

    @Test func listsTheSubcommandsInOrder() {
        let names = MimeoCommand.configuration.subcommands.map { $0._commandName }
        #expect(names == Self.subcommands.map(\.name))
    }

    // MARK: - Help

    /// `mimeo --help` (the built binary, 80 columns) lists every subcommand with its abstract, and the
    /// typical-session examples unwrapped.
    @Test func rootHelpListsEverySubcommand() throws {
        let run = try Mimeo.run(["--help"])

        #expect(run.succeeded, "\(run)")
        let help = run.standardOutput
        #expect(help.hasPrefix("OVERVIEW: Synthetic tabular data"))
        #expect(help.contains("USAGE: mimeo <subcommand>"))
        let listing = try #require(help.range(of: "SUBCOMMANDS:")).upperBound
        let flat = Self.flattened(String(help[listing...]))
        for (name, type, _) in Self.subcommands {
            #expect(flat.contains("\(name) \(Self.flattened(type.configuration.abstract))"), "\(name)")
        }
        for example in Self.exampleLines(of: MimeoCommand.configuration.discussion) {
            #expect(help.split(separator: "\n").contains { $0 == example }, "example wrapped or missing: \(example)")
        }
    }

    /// An unknown subcommand from the built binary: a usage error (exit 64), not a crash.
    @Test func unknownSubcommandIsAUsageError() throws {
        let run = try Mimeo.run(["synthesize"])
        #expect(run.status == 64, "\(run)")
        #expect(run.standardError.hasPrefix("Error: Unexpected argument 'synthesize'"), "\(run)")
        #expect(run.stdout.isEmpty)
    }

    @Test func printsTheVersion() throws {
        let run = try Mimeo.run(["--version"])
        #expect(run.succeeded, "\(run)")
        #expect(run.standardOutput == "0.1.0\n")
    }

    /// Each subcommand's help (80 columns) has its abstract and at least one example of itself, shown whole
    /// on one line.
    @Test(arguments: subcommands.map(\.name))
    func subcommandHelpHasAbstractAndExample(name: String) throws {
        let type = try #require(Self.subcommands.first { $0.name == name }?.type)
        let help = MimeoCommand.helpMessage(for: type, columns: 80)
        #expect(help.hasPrefix("OVERVIEW: "))
        #expect(Self.flattened(help).contains(Self.flattened(type.configuration.abstract)))
        #expect(help.contains("USAGE: mimeo \(name) "))

        let examples = Self.exampleLines(of: type.configuration.discussion)
        #expect(examples.contains { $0.contains("mimeo \(name) ") }, "no example of `mimeo \(name)`")
        let lines = help.split(separator: "\n").map(String.init)
        for example in examples {
            #expect(lines.contains(example), "example wrapped or missing: \(example)")
        }
    }

    /// The built binary prints the same help for `mimeo help generate` and `mimeo generate --help`.
    @Test func helpSubcommandMatchesHelpFlag() throws {
        let flag = try Mimeo.run(["generate", "--help"])
        let word = try Mimeo.run(["help", "generate"])
        #expect(flag.succeeded && word.succeeded, "\(flag)\n\(word)")
        #expect(flag.standardOutput == word.standardOutput)
        #expect(flag.standardOutput.contains("--where <column=value>"))
    }

    /// The discussion's lines that show a command (`mimeo …`), as the help prints them.
    static func exampleLines(of discussion: String) -> [String] {
        discussion.split(separator: "\n").map(String.init).filter {
            let trimmed = $0.trimmingCharacters(in: .whitespaces)
            return trimmed.hasPrefix("mimeo ") || trimmed.hasPrefix("Example:  mimeo ")
        }
    }
}
