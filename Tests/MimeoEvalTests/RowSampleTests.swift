import MimeoData
import Testing
@testable import MimeoEval

@Suite struct RowSampleTests {
    @Test func keepsEveryStepRowAcrossChunks() {
        let rows = (0 ..< 25).map { String($0) }
        let table = Table(columnNames: ["n", "m"], columns: [rows, rows.map { "x" + $0 }])
        var sample = RowSample(rowCount: 25, limit: 10)
        #expect(sample.step == 3)
        for range in [0 ..< 4, 4 ..< 11, 11 ..< 11, 11 ..< 25] { sample.add(table.rows(range)) }
        #expect(sample.table.columnNames == ["n", "m"])
        #expect(sample.table.columns[0] == stride(from: 0, to: 25, by: 3).map { String($0) })
        #expect(sample.table.columns[1] == stride(from: 0, to: 25, by: 3).map { "x\($0)" })
        #expect(sample.rowsSeen == 25)
    }

    @Test func keepsEverythingUnderTheLimit() {
        var sample = RowSample(rowCount: 3, limit: 50_000)
        #expect(sample.step == 1)
        sample.add(Table(columnNames: ["a"], columns: [["1", nil, "3"]]))
        #expect(sample.table.columns == [["1", nil, "3"]])
    }
}
