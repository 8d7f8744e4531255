import MimeoTestSupport
import Foundation
import Testing

@testable import MimeoData

@Suite struct TableLoaderTests {
    @Test func forEachChunkCoversEveryRowOnceWithOffsets() throws {
        let directory = try TemporaryDirectory()
        let rows = (0..<10).map { "\($0);r\($0)" }.joined(separator: "\n")
        let path = try directory.write("a;b\n" + rows + "\n", to: "t.csv")
        var seen: [(Int, Int)] = []
        var values: [String?] = []
        try TableLoader(delimiter: UInt8(ascii: ";"), rowLimit: 4).forEachChunk(path: path) { chunk, first in
            seen.append((first, chunk.rowCount))
            values += chunk.columns[0]
        }
        #expect(seen.map(\.0) == [0, 4, 8] && seen.map(\.1) == [4, 4, 2])
        #expect(values == (0..<10).map { String($0) })
        // A header alone gives one empty chunk carrying the columns.
        let empty = try directory.write("a;b\n", to: "e.csv")
        var chunks: [Table] = []
        try TableLoader(delimiter: UInt8(ascii: ";")).forEachChunk(path: empty) { chunk, _ in chunks.append(chunk) }
        #expect(chunks.count == 1 && chunks[0].rowCount == 0 && chunks[0].columnNames == ["a", "b"])
    }

    private let schema = Schema(columns: [
        ColumnSchema(name: "id", kind: .integer),
        ColumnSchema(name: "price", kind: .decimal, decimals: 2),
        ColumnSchema(name: "active", kind: .boolean, booleanValues: ["no", "yes"]),
        ColumnSchema(name: "when", kind: .datetime, format: "%Y-%m-%d"),
        ColumnSchema(name: "label", kind: .categorical),
    ])

    private let validFile = """
        id,price,active,when,label
        1,9.99,yes,2013-01-31,a
        2,,no,NA,?
        -3,1e2,yes,2012-02-29,anything at all

        """

