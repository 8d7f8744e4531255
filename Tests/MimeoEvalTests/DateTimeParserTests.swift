import Testing

@testable import MimeoEval

@Suite struct DateTimeParserTests {
    @Test func readsTheRefereesPatternWithOffsets() throws {
        let parser = try DateTimeParser(format: "%Y-%m-%dT%H:%M:%S%z")
        // pandas: pd.Timestamp("2013-01-01T10:00:00Z").value == 1357034400000000000
        #expect(parser.nanoseconds("2013-01-01T10:00:00Z") == 1_357_034_400_000_000_000)
        #expect(parser.nanoseconds("2013-01-01T12:00:00+02:00") == 1_357_034_400_000_000_000)
        #expect(parser.nanoseconds("2013-01-01T05:00:00-0500") == 1_357_034_400_000_000_000)
        #expect(parser.nanoseconds("2013-02-30T10:00:00Z") == nil)
        #expect(parser.nanoseconds("2013-01-01") == nil)
    }

    @Test func readsNamesFractionsAndShortYears() throws {
        #expect(try DateTimeParser(format: "%d %b %Y").nanoseconds("5 March 2024")
            == Double(DateTimeParser.daysFromCivil(year: 2024, month: 3, day: 5)) * 86_400e9)
        // Missing parts default as in strptime: 1900-01-01T00:00:00.
        let year1900 = Double(DateTimeParser.daysFromCivil(year: 1900, month: 1, day: 1)) * 86_400e9
        #expect(try DateTimeParser(format: "%S.%f").nanoseconds("01.5") == year1900 + 1.5e9)
        #expect(try DateTimeParser(format: "%y-%m").nanoseconds("69-01") == Double(-365 * 86_400) * 1e9)
        #expect(throws: EvaluationError.self) { try DateTimeParser(format: "%Q") }
    }

    @Test func civilDaysMatchTheCalendar() {
        #expect(DateTimeParser.daysFromCivil(year: 1970, month: 1, day: 1) == 0)
        #expect(DateTimeParser.daysFromCivil(year: 2000, month: 3, day: 1) == 11_017)
        #expect(DateTimeParser.daysFromCivil(year: 1969, month: 12, day: 31) == -1)
    }
}
