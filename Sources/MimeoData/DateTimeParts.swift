/// A calendar date and wall-clock time, without a time zone (proleptic Gregorian calendar, treated as UTC).
///
/// ```swift
/// let parts = DateTimeParts(year: 2013, month: 1, day: 1, hour: 10)
/// parts.secondsSinceEpoch                                  // 1357034400
/// DateTimeParts(secondsSinceEpoch: 1357034400) == parts    // true
/// ```
public struct DateTimeParts: Sendable, Equatable, Hashable {
    /// The year (a `%Y` pattern reads 0000-9999).
    public var year: Int
    /// 1-12.
    public var month: Int
    /// 1-31, valid for the month.
    public var day: Int
    /// 0-23.
    public var hour: Int
    /// 0-59.
    public var minute: Int
    /// 0-59 (no leap seconds).
    public var second: Int
    /// 0-999,999,999.
    public var nanosecond: Int

    /// A date-time from its parts (not checked: see `isValid`).
    public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0,
                nanosecond: Int = 0) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
        self.nanosecond = nanosecond
    }

    /// The date-time `seconds` after 1970-01-01T00:00:00 (negative: before), with `nanosecond` 0.
    public init(secondsSinceEpoch seconds: Int64) {
        let (days, secondOfDay) = Self.floorDivide(seconds, 86_400)
        let (year, month, day) = Self.civilDate(daysSinceEpoch: days)
        self.init(year: year, month: month, day: day, hour: Int(secondOfDay / 3600),
                  minute: Int(secondOfDay % 3600 / 60), second: Int(secondOfDay % 60))
    }

    /// Whole seconds since 1970-01-01T00:00:00 (the nanoseconds are left out).
    public var secondsSinceEpoch: Int64 {
        Self.daysSinceEpoch(year: year, month: month, day: day) * 86_400
            + Int64(hour) * 3600 + Int64(minute) * 60 + Int64(second)
    }

    /// Whether every part is in its range (month 1-12, a day that exists in that month, hour 0-23, …).
    public var isValid: Bool {
        month >= 1 && month <= 12 && day >= 1 && day <= Self.daysInMonth(year: year, month: month)
            && hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 59
            && nanosecond >= 0 && nanosecond <= 999_999_999
    }

    /// Whether `year` is a leap year in the proleptic Gregorian calendar.
    public static func isLeapYear(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    /// The number of days in `month` (1-12) of `year`; 0 for a month outside 1-12.
    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 1, 3, 5, 7, 8, 10, 12: return 31
        case 4, 6, 9, 11: return 30
        case 2: return isLeapYear(year) ? 29 : 28
        default: return 0
        }
    }

    /// Days from 1970-01-01 to the given date (Howard Hinnant's `days_from_civil`).
    static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let m = Int64(month)
        let dayOfYear = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
    static func civilDate(daysSinceEpoch days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (Int(year), Int(month), Int(day))
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let remainder = value % divisor
        return remainder < 0 ? (value / divisor - 1, remainder + divisor) : (value / divisor, remainder)
    }
}
