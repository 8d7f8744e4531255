import MimeoData
import Testing

@testable import MimeoEval

@Suite struct ExactMatchShareTests {
    static let schema = makeSchema(["n": .decimal, "c": .categorical])
    static let train = makeTable(["n": ["1.5", "2", "2", nil], "c": ["a", "b", "b", "a"]])

    @Test func countsRowsIdenticalToATrainRow() throws {
        let synthetic = makeTable([
            "c": ["a", "b", "a", "a", "b", "b"],
            "n": ["1.50", "2.0", "2", nil, "2", "3"],
        ])
        // Rows 0 (1.5, a), 1 (2, b), 3 (missing, a), 4 (2, b): 4 of 6. Duplicated train rows count once.
        #expect(try ExactMatchShare.compute(train: Self.train, synthetic: synthetic, schema: Self.schema) == 4.0 / 6)
    }

    @Test func emptyTableHasNoShare() throws {
        let empty = makeTable(["n": [], "c": []])
        #expect(try ExactMatchShare.compute(train: Self.train, synthetic: empty, schema: Self.schema) == nil)
    }

    @Test func duplicatesInTheSyntheticTableEachCount() throws {
        let synthetic = makeTable(["n": ["2", "2", "2", "9"], "c": ["b", "b", "b", "b"]])
        #expect(try ExactMatchShare.compute(train: Self.train, synthetic: synthetic, schema: Self.schema) == 0.75)
    }

    @Test func missingColumnThrows() {
        #expect(throws: EvaluationError.missingColumn("c", table: "synthetic")) {
            try ExactMatchShare.compute(train: Self.train, synthetic: makeTable(["n": ["1"]]), schema: Self.schema)
        }
    }
}
