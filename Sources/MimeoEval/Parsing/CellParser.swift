import MimeoData

/// Turns the cell text of a number or datetime column into a `Double`, NaN when the cell is
/// missing or does not parse (the referee coerces such cells to missing, as pandas
/// `to_numeric(errors="coerce")` does). Numbers are read by `NumberSyntax`, the parser schema
/// inference and encoding use, so evaluation takes as numbers exactly the cells training did (not
/// ` 12 `, `0x28` or `inf`). Datetimes become nanoseconds since 1970-01-01 UTC, the scale pandas
/// gives SDMetrics.
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
        guard let text = cell else { return .nan }
        if let dateTimeFormat {
            guard let parts = dateTimeFormat.parse(text) else { return .nan }
            return Double(parts.secondsSinceEpoch * 1_000_000_000 + Int64(parts.nanosecond))
        }
        if let dateTime {
            return dateTime.nanoseconds(text) ?? .nan
        }
        return NumberSyntax.parse(text) ?? .nan
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
