import MimeoData
import Testing

@testable import MimeoEval

@Suite struct CellParserTests {
    @Test func parsesNumbersAndCoercesTheRestToMissing() throws {
        let parser = try CellParser(kind: .decimal, format: nil)
        #expect(parser.value("42") == 42)
        #expect(parser.value("-7") == -7)
        #expect(parser.value("+3") == 3)
        #expect(parser.value("2.5e3") == 2500)
        #expect(parser.value("1234567890123456789") == 1_234_567_890_123_456_789)
        for cell: String? in [nil, "", "abc", "inf", "nan", "-"] { #expect(parser.value(cell).isNaN) }
    }

    /// Cells that schema inference does not call numbers are not numbers here either (one parser,
    /// `NumberSyntax`): hexadecimal, spaces, infinities.
    @Test func numbersAreWhatInferenceCallsNumbers() throws {
        let parser = try CellParser(kind: .decimal, format: nil)
        for cell in ["0x28", " 12 ", "12 ", "infinity", "1e999", "1_000", "1,5"] {
            #expect(parser.value(cell).isNaN, "\(cell)")
            #expect(SchemaInference().inferColumn(named: "x", values: [cell]).kind.isNumeric == false, "\(cell)")
        }
    }

    @Test func datetimesBecomeEpochNanoseconds() throws {
        let mimeoPattern = try CellParser(kind: .datetime, format: "%Y-%m-%dT%H:%M:%SZ")
        let refereePattern = try CellParser(kind: .datetime, format: "%Y-%m-%dT%H:%M:%S%z")
        #expect(mimeoPattern.isDateTime && refereePattern.isDateTime)
        #expect(mimeoPattern.value("2013-01-01T10:00:00Z") == 1_357_034_400e9)
        #expect(refereePattern.value("2013-01-01T10:00:00Z") == 1_357_034_400e9)
        #expect(refereePattern.value("2013-01-01T12:00:00+02:00") == 1_357_034_400e9)
        #expect(mimeoPattern.value("yesterday").isNaN)
        // Beyond pandas' nanosecond range: unparseable, not a trap.
        #expect(mimeoPattern.value("9999-12-31T23:59:59Z").isNaN)
        #expect(CellParser.isUnparseable("yesterday", value: mimeoPattern.value("yesterday")))
        #expect(!CellParser.isUnparseable(nil, value: mimeoPattern.value(nil)))
        // One date parser: patterns MimeoData's DateTimeFormat does not read are refused.
        #expect(throws: EvaluationError.unsupportedDateTimeFormat("%d %b %Y")) {
            try CellParser(kind: .datetime, format: "%d %b %Y")
        }
    }
}
