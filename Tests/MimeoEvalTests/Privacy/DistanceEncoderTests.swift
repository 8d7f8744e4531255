import MimeoData
import Testing

@testable import MimeoEval

@Suite struct DistanceEncoderTests {
    static let train = makeTable([
        "x": ["0", "10", "5", nil, "10"],
        "c": ["a", "b", "a", nil, "c"],
        "d": ["2020-01-01", "2020-01-03", "2020-01-02", "2020-01-02", "2020-01-01"],
    ])
    static let schema = Schema(columns: [
        ColumnSchema(name: "x", kind: .integer),
        ColumnSchema(name: "c", kind: .categorical),
        ColumnSchema(name: "d", kind: .datetime, format: "%Y-%m-%d"),
    ])

    @Test func analysesMinMaxAndLevels() throws {
        let encoder = try DistanceEncoder(train: Self.train, schema: Self.schema, target: nil, maxLevels: 2)
        #expect(encoder.numericColumns == [0, 2])
        #expect(encoder.minimums[0] == 0 && encoder.spans[0] == 10)
        #expect(encoder.minimums[1] == 1_577_836_800 && encoder.spans[1] == 2 * 86_400)
        // Counts: a 2, b 1, __NA__ 1, c 1; ties in order of first appearance; two kept.
        #expect(encoder.levels == [["a", "b"]])
        #expect(encoder.hasTiedCutoff == [true])
    }

    @Test func encodesAsTheReferee() throws {
        let encoder = try DistanceEncoder(train: Self.train, schema: Self.schema, target: nil, maxLevels: 10)
        #expect(encoder.levels == [["a", "b", "__NA__", "c"]])
        let other = makeTable(["d": ["2020-01-05", nil], "c": [" b ", "zzz"], "x": ["15", "oops"]])
        let indices = try encoder.columnIndices(in: other, tableName: "other")
        var rows = encoder.makeRows()
        var missing = encoder.noMissingNumbers
        encoder.encode(other, indices: indices, rows: 0 ..< 2, into: &rows, missing: &missing)
        #expect(rows.numbers[0] == 1.5 && rows.numbers[1] == 2)
        #expect(rows.numbers[2].isNaN && rows.numbers[3].isNaN)  // "oops" does not parse
        #expect(rows.codes == [1, -1])                           // " b " is trimmed; "zzz" is not kept
        #expect(missing == [true, true])
        let layout = encoder.layout(missing: [true, false])
        // [x, m_x, d, onehot(a, b, __NA__, c)]
        #expect(layout.featureCount == 7)
        var dense = [Float](repeating: -1, count: 14)
        dense.withUnsafeMutableBufferPointer { layout.writeDense(rows, 0 ..< 2, into: $0.baseAddress!) }
        #expect(dense == [1.5, 0, 2, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0])
        #expect(layout.squaredNorms(rows) == [1.5 * 1.5 + 4 + 1, 1])
    }

    @Test func numberTargetWithFewValuesIsACategory() throws {
        let train = makeTable(["y": ["1", "0", "1.0", nil], "z": ["1", "2", "3", "4"]])
        let schema = makeSchema(["y": .integer, "z": .integer])
        let encoder = try DistanceEncoder(train: train, schema: schema, target: "y", maxLevels: 200)
        #expect(encoder.categoricalColumns == [0])
        #expect(encoder.levels == [["1", "0", "__NA__"]])
        let asNumber = try DistanceEncoder(train: train, schema: schema, target: "z", maxLevels: 200)
        #expect(asNumber.categoricalColumns == [1])
        #expect(asNumber.numericColumns == [0])
    }

    @Test func rowKeysCompareNumbersAsTheReferee() throws {
        let encoder = try DistanceEncoder(train: Self.train, schema: Self.schema, target: nil, maxLevels: 0)
        let table = makeTable([
            "x": ["3", "3.0", "3.0000004", "3.000001", nil, "-0.0000001", "0"],
            "c": ["a", "a", "a", "a", nil, "a", "a"],
            "d": ["2020-01-01", "2020-01-01", "2020-01-01", "2020-01-01", nil, "2020-01-01", "2020-01-01"],
        ])
        let indices = try encoder.columnIndices(in: table, tableName: "t")
        func key(_ row: Int) -> [UInt8] {
            var key: [UInt8] = []
            encoder.rowKey(table, indices: indices, row: row, into: &key)
            return key
        }
        #expect(key(0) == key(1))        // 3 == 3.0
        #expect(key(0) == key(2))        // rounded to 6 decimals
        #expect(key(0) != key(3))
        #expect(key(4) != key(0))
        #expect(key(5) != key(6))        // round(-1e-7, 6) is -0.0, which repr writes apart from 0.0
    }
}
