import MimeoTestSupport
import Testing

@testable import MimeoEval

@Suite struct CountTableTests {
    private let width = 3
    private func coarsen(_ key: Int, _: Int) -> Int { PairSummary.coarsen(key, categoryWidth: 3) }

    @Test func densePartAndDictionaryAddUp() {
        var table = CountTable(denseCount: 6)
        for key in [0, 5, 5, 6, -4] { table.add(key) }
        var seen: [Int: Int] = [:]
        table.forEach { seen[$0] = $1 }
        #expect(seen == [0: 1, 5: 2, 6: 1, -4: 1])
    }

    @Test func coarseningPoolsNeighbouringCells() {
        // Groups 1...8 by codes 0...2: keys group * 3 + code.
        var table = CountTable(denseCount: 0, coarsensAbove: 4)
        for group in 1 ... 8 { table.add(group * width + 1) }
        table.add(0 * width + 2)  // missing values stay group 0
        table.enforceBound(coarsen)
        #expect(table.shift == 2)
        var seen: [Int: Int] = [:]
        table.forEach { seen[$0] = $1 }
        #expect(seen == [1 * width + 1: 4, 2 * width + 1: 4, 2: 1])
    }

    @Test func chunkedCountsEqualWholeCounts() {
        var generator = SplitMix64(seed: 11)
        // (value code, category code) pairs: codes 0 (missing), 1...400 (cells), -1...-5 (outer).
        let rows = (0 ..< 5000).map { _ in (Int(generator.next() % 406) - 5, Int(generator.next() % 3)) }
        /// Counts `rows` block by block, each block keyed at the table's current shift.
        func count(_ rows: ArraySlice<(Int, Int)>, block: Int, into table: inout CountTable) {
            for start in stride(from: rows.startIndex, to: rows.endIndex, by: block) {
                for (value, code) in rows[start ..< min(start + block, rows.endIndex)] {
                    table.add(PairSummary.group(ofCode: value, shift: table.shift) * width + code)
                }
                table.enforceBound(coarsen)
            }
        }
        var whole = CountTable(denseCount: 0, coarsensAbove: 100)
        count(rows[...], block: 97, into: &whole)
        var merged = CountTable(denseCount: 0, coarsensAbove: 100)
        for start in stride(from: 0, to: rows.count, by: 1000) {
            var part = CountTable(denseCount: 0, coarsensAbove: 100)
            count(rows[start ..< min(start + 1000, rows.count)], block: 1000, into: &part)
            merged.merge(part, coarsen: coarsen)
        }
        #expect(merged == whole)
        #expect(whole.shift > 0)
    }
}
