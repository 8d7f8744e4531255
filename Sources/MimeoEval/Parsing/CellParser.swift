import MimeoData

/// Turns the cell text of a number or datetime column into a `Double`, NaN when the cell is
/// missing or does not parse (the referee coerces such cells to missing, as pandas
/// `to_numeric(errors="coerce")` does). Datetimes become nanoseconds since 1970-01-01 UTC, the
/// scale pandas gives SDMetrics.
struct CellParser: Sendable {
    private let dateTimeFormat: DateTimeFormat?
    private let dateTime: DateTimeParser?

    /// A parser for a column of `kind` (`format` for datetimes: a `DateTimeFormat` pattern, or a
    /// strptime-style one with `%z`, `%b`, `%y`, such as the referee's
    /// `%Y-%m-%dT%H:%M:%S%z`).
    init(kind: ColumnKind, format: String?) throws {
        guard kind == .datetime else {
            dateTimeFormat = nil
            dateTime = nil
            return
        }
        let pattern = format ?? "%Y-%m-%dT%H:%M:%SZ"
        dateTimeFormat = DateTimeFormat(pattern: pattern)
        dateTime = dateTimeFormat == nil ? try DateTimeParser(format: pattern) : nil
    }

    /// Whether this parser reads datetimes.
    var isDateTime: Bool { dateTimeFormat != nil || dateTime != nil }

    /// The value of one cell; NaN for missing, unparseable or infinite values.
    @inline(__always)
    func value(_ cell: String?) -> Double {
        guard var text = cell else { return .nan }
        if let dateTimeFormat {
            guard let parts = dateTimeFormat.parse(text) else { return .nan }
            return Double(parts.secondsSinceEpoch * 1_000_000_000 + Int64(parts.nanosecond))
        }
        if let dateTime {
            return dateTime.nanoseconds(text) ?? .nan
        }
        if let fast = text.utf8.withContiguousStorageIfAvailable(Self.integer) {
            if let fast { return fast }
        }
        var parsed = Double(text)
        if parsed == nil {
            text = text.trimmingSpaces
            parsed = Double(text)
        }
        guard let v = parsed, v.isFinite else { return .nan }
        return v
    }

    /// A plain decimal integer of at most 15 digits (exact in a `Double`), else `nil`.
    @inline(__always)
    static func integer(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        var i = 0
        var negative = false
        if bytes.count > 0, bytes[0] == UInt8(ascii: "-") || bytes[0] == UInt8(ascii: "+") {
            negative = bytes[0] == UInt8(ascii: "-")
            i = 1
        }
        let digits = bytes.count - i
        guard digits > 0, digits <= 15 else { return nil }
        var value = 0
        while i < bytes.count {
            let d = Int(bytes[i]) &- 48
            guard d >= 0, d <= 9 else { return nil }
            value = value &* 10 &+ d
            i += 1
        }
        return Double(negative ? -value : value)
    }
}

extension String {
    /// The text without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" { s.removeLast() }
        return String(s)
    }
}
