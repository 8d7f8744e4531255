import MimeoTestSupport
import Foundation
import Testing

@testable import MimeoData

@Suite struct CSVWriterTests {
    /// Writes rows with `delimiter` to a new file and returns its bytes.
    private func written(_ rows: [[String?]], delimiter: UInt8 = UInt8(ascii: ","), bufferSize: Int = 1 << 20)
        throws -> String
    {
        let directory = try TemporaryDirectory()
        let path = directory.file("out.csv")
        let writer = try CSVWriter(path: path, delimiter: delimiter, bufferSize: bufferSize)
        for row in rows { try writer.writeRow(row) }
        try writer.close()
        return try String(contentsOfFile: path, encoding: .utf8)
    }

    @Test func quotesOnlyWhereNeeded() throws {
        let row: [String?] = [
            "plain", "a,b", "he said \"hi\"", "line\nbreak", "cr\rx", " lead", "trail ", "", nil, "é",
        ]
        let text = try written([row])
        #expect(text == "plain,\"a,b\",\"he said \"\"hi\"\"\",\"line\nbreak\",\"cr\rx\", lead,trail ,,,é\n")
    }

    @Test func quotingFollowsTheDelimiter() throws {
        #expect(try written([["a;b", "c,d"]], delimiter: UInt8(ascii: ";")) == "\"a;b\";c,d\n")
        #expect(try written([["a\tb", "c"]], delimiter: UInt8(ascii: "\t")) == "\"a\tb\"\tc\n")
    }

    @Test func loneEmptyFieldIsQuotedSoTheRowIsNotBlank() throws {
        #expect(try written([["x"], [nil], [""], ["y"]]) == "x\n\"\"\n\"\"\ny\n")
        #expect(try written([[nil, nil]]) == ",\n")
    }

    @Test func fieldsFromBytesSubstringsAndMissing() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("out.csv")
        let writer = try CSVWriter(path: path)
        writer.writeField(utf8: Array("bytes,1".utf8))
        writer.writeField("substring!".dropLast())
        writer.writeMissing()
        writer.writeField(nil as String?)
        try writer.endRow()
        #expect(writer.rowCount == 1)
        try writer.close()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "\"bytes,1\",substring,,\n")
        #expect(writer.bytesWritten == 22)
    }

    @Test func closeEndsAnOpenRow() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("out.csv")
        let writer = try CSVWriter(path: path)
        writer.writeField("a")
        writer.writeField("b")
        try writer.close()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "a,b\n")
    }

    @Test(arguments: [UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "\t"), UInt8(ascii: "|")])
    func trickyStringsRoundTripByteForByte(delimiter: UInt8) throws {
        let tricky = [
            "plain", "", " ", "  padded  ", "\"", "\"\"", "a\"b", "\"quoted\"", ",", ";", "\t", "|",
            "line\nbreak", "crlf\r\nbreak", "cr\ronly", "\n", "\r", "trailing\n", "é", "日本語",
            "🙂 emoji 👍🏽",
            "mixed, \"all\"\r\n of;them|\t", "\u{FEFF}bom", "nul\u{0}byte", "=1+2", "#comment",
        ]
        let directory = try TemporaryDirectory()
        let path = directory.file("tricky.csv")
        // A small buffer forces many flushes, some in the middle of rows.
        let writer = try CSVWriter(path: path, delimiter: delimiter, bufferSize: 7)
        try writer.writeRow(["index", "value", "reversed"])
        for (index, value) in tricky.enumerated() {
            try writer.writeRow(["\(index)", value, String(value.reversed())])
        }
        try writer.close()

        let reader = try CSVReader(path: path, delimiter: delimiter, chunkSize: 5)
        #expect(reader.header == ["index", "value", "reversed"])
        var index = 0
        while let record = try reader.next() {
            #expect(record.withUTF8(field: 1) { Array($0) } == Array(tricky[index].utf8), "value \(index)")
            #expect(record[2] == String(tricky[index].reversed()))
            index += 1
        }
        #expect(index == tricky.count)
    }

    @Test func writesATableThatLoadsBackEqual() throws {
        let table = Table(
            columnNames: ["id", "name", "note"],
            columns: [["1", "2", "3"], ["Ada", nil, "Grace, \"Amazing\""], ["multi\nline", "x", nil]])
        let directory = try TemporaryDirectory()
        let path = directory.file("table.csv")
        let writer = try CSVWriter(path: path)
        try writer.write(table)
        try writer.close()
        let loaded = try Table.load(path: path)
        #expect(loaded.columnNames == table.columnNames)
        #expect(loaded.columns == table.columns)
    }

    @Test func adultRoundTripIsByteIdentical() throws {
        let table = try Table.load(path: Datasets.adultTrain, rowLimit: 3000)
        let directory = try TemporaryDirectory()
        let path = directory.file("adult.csv")
        let writer = try CSVWriter(path: path)
        try writer.write(table)
        try writer.close()
        let original = try Data(contentsOf: URL(fileURLWithPath: Datasets.adultTrain))
        let copy = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(copy.count == writer.bytesWritten)
        #expect(copy == original.prefix(copy.count))
    }

    @Test func droppedWriterLeavesNoFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("out.csv")
        do {
            let writer = try CSVWriter(path: path, bufferSize: 4)
            for index in 0 ..< 100 { try writer.writeRow(["\(index)", "x"]) }
            #expect(try directory.contents() == ["out.csv.tmp-\(getpid())"])
        }
        #expect(try directory.contents().isEmpty)
    }

    @Test func writesToAFileHandle() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("", to: "handle.csv")
        let handle = try #require(FileHandle(forWritingAtPath: path))
        let writer = CSVWriter(fileHandle: handle, name: path)
        try writer.writeRow(["a", "b"])
        try writer.close()
        try handle.close()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "a,b\n")
    }
}
