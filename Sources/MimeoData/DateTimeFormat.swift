/// A date-time layout such as `%Y-%m-%dT%H:%M:%SZ`, parsed and formatted byte by byte.
///
/// ```swift
/// let format = DateTimeFormat(pattern: "%Y-%m-%dT%H:%M:%SZ")!
/// let parts = format.parse("2013-01-01T10:00:00Z")     // DateTimeParts(year: 2013, …, hour: 10)
/// format.format(parts!)                                // "2013-01-01T10:00:00Z"
/// ```
///
/// Directives:
/// - `%Y`: a 4-digit year (`0000`-`9999`).
/// - `%m`, `%d`, `%H`, `%M`, `%S`: 2-digit, zero-padded month, day, hour (00-23), minute, second (00-59).
/// - `%-m`, `%-d`, `%-H`: month, day, hour without padding: 1 or 2 digits when parsing, no padding when formatting.
/// - `%f`: fractional-second digits, 1 to 9 when parsing; formatted with 6 digits (as Python's `%f`).
/// - `%1f` … `%9f`: exactly that many fractional-second digits, when parsing and formatting.
/// - `%z`: a UTC offset (`Z`, `±HH:MM`, `±HHMM` or `±HH`) when parsing: the value is converted to UTC
///   (so `DateTimeParts` stay zone-free); formatted as `Z`.
/// - `%%`: a literal `%`.
/// Every other character is a literal that must match exactly (`T`, `Z`, `-`, `/`, ` `, `:`, `.`).
///
/// Parsing is strict: the whole text must match, and the result must be a valid date-time
/// (month 1-12, a day that exists in that month including leap years, hour 0-23, minute and second 0-59).
/// Parts the pattern lacks default to 1970-01-01 00:00:00.
public struct DateTimeFormat: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// One piece of a pattern.
    enum Token: Sendable, Equatable, Hashable {
        case literal(UInt8)
        case year
        case month(isPadded: Bool)
        case day(isPadded: Bool)
        case hour(isPadded: Bool)
        case minute
        case second
        /// Fractional seconds: exactly `width` digits, or 1-9 digits when nil.
        case fraction(width: Int?)
        /// A UTC offset (`%z`).
        case offset
    }

    /// The pattern text, as given.
    public let pattern: String
    let tokens: [Token]
    /// Whether the pattern has a variable-width `%f`.
    let hasVariableFraction: Bool

    /// Compiles `pattern`; nil if it has an unknown `%` directive or ends with a lone `%`.
    public init?(pattern: String) {
        var tokens: [Token] = []
        let bytes = Array(pattern.utf8)
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            guard byte == UInt8(ascii: "%") else {
                tokens.append(.literal(byte))
                i += 1
                continue
            }
            guard i + 1 < bytes.count else { return nil }
            var directive = bytes[i + 1]
            i += 2
            if directive == UInt8(ascii: "-") {
                guard i < bytes.count else { return nil }
                directive = bytes[i]
                i += 1
                switch directive {
                case UInt8(ascii: "m"): tokens.append(.month(isPadded: false))
                case UInt8(ascii: "d"): tokens.append(.day(isPadded: false))
                case UInt8(ascii: "H"): tokens.append(.hour(isPadded: false))
                default: return nil
                }
                continue
            }
            switch directive {
            case UInt8(ascii: "Y"): tokens.append(.year)
            case UInt8(ascii: "m"): tokens.append(.month(isPadded: true))
            case UInt8(ascii: "d"): tokens.append(.day(isPadded: true))
            case UInt8(ascii: "H"): tokens.append(.hour(isPadded: true))
            case UInt8(ascii: "M"): tokens.append(.minute)
            case UInt8(ascii: "S"): tokens.append(.second)
            case UInt8(ascii: "f"): tokens.append(.fraction(width: nil))
            case UInt8(ascii: "z"): tokens.append(.offset)
            case UInt8(ascii: "1") ... UInt8(ascii: "9"):
                guard i < bytes.count, bytes[i] == UInt8(ascii: "f") else { return nil }
                i += 1
                tokens.append(.fraction(width: Int(directive - UInt8(ascii: "0"))))
            case UInt8(ascii: "%"): tokens.append(.literal(UInt8(ascii: "%")))
            default: return nil
            }
        }
        self.pattern = pattern
        self.tokens = tokens
        hasVariableFraction = tokens.contains(.fraction(width: nil))
    }

    /// The pattern.
    public var description: String { pattern }

    /// Whether the pattern has a time of day (an hour).
    public var hasTime: Bool {
        tokens.contains { if case .hour = $0 { return true } else { return false } }
    }

    /// Whether the pattern has seconds.
    public var hasSeconds: Bool { tokens.contains(.second) }

    /// The number of fractional-second digits `format` writes: 0 without `%f`, 6 for `%f`, N for `%Nf`.
    public var fractionDigits: Int {
        for token in tokens {
            if case .fraction(let width) = token { return width ?? 6 }
        }
        return 0
    }


    /// The same pattern with a variable-width `%f` replaced by `%Nf`.
    func fixingFractionWidth(_ width: Int) -> DateTimeFormat {
        guard hasVariableFraction, (1 ... 9).contains(width) else { return self }
        var bytes: [UInt8] = []
        for token in tokens {
            let text: String
            switch token {
            case .literal(let byte):
                if byte == UInt8(ascii: "%") { bytes.append(byte) }
                bytes.append(byte)
                continue
            case .year: text = "%Y"
            case .month(let isPadded): text = isPadded ? "%m" : "%-m"
            case .day(let isPadded): text = isPadded ? "%d" : "%-d"
            case .hour(let isPadded): text = isPadded ? "%H" : "%-H"
            case .minute: text = "%M"
            case .second: text = "%S"
            case .fraction(let fixed): text = "%\(fixed ?? width)f"
            case .offset: text = "%z"
            }
            bytes.append(contentsOf: text.utf8)
        }
        let pattern = String(decoding: bytes, as: UTF8.self)
        return DateTimeFormat(pattern: pattern) ?? self
    }

    // MARK: - Parsing

    /// The date-time in `text`, or nil when `text` does not match the pattern or is not a valid date-time.
    public func parse(_ text: String) -> DateTimeParts? {
        var text = text
        return text.withUTF8 { parse(utf8: $0) }
    }

    /// The date-time in `text`, or nil when `text` does not match the pattern or is not a valid date-time.
    public func parse(_ text: Substring) -> DateTimeParts? {
        var text = text
        return text.withUTF8 { parse(utf8: $0) }
    }

    /// The date-time in the UTF-8 bytes `text`, or nil when they do not match or are not a valid date-time.
    public func parse(utf8 text: UnsafeBufferPointer<UInt8>) -> DateTimeParts? {
        parseCountingFraction(utf8: text)?.parts
    }

    /// Parses `text`, also returning how many fractional-second digits it had.
    func parseCountingFraction(utf8 text: UnsafeBufferPointer<UInt8>) -> (parts: DateTimeParts, fractionDigits: Int)? {
        let count = text.count
        var i = 0
        var year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0, nanosecond = 0
        var fractionDigits = 0
        var offsetSeconds = 0

        /// Reads between `minimum` and `maximum` digits at `i`.
        @inline(__always)
        func digits(_ minimum: Int, _ maximum: Int) -> Int? {
            var value = 0
            var read = 0
            while read < maximum && i < count {
                let digit = text[i] &- UInt8(ascii: "0")
                guard digit < 10 else { break }
                value = value * 10 + Int(digit)
                read += 1
                i += 1
            }
            return read >= minimum ? value : nil
        }

        for token in tokens {
            switch token {
            case .literal(let byte):
                guard i < count, text[i] == byte else { return nil }
                i += 1
            case .year:
                guard let value = digits(4, 4) else { return nil }
                year = value
            case .month(let isPadded):
                guard let value = isPadded ? digits(2, 2) : digits(1, 2) else { return nil }
                month = value
            case .day(let isPadded):
                guard let value = isPadded ? digits(2, 2) : digits(1, 2) else { return nil }
                day = value
            case .hour(let isPadded):
                guard let value = isPadded ? digits(2, 2) : digits(1, 2) else { return nil }
                hour = value
            case .minute:
                guard let value = digits(2, 2) else { return nil }
                minute = value
            case .second:
                guard let value = digits(2, 2) else { return nil }
                second = value
            case .fraction(let width):
                let start = i
                guard let value = digits(width ?? 1, width ?? 9) else { return nil }
                let read = i - start
                // More digits than allowed is a mismatch, not a truncation.
                if i < count, text[i] &- UInt8(ascii: "0") < 10 { return nil }
                var scaled = value
                for _ in read ..< 9 { scaled *= 10 }
                nanosecond = scaled
                fractionDigits = read
            case .offset:
                guard i < count else { return nil }
                if text[i] == UInt8(ascii: "Z") {
                    i += 1
                    continue
                }
                guard text[i] == UInt8(ascii: "+") || text[i] == UInt8(ascii: "-") else { return nil }
                let sign = text[i] == UInt8(ascii: "-") ? -1 : 1
                i += 1
                guard let hours = digits(2, 2), hours <= 23 else { return nil }
                if i < count, text[i] == UInt8(ascii: ":") { i += 1 }
                let minutes = digits(2, 2) ?? 0
                guard minutes <= 59 else { return nil }
                offsetSeconds = sign * (hours * 3600 + minutes * 60)
            }
        }
        guard i == count else { return nil }
        var parts = DateTimeParts(year: year, month: month, day: day, hour: hour, minute: minute, second: second,
                                  nanosecond: nanosecond)
        guard parts.isValid else { return nil }
        if offsetSeconds != 0 {
            parts = DateTimeParts(secondsSinceEpoch: parts.secondsSinceEpoch - Int64(offsetSeconds))
            parts.nanosecond = nanosecond
        }
        return (parts, fractionDigits)
    }

    // MARK: - Formatting

    /// `parts` written in this layout.
    public func format(_ parts: DateTimeParts) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(tokens.count + 8)

        func append(_ value: Int, width: Int) {
            if value < 0 { bytes.append(UInt8(ascii: "-")) }
            var digits: [UInt8] = []
            var rest = value.magnitude
            repeat {
                digits.append(UInt8(ascii: "0") + UInt8(rest % 10))
                rest /= 10
            } while rest > 0
            for _ in digits.count ..< max(width, digits.count) { bytes.append(UInt8(ascii: "0")) }
            bytes.append(contentsOf: digits.reversed())
        }

        for token in tokens {
            switch token {
            case .literal(let byte): bytes.append(byte)
            case .year: append(parts.year, width: 4)
            case .month(let isPadded): append(parts.month, width: isPadded ? 2 : 1)
            case .day(let isPadded): append(parts.day, width: isPadded ? 2 : 1)
            case .hour(let isPadded): append(parts.hour, width: isPadded ? 2 : 1)
            case .minute: append(parts.minute, width: 2)
            case .second: append(parts.second, width: 2)
            case .fraction(let width):
                let digits = width ?? 6
                var divisor = 1
                for _ in digits ..< 9 { divisor *= 10 }
                append(min(max(parts.nanosecond, 0), 999_999_999) / divisor, width: digits)
            case .offset: bytes.append(UInt8(ascii: "Z"))
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: - Candidates

    /// The layouts schema inference tries, in order of preference (month-first before day-first).
    public static let candidates: [DateTimeFormat] = [
        "%Y-%m-%d",
        "%Y-%m-%dT%H:%M:%SZ",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S.%fZ",
        "%Y-%m-%dT%H:%M:%S.%f",
        "%Y-%m-%d %H:%M:%S.%f",
        "%Y-%m-%dT%H:%MZ",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%Y/%m/%d",
        "%Y/%m/%d %H:%M:%S",
        "%m/%d/%Y",
        "%d/%m/%Y",
        "%-m/%-d/%Y",
        "%-d/%-m/%Y",
        "%d.%m.%Y",
        "%m/%d/%Y %H:%M",
        "%d/%m/%Y %H:%M",
        "%-m/%-d/%Y %-H:%M",
        "%-d/%-m/%Y %-H:%M",
        "%m/%d/%Y %H:%M:%S",
        "%d/%m/%Y %H:%M:%S",
        "%-m/%-d/%Y %-H:%M:%S",
        "%-d/%-m/%Y %-H:%M:%S",
    ].compactMap { DateTimeFormat(pattern: $0) }

    /// The first candidate layout that parses every value, with `%f` fixed to `%Nf` when all values have
    /// N fractional digits; nil when none does or `values` is empty.
    ///
    /// - Parameter values: Non-missing cell texts.
    public static func infer<Values: Sequence<String>>(from values: Values) -> DateTimeFormat? {
        var remaining = candidates
        var fractionWidth: [Int?] = Array(repeating: nil, count: remaining.count)
        var sawValue = false
        for value in values {
            sawValue = true
            var text = value
            text.withUTF8 { utf8 in
                var index = 0
                while index < remaining.count {
                    if let parsed = remaining[index].parseCountingFraction(utf8: utf8) {
                        if remaining[index].hasVariableFraction {
                            // -1 marks mixed widths.
                            let width = fractionWidth[index]
                            if width == nil { fractionWidth[index] = parsed.fractionDigits }
                            else if width != parsed.fractionDigits { fractionWidth[index] = -1 }
                        }
                        index += 1
                    } else {
                        remaining.remove(at: index)
                        fractionWidth.remove(at: index)
                    }
                }
            }
            if remaining.isEmpty { return nil }
        }
        guard sawValue, let best = remaining.first else { return nil }
        if let width = fractionWidth[0], width > 0 { return best.fixingFractionWidth(width) }
        return best
    }
}
