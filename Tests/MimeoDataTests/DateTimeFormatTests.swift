import Testing

@testable import MimeoData

@Suite struct DateTimeFormatTests {
    private func format(_ pattern: String) throws -> DateTimeFormat {
        try #require(DateTimeFormat(pattern: pattern))
    }

    @Test func parsesAndFormatsISOInstants() throws {
        let iso = try format("%Y-%m-%dT%H:%M:%SZ")
        let parts = try #require(iso.parse("2013-01-01T10:00:00Z"))
        #expect(parts == DateTimeParts(year: 2013, month: 1, day: 1, hour: 10))
        #expect(iso.format(parts) == "2013-01-01T10:00:00Z")
        #expect(iso.parse("2014-01-01T04:05:06Z") == DateTimeParts(year: 2014, month: 1, day: 1, hour: 4, minute: 5,
                                                                    second: 6))
        #expect(iso.hasTime)
        #expect(iso.hasSeconds)
        #expect(iso.fractionDigits == 0)
        #expect(iso.pattern == "%Y-%m-%dT%H:%M:%SZ")
        #expect(iso.description == iso.pattern)
    }

    @Test func parsesSubstringsAndBytes() throws {
        let date = try format("%Y-%m-%d")
        let line = "x=2020-02-29;"
        #expect(date.parse(line.dropFirst(2).dropLast()) == DateTimeParts(year: 2020, month: 2, day: 29))
        let bytes = Array("1999-12-31".utf8)
        #expect(bytes.withUnsafeBufferPointer { date.parse(utf8: $0) } == DateTimeParts(year: 1999, month: 12, day: 31))
        #expect(!date.hasTime)
        #expect(!date.hasSeconds)
    }

    @Test func matchIsStrict() throws {
        let date = try format("%Y-%m-%d")
        for text in ["2013-1-01", "2013-01-1", "13-01-01", "2013-01-01 ", " 2013-01-01", "2013/01/01", "2013-01-01T00",
                     "", "2013-01-0a", "+2013-01-01", "２０１３-01-01"] {
            #expect(date.parse(text) == nil, "\(text)")
        }
    }

    @Test func rangesAreValidated() throws {
        let dateTime = try format("%Y-%m-%d %H:%M:%S")
        #expect(dateTime.parse("2013-02-28 23:59:59") != nil)
        #expect(dateTime.parse("2012-02-29 00:00:00") != nil)  // leap year
        #expect(dateTime.parse("2000-02-29 00:00:00") != nil)  // divisible by 400
        for text in ["2013-02-29 00:00:00", "1900-02-29 00:00:00", "2013-04-31 00:00:00", "2013-00-10 00:00:00",
                     "2013-13-10 00:00:00", "2013-01-00 00:00:00", "2013-01-32 00:00:00", "2013-01-01 24:00:00",
                     "2013-01-01 23:60:00", "2013-01-01 23:59:60"] {
            #expect(dateTime.parse(text) == nil, "\(text)")
        }
    }

    @Test func fractionalSeconds() throws {
        let variable = try format("%Y-%m-%dT%H:%M:%S.%fZ")
        #expect(variable.fractionDigits == 6)
        #expect(variable.parse("2020-05-06T07:08:09.5Z")?.nanosecond == 500_000_000)
        #expect(variable.parse("2020-05-06T07:08:09.123456789Z")?.nanosecond == 123_456_789)
        #expect(variable.parse("2020-05-06T07:08:09.1234567890Z") == nil)
        #expect(variable.parse("2020-05-06T07:08:09.Z") == nil)
        let parts = try #require(variable.parse("2020-05-06T07:08:09.25Z"))
        #expect(variable.format(parts) == "2020-05-06T07:08:09.250000Z")

        let millis = try format("%H:%M:%S.%3f")
        #expect(millis.fractionDigits == 3)
        #expect(millis.parse("01:02:03.045")?.nanosecond == 45_000_000)
        #expect(millis.parse("01:02:03.04") == nil)
        #expect(millis.parse("01:02:03.0456") == nil)
        #expect(millis.format(DateTimeParts(year: 1970, month: 1, day: 1, hour: 1, minute: 2, second: 3,
                                            nanosecond: 45_999_999)) == "01:02:03.045")
    }

    @Test func unpaddedMonthDayAndHour() throws {
        let us = try format("%-m/%-d/%Y %-H:%M")
        let parts = try #require(us.parse("1/5/2013 9:05"))
        #expect(parts == DateTimeParts(year: 2013, month: 1, day: 5, hour: 9, minute: 5))
        #expect(us.format(parts) == "1/5/2013 9:05")
        #expect(us.parse("12/31/2013 23:59") == DateTimeParts(year: 2013, month: 12, day: 31, hour: 23, minute: 59))
        #expect(us.parse("01/05/2013 09:05") == parts)  // padding is accepted when parsing
        #expect(us.parse("123/5/2013 9:05") == nil)
    }

    @Test func literalPercentAndOtherLiterals() throws {
        let odd = try format("%d.%m.%Y 100%%")
        #expect(odd.parse("31.12.1999 100%") == DateTimeParts(year: 1999, month: 12, day: 31))
        #expect(odd.format(DateTimeParts(year: 5, month: 1, day: 2)) == "02.01.0005 100%")
    }

    /// `%z` (the referee's `%Y-%m-%dT%H:%M:%S%z`): offsets are converted to UTC; `Z` is written back.
    @Test func offsetsAreConvertedToUTC() throws {
        let referee = try format("%Y-%m-%dT%H:%M:%S%z")
        let utc = DateTimeParts(year: 2013, month: 1, day: 1, hour: 10)
        // pandas: pd.Timestamp("2013-01-01T10:00:00Z").value == 1357034400000000000
        #expect(referee.parse("2013-01-01T10:00:00Z") == utc)
        #expect(referee.parse("2013-01-01T10:00:00Z")?.secondsSinceEpoch == 1_357_034_400)
        #expect(referee.parse("2013-01-01T12:00:00+02:00") == utc)
        #expect(referee.parse("2013-01-01T05:00:00-0500") == utc)
        #expect(referee.parse("2013-01-01T11:00:00+01") == utc)
        #expect(referee.parse("2013-01-01T01:30:00-08:30") == utc)
        #expect(referee.parse("2012-12-31T23:00:00-11:00") == utc, "the date moves with the offset")
        #expect(referee.format(utc) == "2013-01-01T10:00:00Z")
        let fraction = try format("%Y-%m-%dT%H:%M:%S.%f%z")
        #expect(fraction.parse("2013-01-01T12:00:00.25+02:00")
            == DateTimeParts(year: 2013, month: 1, day: 1, hour: 10, nanosecond: 250_000_000))
        for bad in ["2013-02-30T10:00:00Z", "2013-01-01", "2013-01-01T10:00:00", "2013-01-01T10:00:00+2",
                    "2013-01-01T10:00:00+24:00", "2013-01-01T10:00:00+01:60", "2013-01-01T10:00:00z",
                    "2013-01-01T10:00:00Z+01:00"] {
            #expect(referee.parse(bad) == nil, "\(bad)")
        }
    }

    @Test(arguments: ["%Q", "%", "%Y-%", "%-Y", "%-", "%0f", "%3"])
    func invalidPatternsAreRejected(pattern: String) {
        #expect(DateTimeFormat(pattern: pattern) == nil)
    }

    @Test func inferencePicksTheFirstCandidateThatParsesEverything() throws {
        #expect(DateTimeFormat.infer(from: ["2013-01-01T10:00:00Z", "2013-12-31T23:00:00Z"])?.pattern
            == "%Y-%m-%dT%H:%M:%SZ")
        #expect(DateTimeFormat.infer(from: ["2013-01-01", "2013-12-31"])?.pattern == "%Y-%m-%d")
        #expect(DateTimeFormat.infer(from: ["2013-01-01 10:00", "2013-12-31 23:59"])?.pattern == "%Y-%m-%d %H:%M")
        // Month-first wins when both orders parse every value…
        #expect(DateTimeFormat.infer(from: ["01/05/2013", "02/03/2013"])?.pattern == "%m/%d/%Y")
        // …and day-first is chosen when a value only parses that way.
        #expect(DateTimeFormat.infer(from: ["01/05/2013", "25/03/2013"])?.pattern == "%d/%m/%Y")
        #expect(DateTimeFormat.infer(from: ["1/5/2013", "12/25/2013"])?.pattern == "%-m/%-d/%Y")
        #expect(DateTimeFormat.infer(from: ["31.12.1999"])?.pattern == "%d.%m.%Y")
        #expect(DateTimeFormat.infer(from: ["2013-01-01", "x"]) == nil)
        #expect(DateTimeFormat.infer(from: ["2013-02-30"]) == nil)
        #expect(DateTimeFormat.infer(from: ["20130101", "20131231"]) == nil)
        #expect(DateTimeFormat.infer(from: [String]()) == nil)
    }

    @Test func inferenceKeepsTheFractionWidth() throws {
        #expect(DateTimeFormat.infer(from: ["2020-01-01 00:00:00.123", "2020-01-02 00:00:00.500"])?.pattern
            == "%Y-%m-%d %H:%M:%S.%3f")
        #expect(DateTimeFormat.infer(from: ["2020-01-01T00:00:00.1Z", "2020-01-02T00:00:00.123456Z"])?.pattern
            == "%Y-%m-%dT%H:%M:%S.%fZ")
    }

    @Test func everyCandidateRoundTrips() throws {
        let parts = DateTimeParts(year: 2024, month: 2, day: 29, hour: 13, minute: 7, second: 9,
                                  nanosecond: 120_000_000)
        for candidate in DateTimeFormat.candidates {
            let text = candidate.format(parts)
            let parsed = try #require(candidate.parse(text), "\(candidate.pattern) -> \(text)")
            #expect(candidate.format(parsed) == text)
        }
        #expect(DateTimeFormat.candidates.count >= 14)
    }
}
