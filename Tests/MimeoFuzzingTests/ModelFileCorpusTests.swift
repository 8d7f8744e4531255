import MimeoFuzzing
import Testing

@Suite struct ModelFileCorpusTests {
    @Test func replaysSeedsAndCrashesWithoutTrapping() throws {
        let counts = try CorpusReplay.replay(.modelFile)
        #expect(counts.accepted > 0, "no seed input is accepted: the seeds no longer reach past the first check")
    }
}
