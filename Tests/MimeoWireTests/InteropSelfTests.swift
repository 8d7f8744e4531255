import Foundation
import MimeoTestSupport
import Testing

/// The Python peer of Tests/interop, written from docs/protocol/mwp-1.md alone, agrees with the spec's examples:
/// the spec can be implemented without reading Sources/MimeoWire (docs/protocol/interop.md).
@Suite struct InteropSelfTests {
    /// Every example block decodes to the values its prose gives, encodes back byte for byte, and its damaged
    /// variants (a byte more or less, a frame more or less, another version) are refused.
    @Test func pythonClientReadsAndWritesEveryExample() throws {
        let run = try InteropClient.run(["selftest", InteropClient.spec])
        #expect(run.status == 0, "\(run)")
        #expect(run.standardOutput.contains("encode back byte for byte"), "\(run)")
        #expect(run.standardError.isEmpty, "\(run)")
    }

    /// The selftest can fail: with the WELCOME example's liveness changed from 3 to 4, the bytes still round-trip
    /// but no longer say what the prose says, and the script names the block.
    @Test func pythonSelftestRejectsAnExampleThatDisagreesWithItsProse() throws {
        let text = try String(contentsOfFile: InteropClient.spec, encoding: .utf8)
        let welcome = "F3: 00 01 00 00 00 00 00 00 00 07 00 00 03 e8 00 03"
        try #require(text.contains(welcome))
        let directory = try TemporaryDirectory()
        let changed = try directory.write(
            text.replacingOccurrences(of: welcome, with: welcome.dropLast(2) + "04"), to: "mwp-1.md")

        let run = try InteropClient.run(["selftest", changed])

        #expect(run.status == 1, "\(run)")
        #expect(run.standardError.contains("FAIL mwp WELCOME"), "\(run)")
        #expect(run.standardError.contains("'liveness': 4"), "\(run)")
    }
}
