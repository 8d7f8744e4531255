import MimeoFuzzing
import Testing

@Suite struct WireCorpusTests {
    @Test func replaysSeedsAndCrashesWithoutTrapping() throws {
        let counts = try CorpusReplay.replay(.wire)
        // The spec's 20 example messages and 5 messages carrying its kind-2 payloads are seeds and must all decode.
        #expect(counts.accepted >= 25, "\(counts.accepted) seeds decode")
    }
}
