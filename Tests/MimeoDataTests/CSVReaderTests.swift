import MimeoTestSupport
import CZlib
import Foundation
import Testing

@testable import MimeoData

@Suite struct CSVReaderTests {
    // MARK: - RFC 4180

    @Test func readsHeaderAndRecordsWithLineNumbers() throws {
        let reader = try CSVReader(string: "a,b,c\n1,2,3\n4,5,6\n")
        #expect(reader.header == ["a", "b", "c"])
        #expect(reader.headerLine == 1)
        let first = try #require(try reader.next())
        #expect(first.fields == ["1", "2", "3"])
        #expect(first.line == 2)
        let second = try #require(try reader.next())
        #expect(Array(second) == ["4", "5", "6"])
        #expect(second.line == 3)
        #expect(try reader.next() == nil)
        #expect(try reader.next() == nil)
    }

    @Test func quotedFieldsKeepDelimitersQuotesAndLineBreaks() throws {
        let text = "a,b\n\"x,y\",\"he said \"\"hi\"\"\"\n\"line1\nline2\",z\n\"\",\"\"\"\"\n3,4\n"
        let reader = try CSVReader(string: text)
        var rows: [[String]] = []
        var lines: [Int] = []
        while let record = try reader.next() {
            rows.append(record.fields)
            lines.append(record.line)
        }
        #expect(rows == [["x,y", "he said \"hi\""], ["line1\nline2", "z"], ["", "\""], ["3", "4"]])
        #expect(lines == [2, 3, 5, 6])
    }

    @Test func crlfAndLoneCarriageReturnLineEndings() throws {
        #expect(try parse("a,b\r\n1,2\r\n3,4") == [["a", "b"], ["1", "2"], ["3", "4"]])
        #expect(try parse("a,b\r1,2\r3,4\r") == [["a", "b"], ["1", "2"], ["3", "4"]])
        #expect(try parse("a,b\r\n\"x\r\ny\",2\r\n") == [["a", "b"], ["x\r\ny", "2"]])
        let reader = try CSVReader(string: "a\r\n1\r\n2\r\n")
        #expect(try reader.next()?.line == 2)
        #expect(try reader.next()?.line == 3)
    }

    @Test func byteOrderMarkIsSkipped() throws {
        let reader = try CSVReader(bytes: [0xEF, 0xBB, 0xBF] + Array("id,name\n1,x\n".utf8))
        #expect(reader.header == ["id", "name"])
        #expect(try reader.next()?.fields == ["1", "x"])
    }

