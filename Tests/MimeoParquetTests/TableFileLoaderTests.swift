import Foundation
import MimeoData
import MimeoTestSupport
import Testing

@testable import MimeoParquet

/// CSV files, Parquet files and folders of parts read through one interface.
@Suite struct TableFileLoaderTests {
    static let schema = Schema(columns: [ColumnSchema(name: "n", kind: .integer), ColumnSchema(name: "s", kind: .categorical)])

    static func table(_ range: Range<Int>) -> Table {
        Table(columnNames: ["n", "s"], columns: [range.map { String($0) }, range.map { $0 % 7 == 0 ? nil : "v\($0 % 3)" }])
    }

    @Test func foldersOfPartsReadAsOneTableInNameOrder() throws {
        let directory = try TemporaryDirectory()
        var options = ParquetWriteOptions()
        options.rowGroupBytes = 2000
        try ParquetWriter.write(Self.table(0 ..< 500), schema: Self.schema, to: directory.file("part-00000.parquet"), options: options)
        try ParquetWriter.write(Self.table(500 ..< 900), schema: Self.schema, to: directory.file("part-00001.parquet"), options: options)
        try directory.write("{}", to: "_manifest.json")
        let whole = Self.table(0 ..< 900)
        #expect(try TableFileLoader().load(path: directory.path).columns == whole.columns)
        #expect(try TableFileLoader.readHeader(path: directory.path) == ["n", "s"])
        // Chunks of at most 128 rows, split out of the row groups, numbered across the parts.
        var rows: [String?] = []
        var starts: [Int] = []
        try TableFileLoader(rowLimit: 128).forEachChunk(path: directory.path) { chunk, firstRow in
            #expect(chunk.rowCount <= 128)
            #expect(firstRow == rows.count)
            starts.append(firstRow)
            rows += chunk.columns[0]
        }
        #expect(rows == whole.columns[0])
        #expect(starts.count > 7)
        let limited = try TableFileLoader(rowLimit: 600).load(path: directory.path)
        #expect(limited.rowCount == 600)
    }

    @Test func csvAndParquetGiveTheSameTable() throws {
        let directory = try TemporaryDirectory()
        var csv = "n,s\n"
        let table = Self.table(0 ..< 50)
        for row in 0 ..< 50 { csv += "\(table.columns[0][row]!),\(table.columns[1][row] ?? "")\n" }
        let csvPath = try directory.write(csv, to: "t.csv")
        let parquetPath = directory.file("t.parquet")
        try ParquetWriter.write(table, schema: Self.schema, to: parquetPath)
        let fromCSV = try TableFileLoader().loadInferring(path: csvPath)
        let fromParquet = try TableFileLoader().loadInferring(path: parquetPath)
        #expect(fromCSV.table.columns == fromParquet.table.columns)
        #expect(fromCSV.schema == fromParquet.schema)
        // Found by its magic bytes whatever its name.
        let renamed = directory.file("t.data")
        try FileManager.default.copyItem(atPath: parquetPath, toPath: renamed)
        #expect(TableFileLoader.isParquet(renamed))
        #expect(try TableFileLoader().load(path: renamed).columns == table.columns)
    }

    @Test func declaredSchemaIsCheckedAgainstParquetColumns() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("t.parquet")
        try ParquetWriter.write(Self.table(0 ..< 10), schema: Self.schema, to: path)
        let wrong = Schema(columns: [ColumnSchema(name: "n", kind: .integer), ColumnSchema(name: "s", kind: .boolean)])
        #expect(throws: DataError.self) { try TableFileLoader(schema: wrong).load(path: path) }
        let missing = Schema(columns: [ColumnSchema(name: "n", kind: .integer), ColumnSchema(name: "t", kind: .categorical)])
        #expect(throws: DataError.self) { try TableFileLoader(schema: missing).load(path: path) }
        #expect(try TableFileLoader(schema: Self.schema).load(path: path).rowCount == 10)
    }

    @Test func mixedOrEmptyFoldersAreRefused() throws {
        let directory = try TemporaryDirectory()
        #expect(throws: DataError.self) { try TableFileLoader().load(path: directory.path) }
        try directory.write("n,s\n1,a\n", to: "part-00000.csv")
        try ParquetWriter.write(Self.table(0 ..< 3), schema: Self.schema, to: directory.file("part-00001.parquet"))
        #expect(throws: DataError.self) { try TableFileLoader().load(path: directory.path) }
    }
}

@Suite struct ParquetMagicTests {
    /// A pipe is never peeked at: its first bytes must reach the CSV reader.
    @Test func pipesAreNotReadForTheMagic() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]) }
        let text = Array("n\n1\n".utf8)
        #expect(write(fds[1], text, text.count) == text.count)
        close(fds[1])
        let path = "/dev/fd/\(fds[0])"
        #expect(!TableFileLoader.isParquet(path))
        #expect(try TableFileLoader().load(path: path).columns == [["1"]])
    }
}
