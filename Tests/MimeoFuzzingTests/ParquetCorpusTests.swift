import MimeoFuzzing
import Testing

@Suite struct ParquetCorpusTests {
    @Test func replaysSeedsAndCrashesWithoutTrapping() throws {
        let counts = try CorpusReplay.replay(.parquet)
        #expect(counts.accepted >= 4, "the seeds written by Mimeo, pyarrow and DuckDB must all be read")
    }
}
