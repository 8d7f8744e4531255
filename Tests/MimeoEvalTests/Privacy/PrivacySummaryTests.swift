import Testing

@testable import MimeoEval

@Suite struct PrivacySummaryTests {
    /// The bottom-k sample of a union is the bottom-k of the parts' samples, in key order.
    @Test func sampleIsTheSmallestKeysWhateverTheChunks() throws {
        let train = makeTable(["x": ["1", "2"]])
        var options = PrivacyOptions()
        options.maxRows = 10
        options.threadCount = 1
        let evaluator = try PrivacyEvaluator(train: train, holdout: train, schema: makeSchema(["x": .integer]),
                                             options: options)
        let synthetic = makeTable(["x": (0 ..< 100).map { String($0) }])
        let whole = try evaluator.summarize(synthetic).trimmed()
        var merged = evaluator.makeSummary()
        for start in stride(from: 0, to: 100, by: 9) {
            let range = start ..< min(start + 9, 100)
            try merged.merge(evaluator.summarize(synthetic.rows(range), firstRow: start))
        }
        merged = merged.trimmed()
        #expect(whole.keys == merged.keys)
        #expect(whole.rows == merged.rows)
        let expected = (0 ..< 100).map { SeededSelection.key(seed: 0, stream: .synthetic, row: $0) }.sorted().prefix(10)
        #expect(whole.keys == Array(expected))
        #expect(whole.rowCount == 100 && whole.sampledRowCount == 10)
        #expect(whole.exactMatchCount == 2)
    }

    @Test func seededSelectionIsAPermutation() {
        let order = SeededSelection.permutation(count: 50, seed: 1, stream: .holdout)
        #expect(order.sorted() == Array(0 ..< 50))
        #expect(order != Array(0 ..< 50))
        #expect(SeededSelection.sample(count: 50, take: 5, seed: 1, stream: .holdout) == Array(order.prefix(5)))
        #expect(SeededSelection.permutation(count: 50, seed: 2, stream: .holdout) != order)
    }
}
