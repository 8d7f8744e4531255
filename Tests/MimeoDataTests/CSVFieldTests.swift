import MimeoTestSupport
import Foundation
import Testing

@testable import MimeoData

/// `CSVField`, the one routine that quotes CSV fields (generation builds its rows with it).
@Suite struct CSVFieldTests {
    /// `rows` as CSV bytes: fields through `CSVField.append`, rows ended by `\n`, as generation writes them.
    private func csv(_ rows: [[String]], delimiter: UInt8 = UInt8(ascii: ",")) -> [UInt8] {
        var bytes: [UInt8] = []
        for row in rows {
            for (index, field) in row.enumerated() {
                if index > 0 { bytes.append(delimiter) }
                CSVField.append(field, delimiter: delimiter, to: &bytes)
            }
            bytes.append(0x0A)
        }
        return bytes
    }

    @Test func quotesOnlyWhereNeeded() {
        let row = ["plain", "a,b", "he said \"hi\"", "line\nbreak", "cr\rx", " lead", "trail ", "", "é"]
        #expect(String(decoding: csv([row]), as: UTF8.self)
                == "plain,\"a,b\",\"he said \"\"hi\"\"\",\"line\nbreak\",\"cr\rx\", lead,trail ,,é\n")
        #expect(CSVField.encoded("x\"y", delimiter: UInt8(ascii: ",")) == Array("\"x\"\"y\"".utf8))
    }

    @Test func quotingFollowsTheDelimiter() {
        #expect(csv([["a;b", "c,d"]], delimiter: UInt8(ascii: ";")) == Array("\"a;b\";c,d\n".utf8))
        #expect(csv([["a\tb", "c"]], delimiter: UInt8(ascii: "\t")) == Array("\"a\tb\"\tc\n".utf8))
        #expect(CSVField.needsQuotes(Array("a|b".utf8), delimiter: UInt8(ascii: "|")))
        #expect(!CSVField.needsQuotes(Array("a|b".utf8), delimiter: UInt8(ascii: ",")))
    }

    @Test(arguments: [UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "\t"), UInt8(ascii: "|")])
    func trickyStringsRoundTripByteForByte(delimiter: UInt8) throws {
        let tricky = [
            "plain", "", " ", "  padded  ", "\"", "\"\"", "a\"b", "\"quoted\"", ",", ";", "\t", "|",
            "line\nbreak", "crlf\r\nbreak", "cr\ronly", "\n", "\r", "trailing\n", "é", "日本語",
            "🙂 emoji 👍🏽",
            "mixed, \"all\"\r\n of;them|\t", "\u{FEFF}bom", "nul\u{0}byte", "=1+2", "#comment",
        ]
        let bytes = csv([["index", "value", "reversed"]]
                        + tricky.enumerated().map { ["\($0.offset)", $0.element, String($0.element.reversed())] },
                        delimiter: delimiter)
        let reader = try CSVReader(bytes: bytes, delimiter: delimiter, chunkSize: 5)
        #expect(reader.header == ["index", "value", "reversed"])
        var index = 0
        while let record = try reader.next() {
            #expect(record.withUTF8(field: 1) { Array($0) } == Array(tricky[index].utf8), "value \(index)")
            #expect(record[2] == String(tricky[index].reversed()))
            index += 1
        }
        #expect(index == tricky.count)
    }

    @Test(Datasets.required(Datasets.adultTrain)) func adultRoundTripIsByteIdentical() throws {
        let table = try Table.load(path: Datasets.adultTrain, rowLimit: 3000)
        var rows = [table.columnNames]
        for row in 0 ..< table.rowCount { rows.append(table.columns.map { $0[row] ?? "" }) }
        let copy = csv(rows)
        let original = try Data(contentsOf: URL(fileURLWithPath: Datasets.adultTrain))
        #expect(Data(copy) == original.prefix(copy.count))
    }
}
