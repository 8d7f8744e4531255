import MimeoTestSupport
import Foundation
import Testing

@testable import MimeoData

@Suite struct DateTimePartsTests {
    @Test func knownInstants() {
        #expect(DateTimeParts(year: 1970, month: 1, day: 1).secondsSinceEpoch == 0)
        #expect(DateTimeParts(year: 2013, month: 1, day: 1, hour: 10).secondsSinceEpoch == 1_357_034_400)
        #expect(DateTimeParts(year: 1969, month: 12, day: 31, hour: 23, minute: 59, second: 59).secondsSinceEpoch == -1)
        #expect(DateTimeParts(year: 2000, month: 3, day: 1).secondsSinceEpoch == 951_868_800)
        #expect(DateTimeParts(year: 1, month: 1, day: 1).secondsSinceEpoch == -62_135_596_800)
        #expect(DateTimeParts(secondsSinceEpoch: -1)
            == DateTimeParts(year: 1969, month: 12, day: 31, hour: 23, minute: 59, second: 59))
        #expect(DateTimeParts(secondsSinceEpoch: 1_357_034_400)
            == DateTimeParts(year: 2013, month: 1, day: 1, hour: 10))
    }

    @Test func agreesWithFoundationAndRoundTrips() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        var generator = SplitMix64(seed: 7)
        for _ in 0 ..< 2000 {
            let seconds = Int64(bitPattern: generator.next() % 20_000_000_000) - 10_000_000_000
            let parts = DateTimeParts(secondsSinceEpoch: seconds)
            #expect(parts.isValid)
            #expect(parts.secondsSinceEpoch == seconds)
            let components = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second],
                                                     from: Date(timeIntervalSince1970: TimeInterval(seconds)))
            #expect(components.year == parts.year && components.month == parts.month && components.day == parts.day
                && components.hour == parts.hour && components.minute == parts.minute
                && components.second == parts.second, "\(seconds)")
        }
    }

    @Test func daysInMonthAndLeapYears() {
        #expect(DateTimeParts.daysInMonth(year: 2013, month: 2) == 28)
        #expect(DateTimeParts.daysInMonth(year: 2012, month: 2) == 29)
        #expect(DateTimeParts.daysInMonth(year: 1900, month: 2) == 28)
        #expect(DateTimeParts.daysInMonth(year: 2000, month: 2) == 29)
        #expect(DateTimeParts.daysInMonth(year: 2013, month: 4) == 30)
        #expect(DateTimeParts.daysInMonth(year: 2013, month: 12) == 31)
        #expect(DateTimeParts.daysInMonth(year: 2013, month: 13) == 0)
        #expect(DateTimeParts.isLeapYear(2024))
        #expect(!DateTimeParts.isLeapYear(2100))
    }

    @Test func validity() {
        #expect(DateTimeParts(year: 2013, month: 2, day: 28, hour: 23, minute: 59, second: 59).isValid)
        #expect(!DateTimeParts(year: 2013, month: 2, day: 29).isValid)
        #expect(!DateTimeParts(year: 2013, month: 1, day: 1, hour: 24).isValid)
        #expect(!DateTimeParts(year: 2013, month: 1, day: 1, nanosecond: 1_000_000_000).isValid)
    }
}
