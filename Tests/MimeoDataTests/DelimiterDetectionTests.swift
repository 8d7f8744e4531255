import Foundation
import MimeoTestSupport
import Testing

@testable import MimeoData

@Suite struct DelimiterDetectionTests {
    private func detect(_ text: String) -> Character {
        Character(Unicode.Scalar(CSVReader.detectDelimiter(in: Array(text.utf8))))
    }

    @Test func detectsEachCandidate() {
        #expect(detect("a,b,c\n1,2,3\n4,5,6\n") == ",")
        #expect(detect("a;b;c\n1;2;3\n4;5;6\n") == ";")
        #expect(detect("a\tb\tc\n1\t2\t3\n") == "\t")
        #expect(detect("a|b|c\n1|2|3\n") == "|")
        #expect(detect("a;b\r\n1;2\r\n") == ";")
        #expect(detect("a;b\n") == ";")  // header only
    }

    @Test func quotedFieldsHideOtherCandidates() {
        // Commas and line breaks inside quotes do not count for ','.
        #expect(detect("name;note\n\"Smith, J\";\"a, b, c\"\n\"Doe, K\";\"x\ny, z\"\n") == ";")
        // Semicolons inside quotes do not count for ';'.
        #expect(detect("a,b\n\"1;2;3\",4\n\"5;6\",7\n") == ",")
    }

    @Test func europeanDecimalsDoNotFoolIt() {
        #expect(detect("price;qty\n1,5;2\n3,25;4\n") == ";")
    }

    @Test func oneColumnFilesAreCommaSeparated() {
        #expect(detect("name\nAnn\nBob\n") == ",")
        #expect(detect("") == ",")
        #expect(detect("\n\n") == ",")
        #expect(detect("x\n1;2\n3\n") == ",")
    }

    @Test func ties() {
        // Both ',' and ';' split every line into 2 fields: the earlier candidate wins.
        #expect(detect("a,b;c\n1,2;3\n") == ",")
        // The more consistent candidate wins over the earlier one.
        #expect(detect("a,b;c;d\n1,2;3;4\n5;6;7\n8;9;10\n") == ";")
    }

    @Test func aCutLastRecordIsIgnored() {
        let sample = Array("a;b;c\n1;2;3\n4;5".utf8)
        #expect(sample.withUnsafeBufferPointer { CSVReader.detectDelimiter(in: $0, isWholeInput: false) } == UInt8(ascii: ";"))
    }

    @Test func readerDetectsWhenGivenNoDelimiter() throws {
        let reader = try CSVReader(string: "\u{FEFF}a;b\n1;2\n", delimiter: nil)
        #expect(reader.delimiter == UInt8(ascii: ";"))
        #expect(reader.delimiterWasDetected)
        #expect(reader.header == ["a", "b"])
        #expect(try reader.next()?.fields == ["1", "2"])
        let given = try CSVReader(string: "a;b\n1;2\n", delimiter: UInt8(ascii: ","))
        #expect(given.header == ["a;b"])  // --delimiter overrides
        #expect(!given.delimiterWasDetected)
    }

    @Test func gzipInputIsDetectedAfterInflating() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("t.csv.gz")
        try gzipWrite(Array("a|b\n1|2\n3|4\n".utf8), to: path)
        let table = try TableLoader(delimiter: nil).load(path: path)
        #expect(table.columnNames == ["a", "b"])
        #expect(table.columns[1] == ["2", "4"])
    }

    /// Detection sees only the first 64 KiB; a file much longer than that is read whole with what it found.
    @Test func longFilesUseTheStart() throws {
        var text = "a\tb\n"
        for row in 0..<20_000 { text += "\(row)\t\(row * 2)\n" }
        let table = try TableLoader(delimiter: nil).load(from: CSVReader(string: text, delimiter: nil))
        #expect(table.rowCount == 20_000)
        #expect(table.columns[1].last == "39998")
    }

    @Test func anyBytesGiveAnAnswer() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array(",;\t|\"\n\ra1 ".utf8)
        for _ in 0..<2_000 {
            let bytes = (0..<Int.random(in: 0..<64, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
            #expect(CSVReader.delimiterCandidates.contains(CSVReader.detectDelimiter(in: bytes)))
        }
    }
}
