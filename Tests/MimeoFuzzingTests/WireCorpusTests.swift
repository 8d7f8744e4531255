import MimeoFuzzing
import Testing

@Suite struct WireCorpusTests {
    @Test func replaysSeedsAndCrashesWithoutTrapping() throws {
        let counts = try CorpusReplay.replay(.wire)
        #expect(counts.accepted >= 18, "the spec's 18 example messages are seeds and must all decode")
    }
}
