import Foundation
import MimeoData
import MimeoTestSupport
import Testing

@testable import MimeoParquet

/// A table with every kind Mimeo writes: integers, decimals, booleans, dates, timestamps (naive and UTC),
/// categories with nulls, and text with commas, quotes and non-ASCII letters.
enum MixedTable {
    static let schema = Schema(columns: [
        ColumnSchema(name: "id", kind: .integer),
        ColumnSchema(name: "price", kind: .decimal, decimals: 2),
        ColumnSchema(name: "ratio", kind: .decimal, decimals: 4),
        ColumnSchema(name: "flag", kind: .boolean, booleanValues: ["no", "yes"]),
        ColumnSchema(name: "day", kind: .datetime, format: "%Y-%m-%d"),
        ColumnSchema(name: "seen", kind: .datetime, format: "%Y-%m-%d %H:%M:%S"),
        ColumnSchema(name: "stamp", kind: .datetime, format: "%Y-%m-%dT%H:%M:%S.%6f%z"),
        ColumnSchema(name: "city", kind: .categorical),
        ColumnSchema(name: "note", kind: .text),
    ])

    static func table(rows: Int, seed: UInt64 = 1) -> Table {
        var random = SplitMix64(seed: seed)
        func pick(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }
        let cities = ["Paris", "Zürich", "New York", "São Paulo", "Kyiv", "東京"]
        var columns = [[String?]](repeating: [], count: schema.columns.count)
        for row in 0 ..< rows {
            let isNull = { (share: Int) in pick(100) < share }
            columns[0].append(isNull(5) ? nil : String(Int64(pick(2_000_000)) - 1_000_000))
            columns[1].append(isNull(10) ? nil : String(format: "%.2f", Double(pick(10_000_000)) / 100 - 50_000))
            columns[2].append(isNull(10) ? nil : String(format: "%.4f", Double(pick(20_000)) / 10_000))
            columns[3].append(isNull(20) ? nil : (pick(2) == 0 ? "no" : "yes"))
            let day = DateTimeParts(secondsSinceEpoch: Int64(pick(40_000)) * 86_400 - 500 * 86_400)
            columns[4].append(isNull(10) ? nil : String(format: "%04d-%02d-%02d", day.year, day.month, day.day))
            let seen = DateTimeParts(secondsSinceEpoch: Int64(pick(2_000_000_000)))
            columns[5].append(isNull(10) ? nil : String(format: "%04d-%02d-%02d %02d:%02d:%02d", seen.year, seen.month,
                                                         seen.day, seen.hour, seen.minute, seen.second))
            columns[6].append(isNull(10) ? nil : String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", seen.year, seen.month,
                                                         seen.day, seen.hour, seen.minute, seen.second, pick(1_000_000)))
            columns[7].append(isNull(15) ? nil : cities[pick(cities.count)])
            columns[8].append(isNull(5) ? nil : "row \(row), said \"\(pick(1000))\" — ok")
        }
        return Table(columnNames: schema.columns.map(\.name), columns: columns)
    }
}

@Suite struct RoundTripTests {
    @Test(arguments: [ParquetCodec.zstd, .snappy, .gzip, .uncompressed])
    func mixedTableRoundTrips(codec: ParquetCodec) throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("mixed.parquet")
        let table = MixedTable.table(rows: 3000)
        var options = ParquetWriteOptions(codec: codec)
        options.rowGroupBytes = 40_000      // several row groups
        options.pageBytes = 4096            // several pages per chunk
        options.dictionaryLimit = 2000      // the dictionary of `id` and `note` overflows: PLAIN fallback
        try ParquetWriter.write(table, schema: MixedTable.schema, to: path, options: options)
        #expect(try directory.contents() == ["mixed.parquet"])
        let reader = try ParquetReader(path: path)
        #expect(reader.rowGroupCount > 1)
        let (read, schema) = try ParquetReader.load(path: path)
        #expect(read.columnNames == table.columnNames)
        #expect(schema.columns == MixedTable.schema.columns)
        for (index, name) in table.columnNames.enumerated() {
            #expect(read.columns[index] == table.columns[index], "column \(name)")
        }
        // Dictionary for the categories, PLAIN after the fallback.
        let chunks = reader.metadata.rowGroups[0].columns
        #expect(chunks[7].metaData.encodings.contains(ParquetEncoding.rleDictionary.rawValue))
        #expect(!chunks[8].metaData.encodings.contains(ParquetEncoding.rleDictionary.rawValue))
    }

    @Test func statisticsHoldMinMaxAndNullCount() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("stats.parquet")
        let table = Table(columnNames: ["n", "s"], columns: [["5", nil, "-7", "12"], ["b", "a", nil, "c"]])
        let schema = Schema(columns: [ColumnSchema(name: "n", kind: .integer), ColumnSchema(name: "s", kind: .categorical)])
        try ParquetWriter.write(table, schema: schema, to: path)
        let meta = try ParquetReader(path: path).metadata
        let n = try #require(meta.rowGroups.first?.columns[0].metaData.statistics)
        #expect(n.nullCount == 1)
        #expect(n.minValue == [0xf9, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])
        #expect(n.maxValue == [12, 0, 0, 0, 0, 0, 0, 0])
        let s = try #require(meta.rowGroups.first?.columns[1].metaData.statistics)
        #expect(s.nullCount == 1 && s.minValue == Array("a".utf8) && s.maxValue == Array("c".utf8))
    }

    @Test func refusesAValueThatDoesNotFitItsColumn() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("bad.parquet")
        let table = Table(columnNames: ["n"], columns: [["5", "five"]])
        let schema = Schema(columns: [ColumnSchema(name: "n", kind: .integer)])
        #expect(throws: ParquetError("column 'n': value 'five' is not an integer")) {
            try ParquetWriter.write(table, schema: schema, to: path)
        }
        #expect(try directory.contents().isEmpty)
        // A dirty column (one with invalid values) writes them as nulls, as encoding reads them.
        var dirty = schema
        dirty.columns[0].invalidValues = InvalidValues(count: 1)
        try ParquetWriter.write(table, schema: dirty, to: path)
        #expect(try ParquetReader.load(path: path).table.columns[0] == ["5", nil])
    }

    @Test func decimalTextBecomesExactUnscaledIntegers() {
        func unscaled(_ text: String, _ scale: Int) -> Int64? {
            var copy = text
            return copy.withUTF8 { CellParser.decimal($0, scale: scale) }
        }
        #expect(unscaled("3.25", 2) == 325)
        #expect(unscaled("-0.5", 2) == -50)
        #expect(unscaled("7", 3) == 7000)
        #expect(unscaled("1e-3", 4) == 10)
        #expect(unscaled("2.345", 2) == 235)       // rounded half away from zero
        #expect(unscaled("1e18", 0) == nil)        // beyond 18 digits
        #expect(unscaled("abc", 2) == nil)
        #expect(ValueConverter.decimalText(bigEndianTwosComplement: [0xff, 0x38][...], scale: 2) == "-2.00")
        #expect(ValueConverter.decimalText(bigEndianTwosComplement: [0x00, 0x01, 0x00][...], scale: 1) == "25.6")
    }
}
