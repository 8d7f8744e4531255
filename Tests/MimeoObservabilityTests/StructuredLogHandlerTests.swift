import Synchronization
import Foundation
import Logging
import Testing
@testable import MimeoObservability

/// Lines a handler wrote, in order.
final class CapturedLines: Sendable {
    private let lines = Mutex<[String]>([])
    var sink: LogSink { LogSink { line in self.lines.withLock { $0.append(line) } } }
    var all: [String] { lines.withLock { $0 } }
}

@Suite struct StructuredLogHandlerTests {
    /// 2026-12-01T05:30:00.125Z, exact in binary.
    static let fixedDate = Date(timeIntervalSince1970: 1_796_103_000.125)

    func logger(
        _ format: LogFormat, level: Logger.Level = .info, capture: CapturedLines,
        provider: Logger.MetadataProvider? = nil
    ) -> Logger {
        Logger(label: "coordinator") { label in
            StructuredLogHandler(
                label: label, format: format, level: level, sink: capture.sink, metadataProvider: provider,
                now: { Self.fixedDate })
        }
    }

    @Test func textLineHasFixedFieldsThenSortedMetadata() {
        let capture = CapturedLines()
        var log = logger(.text, capture: capture)
        log[metadataKey: "job"] = "j-7"
        log.info("worker joined", metadata: ["worker": "w1", "slots": "2"])
        #expect(capture.all == [
            "ts=2026-12-01T05:30:00.125Z level=info label=coordinator msg=\"worker joined\" job=j-7 slots=2 worker=w1",
        ])
    }

    @Test func textQuotesAndEscapesValuesThatNeedIt() {
        let capture = CapturedLines()
        let log = logger(.text, capture: capture)
        log.warning("ok", metadata: [
            "plain": "abc-1.2:3/4",
            "space": "a b",
            "equals": "k=v",
            "quote": "say \"hi\"",
            "backslash": #"C:\tmp"#,
            "newline": "one\ntwo\r\tthree",
            "control": "bell\u{07}",
            "empty": "",
            "unicode": "naïve",
            "bad key=\"x\"": "v",
        ])
        let line = capture.all.first ?? ""
        #expect(line.hasPrefix("ts=2026-12-01T05:30:00.125Z level=warning label=coordinator msg=ok "))
        let expected = [
            #"backslash="C:\\tmp""#,
            #"bad_key__x_=v"#,
            #"control="bell\u0007""#,
            #"empty="""#,
            #"equals="k=v""#,
            #"newline="one\ntwo\r\tthree""#,
            #"plain=abc-1.2:3/4"#,
            #"quote="say \"hi\"""#,
            #"space="a b""#,
            #"unicode=naïve"#,
        ]
        #expect(line.hasSuffix(expected.joined(separator: " ")))
        #expect(!line.contains("\n"))
    }

    @Test func textFlattensDictionariesAndWritesArraysAsJSON() {
        let capture = CapturedLines()
        let log = logger(.text, capture: capture)
        log.info("lease", metadata: ["peer": ["id": "w1", "addr": "10.0.0.2"], "shards": ["1", "2"]])
        #expect(capture.all.first?.hasSuffix(#"msg=lease peer.addr=10.0.0.2 peer.id=w1 shards="[\"1\",\"2\"]""#) == true)
    }

    @Test func metadataMergesHandlerThenProviderThenRecord() {
        let capture = CapturedLines()
        let provider = Logger.MetadataProvider { ["trace": "t-1", "job": "from-provider"] }
        var log = logger(.text, capture: capture, provider: provider)
        log[metadataKey: "job"] = "from-handler"
        log[metadataKey: "worker"] = "from-handler"
        log.info("merged", metadata: ["worker": "from-record"])
        #expect(capture.all.first?.hasSuffix("msg=merged job=from-provider trace=t-1 worker=from-record") == true)
    }

    @Test func metadataCannotImpersonateTheFixedFields() {
        let capture = CapturedLines()
        let log = logger(.text, capture: capture)
        log.info("real", metadata: ["msg": "fake", "level": "critical"])
        #expect(capture.all.first?.hasSuffix("level=info label=coordinator msg=real meta.level=critical meta.msg=fake") == true)
    }

    @Test func levelsBelowTheHandlersLevelAreNotWritten() {
        let capture = CapturedLines()
        let log = logger(.text, level: .warning, capture: capture)
        log.debug("no")
        log.info("no")
        log.warning("yes")
        log.error("also yes")
        #expect(capture.all.map { $0.split(separator: " ", maxSplits: 3).last } == ["msg=yes", #"msg="also yes""#])
        #expect(capture.all.map { $0.split(separator: " ")[1] } == ["level=warning", "level=error"])
    }

    @Test func errorsAreWrittenAfterTheMessage() {
        struct LeaseExpired: Error, CustomStringConvertible {
            var description: String { "lease 4 expired" }
        }
        let capture = CapturedLines()
        let log = logger(.text, capture: capture)
        log.error("shard retried", error: LeaseExpired(), metadata: ["shard": "4"])
        #expect(capture.all.first?.hasSuffix(#"msg="shard retried" error="lease 4 expired" shard=4"#) == true)
    }

    @Test func jsonLineIsOneObjectWithEscapesNumbersAndNesting() throws {
        let capture = CapturedLines()
        let log = logger(.json, capture: capture)
        log.notice("say \"hi\"\nnow", metadata: [
            "count": .stringConvertible(42),
            "ratio": .stringConvertible(0.5),
            "ok": .stringConvertible(true),
            "nan": .stringConvertible(Double.nan),
            "text": "42",
            "control": "\u{01}\u{1F}",
            "peer": ["id": "w1"],
            "list": ["a", "b"],
        ])
        let line = try #require(capture.all.first)
        #expect(!line.contains("\n"))
        #expect(line.hasPrefix(#"{"ts":"2026-12-01T05:30:00.125Z","level":"notice","label":"coordinator","msg":"say \"hi\"\nnow","#))
        #expect(line.contains(#""control":"\u0001\u001f""#))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["msg"] as? String == "say \"hi\"\nnow")
        #expect(object["count"] as? Int == 42)
        #expect(object["ratio"] as? Double == 0.5)
        #expect(object["ok"] as? Bool == true)
        #expect(object["nan"] as? String == "nan")
        #expect(object["text"] as? String == "42")
        #expect(object["control"] as? String == "\u{01}\u{1F}")
        #expect((object["peer"] as? [String: Any])?["id"] as? String == "w1")
        #expect(object["list"] as? [String] == ["a", "b"])
    }

    @Test func timestampsAreUTCWithMillisecondsRoundedDown() {
        #expect(StructuredLogHandler.timestamp(Self.fixedDate) == "2026-12-01T05:30:00.125Z")
        #expect(StructuredLogHandler.timestamp(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(StructuredLogHandler.timestamp(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59.500Z")
        #expect(StructuredLogHandler.timestamp(Date(timeIntervalSince1970: 1_796_103_000.9999)) == "2026-12-01T05:30:00.999Z")
    }

    @Test func bootstrapCanBeCalledTwiceAndTheLastSettingsApply() throws {
        let first = CapturedLines()
        LoggingSetup.bootstrap(format: .json, level: .debug, sink: first.sink)
        Logger(label: "setup-a").debug("one")
        let second = CapturedLines()
        let installedAgain = LoggingSetup.bootstrap(format: .text, level: .error, sink: second.sink)
        #expect(!installedAgain)
        let log = Logger(label: "setup-b")
        log.warning("dropped")
        log.error("kept")
        // Other suites in this process may log through the same backend meanwhile: look at ours only.
        let json = try #require(first.all.first { $0.contains(#""label":"setup-a""#) })
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        #expect(object?["level"] as? String == "debug")
        #expect(object?["msg"] as? String == "one")
        let ours = second.all.filter { $0.contains("label=setup-b") }
        #expect(ours.count == 1)
        #expect(ours.first?.contains("level=error label=setup-b msg=kept") == true)
    }
}