    @Test func loadsColumnsAndMapsMissingSpellingsToNil() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("a,b\n1,x\n,NA\nnull,N/A\n?,NaN\nnan,NULL\n", to: "t.csv")
        let table = try TableLoader().load(path: path)
        #expect(table.columnNames == ["a", "b"])
        #expect(table.rowCount == 5)
        #expect(table.columns[0] == ["1", nil, nil, nil, nil])
        #expect(table.columns[1] == ["x", nil, nil, nil, nil])
    }

    @Test func customMissingSpellings() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("a\n-\nNA\n\"\"\n", to: "t.csv")
        let table = try TableLoader(missingValues: ["-"]).load(path: path)
        #expect(table.columns[0] == [nil, "NA", ""])
        let withSchema = try TableLoader(schema: Schema(columns: [ColumnSchema(name: "a", kind: .categorical)],
                                                        missingValues: ["NA"])).load(path: path)
        #expect(withSchema.columns[0] == ["-", nil, ""])
    }

    @Test func validFileMatchesTheSchema() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write(validFile, to: "valid.csv")
        let table = try TableLoader(schema: schema).load(path: path)
        #expect(table.rowCount == 3)
        #expect(table.columns[1] == ["9.99", nil, "1e2"])
        #expect(table.columns[3] == ["2013-01-31", nil, "2012-02-29"])
        #expect(table.columns[4] == ["a", nil, "anything at all"])
    }

    @Test func headerMayListTheSchemaColumnsInAnyOrder() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("label,id,price,when,active\nx,1,2.5,2020-01-01,no\n", to: "order.csv")
        let table = try Table.load(path: path, schema: schema)
        #expect(table.columnNames == ["label", "id", "price", "when", "active"])
        #expect(table.columns[1] == ["1"])
    }

    @Test func unknownColumnIsNamed() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("id,price,active,when,label,extra\n", to: "extra.csv")
        let error = try #require(dataError { _ = try TableLoader(schema: schema).load(path: path) })
        #expect(error.line == 1)
        #expect(error.column == 6)
        #expect(error.columnName == "extra")
        #expect(error.message.hasPrefix("unknown column 'extra'"))
    }

    @Test func missingColumnsAreNamed() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("id,active,label\n", to: "missing.csv")
        let error = try #require(dataError { _ = try TableLoader(schema: schema).load(path: path) })
        #expect(error.line == 1)
        #expect(error.column == nil)
        #expect(error.columnName == "price")
        #expect(error.message.hasPrefix("missing columns 'price', 'when'"))
    }

    /// Each row breaks one column; the error gives file, line, column number and name, value and expectation.
    @Test(arguments: [
        ("1.5,1,yes,2013-01-31,a", 1, "id", "invalid value '1.5': expected an integer (an optional sign, then digits)"),
        ("1,1.2.3,yes,2013-01-31,a", 2, "price",
         "invalid value '1.2.3': expected a decimal number (such as -1.25 or 2e-3)"),
        ("1,inf,yes,2013-01-31,a", 2, "price",
         "invalid value 'inf': expected a decimal number (such as -1.25 or 2e-3)"),
        ("1,1,Yes,2013-01-31,a", 3, "active", "invalid value 'Yes': expected 'no' or 'yes'"),
        ("1,1,yes,2013-02-29,a", 4, "when", "invalid value '2013-02-29': expected a date-time in the format %Y-%m-%d"),
        ("1,1,yes,31/01/2013,a", 4, "when", "invalid value '31/01/2013': expected a date-time in the format %Y-%m-%d"),
    ])
    func invalidValueIsLocated(row: String, column: Int, name: String, message: String) throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write(validFile + "\n" + row + "\n", to: "bad.csv")
        let error = try #require(dataError { _ = try TableLoader(schema: schema).load(path: path) })
        #expect(error.file == path)
        #expect(error.line == 6)  // 4 lines, a blank line, then the bad row
        #expect(error.column == column)
        #expect(error.columnName == name)
        #expect(error.message == message)
    }

    @Test func invalidSchemaFormatIsReported() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("d\n2020-01-01\n", to: "d.csv")
        let bad = Schema(columns: [ColumnSchema(name: "d", kind: .datetime, format: "%Q")])
        let error = try #require(dataError { _ = try TableLoader(schema: bad).load(path: path) })
        #expect(error.column == 1)
        #expect(error.message.contains("not a valid date-time pattern"))
    }

    @Test func rowLimitAndHeaderOnly() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("a,b\n1,2\n3,4\n5,6\n", to: "t.csv")
        #expect(try TableLoader(rowLimit: 2).load(path: path).columns == [["1", "3"], ["2", "4"]])
        #expect(try TableLoader(rowLimit: 0).load(path: path).rowCount == 0)
        #expect(try TableLoader.readHeader(path: path) == ["a", "b"])
    }

    @Test(Datasets.required(Datasets.flightsTrain)) func readsTheHeaderOfAGzipFile() throws {
        #expect(try TableLoader.readHeader(path: Datasets.flightsTrain).count == 19)
    }

    @Test func rowLimitStopsBeforeLaterErrors() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("a,b\n1,2\n3\n", to: "t.csv")
        #expect(try Table.load(path: path, rowLimit: 1).rowCount == 1)
        #expect(dataError { _ = try Table.load(path: path) }?.line == 3)
    }

    @Test func semicolonDelimitedFile() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("a;b\n1,5;x\n", to: "t.csv")
        let table = try Table.load(path: path, delimiter: UInt8(ascii: ";"))
        #expect(table.columns == [["1,5"], ["x"]])
    }

    @Test(Datasets.required(Datasets.adultTrain)) func loadsTheAdultFileWithItsInferredSchema() throws {
        let table = try Table.load(path: Datasets.adultTrain)
        #expect(table.rowCount == 39_073)
        #expect(table.columnNames.count == 15)
        let inferred = SchemaInference().inferSchema(from: table.rows(0 ..< 2000))
        let again = try Table.load(path: Datasets.adultTrain, schema: inferred, rowLimit: 2000)
        #expect(again.columns == table.rows(0 ..< 2000).columns)
    }
}
