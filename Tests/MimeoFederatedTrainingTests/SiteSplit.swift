import MimeoData
import MimeoTestSupport

/// `scripts/split-sites.py` in Swift: every value of `column` has a home site (largest values first onto
/// the emptiest site); a row goes home with probability `home`, otherwise to one of the other sites
/// uniformly, with SplitMix64 draws from the seed and the row index. Same split as the script.
enum SiteSplit {
    static func unit(seed: UInt64, row: Int, stream: UInt64) -> Double {
        var generator = SplitMix64(seed: seed &* 0x100000001B3 &+ UInt64(row) &* 4 &+ stream)
        return Double(generator.next()) / 18446744073709551616.0
    }

    static func split(_ table: Table, column name: String, sites: Int = 3, home: Double = 0.8, seed: UInt64 = 8) -> [Table] {
        let column = table.columnIndex(named: name)!
        var counts: [String: Int] = [:]
        for value in table.columns[column] { counts[value ?? "", default: 0] += 1 }
        var load = [Int](repeating: 0, count: sites)
        var homes: [String: Int] = [:]
        for (value, n) in counts.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }) {
            let target = (0..<sites).min { (load[$0], $0) < (load[$1], $1) }!
            homes[value] = target
            load[target] += n
        }
        var rows = [[Int]](repeating: [], count: sites)
        for index in 0..<table.rowCount {
            let homeSite = homes[table.columns[column][index] ?? ""]!
            var site = homeSite
            if sites > 1 && unit(seed: seed, row: index, stream: 0) >= home {
                let other = Int(unit(seed: seed, row: index, stream: 1) * Double(sites - 1))
                site = other < homeSite ? other : other + 1
            }
            rows[site].append(index)
        }
        return rows.map { indices in
            Table(columnNames: table.columnNames, columns: table.columns.map { values in indices.map { values[$0] } })
        }
    }
}
