/// Parses datetimes laid out by a strptime-style pattern into nanoseconds since
/// 1970-01-01T00:00:00Z. (Not API: the fallback for patterns MimeoData's `DateTimeFormat` does not
/// read, such as the referee's `%Y-%m-%dT%H:%M:%S%z`.)
///
/// Directives: `%Y` (4 digits), `%y` (2 digits, 1969-2068 as Python), `%m %d %H %M %S` (1-2
/// digits), `%f` (1-9 fraction digits), `%b %B` (English month names), `%z` (`Z`, `±HH:MM`,
/// `±HHMM`; the value is converted to UTC), `%%`, and literal characters. A value without an
/// offset is taken as it is (pandas' naive datetimes).
struct DateTimeParser: Sendable {
    private enum Token: Sendable, Equatable {
        case literal(UInt8)
        case year4, year2, month, day, hour, minute, second, fraction, monthName, offset
    }

    private let tokens: [Token]

    init(format: String) throws {
        var tokens: [Token] = []
        var bytes = Array(format.utf8)[...]
        while let c = bytes.popFirst() {
            guard c == UInt8(ascii: "%") else {
                tokens.append(.literal(c))
                continue
            }
            guard let d = bytes.popFirst() else { throw EvaluationError.unsupportedDateTimeFormat(format) }
            switch d {
            case UInt8(ascii: "Y"): tokens.append(.year4)
            case UInt8(ascii: "y"): tokens.append(.year2)
            case UInt8(ascii: "m"): tokens.append(.month)
            case UInt8(ascii: "d"): tokens.append(.day)
            case UInt8(ascii: "H"): tokens.append(.hour)
            case UInt8(ascii: "M"): tokens.append(.minute)
            case UInt8(ascii: "S"): tokens.append(.second)
            case UInt8(ascii: "f"): tokens.append(.fraction)
            case UInt8(ascii: "b"), UInt8(ascii: "B"): tokens.append(.monthName)
            case UInt8(ascii: "z"): tokens.append(.offset)
            case UInt8(ascii: "%"): tokens.append(.literal(c))
            default: throw EvaluationError.unsupportedDateTimeFormat(format)
            }
        }
        self.tokens = tokens
    }

    /// Nanoseconds since the epoch as a `Double` (pandas' int64 nanoseconds, converted), or `nil`.
    func nanoseconds(_ text: String) -> Double? {
        var copy = text
        return copy.withUTF8 { parse($0) }.map { Double($0) }
    }

    private static let monthNames: [[UInt8]] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ].map { Array($0.utf8) }

    private func parse(_ s: UnsafeBufferPointer<UInt8>) -> Int64? {
        var i = 0
        var year = 1900, month = 1, day = 1, hour = 0, minute = 0, second = 0
        var nanos: Int64 = 0, offsetSeconds = 0

        func digits(min: Int, max: Int) -> Int? {
            var value = 0, n = 0
            while n < max, i < s.count, s[i] >= 48, s[i] <= 57 {
                value = value * 10 + Int(s[i] - 48)
                i += 1
                n += 1
            }
            return n >= min ? value : nil
        }

        for token in tokens {
            switch token {
            case .literal(let c):
                guard i < s.count, s[i] == c else { return nil }
                i += 1
            case .year4: guard let v = digits(min: 4, max: 4) else { return nil }; year = v
            case .year2: guard let v = digits(min: 2, max: 2) else { return nil }; year = v < 69 ? 2000 + v : 1900 + v
            case .month: guard let v = digits(min: 1, max: 2), (1 ... 12).contains(v) else { return nil }; month = v
            case .day: guard let v = digits(min: 1, max: 2), (1 ... 31).contains(v) else { return nil }; day = v
            case .hour: guard let v = digits(min: 1, max: 2), v < 24 else { return nil }; hour = v
            case .minute: guard let v = digits(min: 1, max: 2), v < 60 else { return nil }; minute = v
            case .second: guard let v = digits(min: 1, max: 2), v < 62 else { return nil }; second = v
            case .fraction:
                let start = i
                guard let v = digits(min: 1, max: 9) else { return nil }
                var scaled = Int64(v)
                for _ in 0 ..< (9 - (i - start)) { scaled *= 10 }
                nanos = scaled
            case .monthName:
                var found: Int?
                for (m, name) in Self.monthNames.enumerated() where i + 3 <= s.count {
                    if (0 ..< 3).allSatisfy({ s[i + $0] | 0x20 == name[$0] }) { found = m + 1; break }
                }
                guard let m = found else { return nil }
                i += 3
                while i < s.count, (s[i] | 0x20) >= 97, (s[i] | 0x20) <= 122 { i += 1 }  // full name
                month = m
            case .offset:
                guard i < s.count else { return nil }
                if s[i] == UInt8(ascii: "Z") {
                    i += 1
                    continue
                }
                guard s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-") else { return nil }
                let sign = s[i] == UInt8(ascii: "-") ? -1 : 1
                i += 1
                guard let h = digits(min: 2, max: 2) else { return nil }
                if i < s.count, s[i] == UInt8(ascii: ":") { i += 1 }
                let m = digits(min: 2, max: 2) ?? 0
                offsetSeconds = sign * (h * 3600 + m * 60)
            }
        }
        guard i == s.count else { return nil }
        guard day <= Self.daysInMonth(year: year, month: month) else { return nil }
        let days = Self.daysFromCivil(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second - offsetSeconds)
        let (ns, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return nil }
        return ns + nanos
    }

    private static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
