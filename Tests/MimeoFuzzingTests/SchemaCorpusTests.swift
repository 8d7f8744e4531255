import MimeoFuzzing
import Testing

@Suite struct SchemaCorpusTests {
    @Test func replaysSeedsAndCrashesWithoutTrapping() throws {
        let counts = try CorpusReplay.replay(.schema)
        #expect(counts.accepted > 0, "no seed input is accepted: the seeds no longer reach past the first check")
    }
}