    @Test(arguments: [UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "\t"), UInt8(ascii: "|")])
    func configurableDelimiter(delimiter: UInt8) throws {
        let d = String(UnicodeScalar(delimiter))
        let text = "a\(d)b\(d)c\n1\(d)\"x\(d)y\"\(d)\n"
        #expect(try parse(text, delimiter: delimiter) == [["a", "b", "c"], ["1", "x\(d)y", ""]])
        if delimiter != UInt8(ascii: ",") {
            // Commas are ordinary bytes under another delimiter.
            #expect(try parse("a\(d)b\n1,5\(d)2\n", delimiter: delimiter) == [["a", "b"], ["1,5", "2"]])
        }
    }

    @Test func emptyFieldsAndMissingFinalLineBreak() throws {
        #expect(try parse("a,b,c\n,,\n") == [["a", "b", "c"], ["", "", ""]])
        #expect(try parse("a,b\n1,") == [["a", "b"], ["1", ""]])
        #expect(try parse("a,b\n1,\"2\"") == [["a", "b"], ["1", "2"]])
        #expect(try parse("a,b") == [["a", "b"]])
    }

    @Test func blankLinesAreSkippedExceptInOneColumnFiles() throws {
        #expect(try parse("\n\na,b\n\n1,2\n\n\n3,4\n\n") == [["a", "b"], ["1", "2"], ["3", "4"]])
        #expect(try parse("a\n1\n\n2\n\"\"\n") == [["a"], ["1"], [""], ["2"], [""]])
        let reader = try CSVReader(string: "\n\na,b\n\n1,2\n")
        #expect(reader.headerLine == 3)
        #expect(try reader.next()?.line == 5)
    }

    @Test func leadingAndTrailingSpacesAreKept() throws {
        #expect(try parse("a,b\n x ,\" y \"\n") == [["a", "b"], [" x ", " y "]])
    }

    @Test func unicodeFieldsAreDecoded() throws {
        #expect(try parse("name,city\nJosé,Zürich 🏔\n") == [["name", "city"], ["José", "Zürich 🏔"]])
    }

    @Test func recordGivesFieldBytes() throws {
        let reader = try CSVReader(string: "a,b\nxy,\"q\"\"\"\n")
        let record = try #require(try reader.next())
        #expect(record.withUTF8(field: 1) { Array($0) } == Array("q\"".utf8))
        #expect(record.count == 2)
        #expect(CSVRecord(line: 7, fields: ["xy", "q\""]).fields == record.fields)
    }

    /// Every chunk size must give the same records: quotes, CRLF and multi-byte characters split anywhere.
    @Test func chunkBoundariesDoNotChangeTheResult() throws {
        let text = "\u{FEFF}id,text,n\r\n1,\"a,b\r\nc \"\"q\"\"\",é🙂\r\n2,,\"\"\r\n\r\n3,\"x\"\"\",y\r\n"
        let expected = try readAll(CSVReader(string: text))
        #expect(expected.count == 4)
        for chunkSize in 4 ... 24 {
            let reader = try CSVReader(bytes: Array(text.utf8), chunkSize: chunkSize)
            #expect(try readAll(reader) == expected, "chunk size \(chunkSize)")
        }
    }

    @Test func bytesReadCountsTheWholeInput() throws {
        let text = "a,b\n1,2\n3,4\n"
        let reader = try CSVReader(string: text)
        _ = try readAll(reader)
        #expect(reader.bytesRead == text.utf8.count)
    }

    @Test func readAllHonoursTheLimit() throws {
        let reader = try CSVReader(string: "a\n1\n2\n3\n")
        #expect(try reader.readAll(limit: 2) == [["1"], ["2"]])
        #expect(try reader.readAll() == [["3"]])
    }

    // MARK: - Errors

    @Test func raggedRowWithTooFewFields() throws {
        let text = "a,b,c\n1,2,3\n4,5\n"
        let error = try #require(dataError { _ = try readAll(CSVReader(string: text, name: "data.csv")) })
        #expect(error.line == 3)
        #expect(error.column == 3)
        #expect(error.columnName == "c")
        #expect(error.message == "expected 3 fields, found 2")
        #expect(error.description == "data.csv:3:3: error (column 'c'): expected 3 fields, found 2")
    }

    @Test func raggedRowWithTooManyFields() throws {
        let error = try #require(dataError { _ = try parse("a,b\n1,2\n1,2,3\n") })
        #expect(error.line == 3)
        #expect(error.column == 3)
        #expect(error.columnName == nil)
        #expect(error.message == "expected 2 fields, found 3")
    }

    @Test func raggedRowLineCountsLineBreaksInsideQuotes() throws {
        let error = try #require(dataError { _ = try parse("a,b\n\"x\ny\",1\n2\n") })
        #expect(error.line == 4)
        #expect(error.column == 2)
        #expect(error.columnName == "b")
    }

    @Test func quoteInsideUnquotedField() throws {
        let error = try #require(dataError { _ = try parse("a,b\n1,2\n3,x\"y\n") })
        #expect(error.line == 3)
        #expect(error.column == 2)
        #expect(error.columnName == "b")
        #expect(error.message.contains("unexpected quote inside an unquoted field"))
    }

    @Test func textAfterClosingQuote() throws {
        let error = try #require(dataError { _ = try parse("a,b\n\"x\"y,2\n") })
        #expect(error.line == 2)
        #expect(error.column == 1)
        #expect(error.columnName == "a")
        #expect(error.message
            == "unexpected 'y' after a closing quote; expected the delimiter ',' or the end of the line")
    }

    @Test func unterminatedQuoteReportsWhereItOpened() throws {
        let error = try #require(dataError { _ = try parse("a,b\n1,2\n3,\"open\nmore\nstuff\n") })
        #expect(error.line == 3)
        #expect(error.column == 2)
        #expect(error.columnName == "b")
        #expect(error.message.contains("unterminated quoted field"))
    }

    @Test func invalidUTF8ReportsFieldAndByteOffset() throws {
        let bytes = Array("a,b\n1,2\n3,x".utf8) + [0xFF] + Array("y\n".utf8)
        let error = try #require(dataError { _ = try readAll(CSVReader(bytes: bytes)) })
        #expect(error.line == 3)
        #expect(error.column == 2)
        #expect(error.columnName == "b")
        #expect(error.message == "invalid UTF-8: byte 0xFF at byte offset 1 of the field; expected UTF-8 text")
        // A truncated multi-byte sequence and an encoded surrogate are invalid too.
        #expect(dataError { _ = try readAll(CSVReader(bytes: Array("a\n".utf8) + [0xC3])) }?.line == 2)
        #expect(dataError { _ = try readAll(CSVReader(bytes: Array("a\n".utf8) + [0xED, 0xA0, 0x80])) }?.column == 1)
    }

    @Test func invalidUTF8InHeader() throws {
        let error = try #require(dataError { _ = try CSVReader(bytes: Array("a,".utf8) + [0xC0, 0xAF]) })
        #expect(error.line == 1)
        #expect(error.column == 2)
    }

    @Test(arguments: ["", "\n\n", "\r\n", "\u{FEFF}"])
    func emptyFileHasNoHeader(text: String) throws {
        let error = try #require(dataError { _ = try CSVReader(string: text, name: "empty.csv") })
        #expect(error.file == "empty.csv")
        #expect(error.line == 1)
        #expect(error.message == "empty file: expected a header line with column names")
    }

    @Test func emptyHeaderName() throws {
        let error = try #require(dataError { _ = try CSVReader(string: "a,,c\n1,2,3\n") })
        #expect(error.line == 1)
        #expect(error.column == 2)
        #expect(error.message.contains("empty column name"))
    }

    @Test func duplicateHeaderName() throws {
        let error = try #require(dataError { _ = try CSVReader(string: "a,b,a\n") })
        #expect(error.line == 1)
        #expect(error.column == 3)
        #expect(error.columnName == "a")
        #expect(error.message == "duplicate column name 'a' (also column 1); expected unique column names")
    }

    @Test(arguments: [UInt8(ascii: "\""), 0x0A, 0x0D])
    func quoteOrLineBreakDelimiterIsRefused(delimiter: UInt8) throws {
        let error = try #require(dataError { _ = try CSVReader(string: "a\n", delimiter: delimiter) })
        #expect(error.message.hasPrefix("invalid delimiter"))
    }

    @Test func missingFileIsADataError() throws {
        let error = try #require(dataError { _ = try CSVReader(path: "/nonexistent/x.csv") })
        #expect(error.file == "/nonexistent/x.csv")
        #expect(error.message.contains("cannot open"))
    }

    /// Random bytes drawn from the CSV-significant alphabet must give records or a DataError, never a crash,
    /// and the same outcome for every chunk size.
    @Test func arbitraryBytesNeverCrash() throws {
        let alphabet: [UInt8] = [UInt8(ascii: "a"), UInt8(ascii: ","), UInt8(ascii: "\""), 0x0A, 0x0D, 0xFF, 0xC3,
                                 0xA9, 0xEF, 0xBB, 0xBF, 0x1F, 0x8B, 0x00]
        var generator = SplitMix64(seed: 42)
        for _ in 0 ..< 1500 {
            let count = Int(generator.next() % 24)
            let bytes = (0 ..< count).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
            let whole = outcome { try readAll(CSVReader(bytes: bytes)) }
            let chunked = outcome { try readAll(CSVReader(bytes: bytes, chunkSize: 4)) }
            #expect(whole == chunked, "bytes \(bytes)")
        }
    }

    // MARK: - gzip

    @Test func gzipFilesAreInflatedTransparently() throws {
        let directory = try TemporaryDirectory()
        var text = "id,name,note\n"
        for index in 0 ..< 5000 { text += "\(index),name \(index),\"multi\nline \(index)\"\n" }
        let compressedPath = directory.file("data.csv.gz")
        try gzipWrite(Array(text.utf8), to: compressedPath)
        let plainPath = try directory.write(text, to: "data.csv")

        let fromGzip = try CSVReader(path: compressedPath, chunkSize: 1000)
        #expect(fromGzip.isCompressed)
        let rows = try readAll(fromGzip)
        #expect(rows == (try readAll(CSVReader(path: plainPath))))
        #expect(rows.count == 5001)
        #expect(fromGzip.bytesRead == text.utf8.count)

        // Detected by the magic bytes, whatever the name.
        try FileManager.default.moveItem(atPath: compressedPath, toPath: directory.file("renamed.txt"))
        #expect(try readAll(CSVReader(path: directory.file("renamed.txt"))) == rows)
    }

    @Test func concatenatedGzipMembersAreReadInOrder() throws {
        let directory = try TemporaryDirectory()
        try gzipWrite(Array("a,b\n1,2\n".utf8), to: directory.file("one.gz"))
        try gzipWrite(Array("3,4\n".utf8), to: directory.file("two.gz"))
        let joined = try Data(contentsOf: URL(fileURLWithPath: directory.file("one.gz")))
            + Data(contentsOf: URL(fileURLWithPath: directory.file("two.gz")))
        let path = try directory.write([UInt8](joined), to: "joined.csv.gz")
        #expect(try readAll(CSVReader(path: path)) == [["a", "b"], ["1", "2"], ["3", "4"]])
    }

    @Test func truncatedGzipIsADataError() throws {
        let directory = try TemporaryDirectory()
        var text = "id,value\n"
        for index in 0 ..< 2000 { text += "\(index),\(index * 7919 % 1000)\n" }
        try gzipWrite(Array(text.utf8), to: directory.file("full.gz"))
        let full = [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory.file("full.gz"))))
        let path = try directory.write(Array(full.prefix(full.count / 2)), to: "cut.csv.gz")
        let error = try #require(dataError { _ = try readAll(CSVReader(path: path)) })
        #expect(error.file == path)
        #expect(error.message.contains("truncated gzip"))

        var corrupt = full
        for index in 20 ..< 60 { corrupt[index] ^= 0x5A }
        let corruptPath = try directory.write(corrupt, to: "corrupt.csv.gz")
        #expect(dataError { _ = try readAll(CSVReader(path: corruptPath)) } != nil)
    }

    @Test(Datasets.required(Datasets.flightsTrain)) func readsTheFlightsGzipFile() throws {
        let reader = try CSVReader(path: Datasets.flightsTrain)
        #expect(reader.isCompressed)
        #expect(reader.header.count == 19)
        #expect(reader.header.first == "year")
        #expect(reader.header.last == "time_hour")
        let first = try #require(try reader.next())
        #expect(first.line == 2)
        #expect(first[0] == "2013")
        #expect(first[18].hasSuffix("Z"))
        let rows = try reader.readAll(limit: 999)
        #expect(rows.count == 999)
    }
}

// MARK: - Helpers

/// What parsing gave: the rows, or the error's location and message.
private enum Outcome: Equatable {
    case rows([[String]])
    case failure(line: Int?, column: Int?, message: String)
}

private func outcome(_ body: () throws -> [[String]]) -> Outcome {
    do {
        return .rows(try body())
    } catch let error as DataError {
        return .failure(line: error.line, column: error.column, message: error.message)
    } catch {
        return .failure(line: nil, column: nil, message: "\(error)")
    }
}

/// Writes `bytes` as a gzip file with zlib's `gzopen`/`gzwrite`.
func gzipWrite(_ bytes: [UInt8], to path: String) throws {
    guard let file = gzopen(path, "wb") else { throw DataError(file: path, message: "gzopen failed") }
    let written = bytes.withUnsafeBytes { gzwrite(file, $0.baseAddress, UInt32($0.count)) }
    let closed = gzclose(file)
    guard written == Int32(bytes.count), closed == Z_OK else {
        throw DataError(file: path, message: "gzwrite failed")
    }
}
