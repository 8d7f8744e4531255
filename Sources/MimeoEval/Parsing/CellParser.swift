import MimeoData

/// Turns the cell text of a number or datetime column into a `Double`: NaN when the cell is
/// missing (`nil`) or does not parse. Numbers are read by `NumberSyntax`, the parser schema
/// inference and encoding use, so evaluation takes as numbers exactly the cells training did (not
/// ` 12 `, `0x28` or `inf`). Datetimes become nanoseconds since 1970-01-01 UTC, the scale pandas
/// gives SDMetrics.
///
/// A NaN from a present cell is an *unparseable* value (`isUnparseable`): the evaluators count it
/// and score it as a mismatch, rather than dropping it as SDMetrics' `to_numeric(errors="coerce")`
/// would (docs/metrics.md, "Unparseable values").
struct CellParser: Sendable {
    private let dateTimeFormat: DateTimeFormat?

    /// A parser for a column of `kind` (`format` for datetimes: a `DateTimeFormat` pattern such as
    /// `%Y-%m-%dT%H:%M:%SZ` or the referee's `%Y-%m-%dT%H:%M:%S%z`; default `%Y-%m-%dT%H:%M:%SZ`).
    ///
    /// - Throws: `EvaluationError.unsupportedDateTimeFormat` for a pattern `DateTimeFormat` rejects.
    init(kind: ColumnKind, format: String?) throws {
        guard kind == .datetime else {
            dateTimeFormat = nil
            return
        }
        let pattern = format ?? "%Y-%m-%dT%H:%M:%SZ"
        guard let dateTimeFormat = DateTimeFormat(pattern: pattern) else {
            throw EvaluationError.unsupportedDateTimeFormat(pattern)
        }
        self.dateTimeFormat = dateTimeFormat
    }

    /// Whether this parser reads datetimes.
    var isDateTime: Bool { dateTimeFormat != nil }

    /// Whether `cell`, whose `value(_:)` is `value`, is present but does not parse.
    @inline(__always)
    static func isUnparseable(_ cell: String?, value: Double) -> Bool {
        value.isNaN && cell != nil
    }

    /// The value of one cell; NaN for missing, unparseable or infinite values.
    @inline(__always)
    func value(_ cell: String?) -> Double {
        guard let text = cell else { return .nan }
        if let dateTimeFormat {
            // Outside pandas' nanosecond range (about 1677-2262) a datetime does not parse, as there.
            guard let parts = dateTimeFormat.parse(text) else { return .nan }
            let (nanoseconds, overflow) = parts.secondsSinceEpoch.multipliedReportingOverflow(by: 1_000_000_000)
            guard !overflow else { return .nan }
            return Double(nanoseconds + Int64(parts.nanosecond))
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
