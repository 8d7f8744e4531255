extension ColumnSchema {
    /// Whether the non-missing cell text `value` fits this column's kind.
    ///
    /// ```swift
    /// ColumnSchema(name: "age", kind: .integer).accepts("39")      // true
    /// ColumnSchema(name: "age", kind: .integer).accepts("39.5")    // false
    /// ```
    ///
    /// - integer: an optional sign and digits, within 64-bit range;
    /// - decimal: a finite decimal number, exponent allowed (`-1.5`, `.5`, `2e-3`; not `inf`/`nan`);
    /// - boolean: one of `booleanValues`, or without them any known spelling (`true`/`false`, `yes`/`no`,
    ///   `y`/`n`, `t`/`f` in lower, title or upper case, and `0`/`1`);
    /// - datetime: text that `format` parses (without a format: any of `DateTimeFormat.candidates`);
    /// - categorical, identifier, text: anything.
    public func accepts(_ value: String) -> Bool {
        guard let validator = ColumnValidator(self) else { return false }
        return value.withUTF8Bytes { validator.accepts($0) }
    }

    /// What a valid value looks like, for error messages (`"an integer"`, `"'no' or 'yes'"`, …).
    public var expectedValueDescription: String {
        switch kind {
        case .integer: return "an integer (an optional sign, then digits)"
        case .decimal: return "a decimal number (such as -1.25 or 2e-3)"
        case .boolean:
            if let values = booleanValues, values.count == 2 { return "'\(values[0])' or '\(values[1])'" }
            return "a boolean (true/false, yes/no, y/n, t/f or 0/1)"
        case .datetime:
            if let format { return "a date-time in the format \(format)" }
            return "a date-time (such as 2013-01-31 or 2013-01-31T10:00:00Z)"
        case .categorical: return "a category"
        case .identifier: return "an identifier"
        case .text: return "text"
        }
    }
}

/// A column's value check, compiled once for fast use on every cell. (Not API.)
struct ColumnValidator {
    let kind: ColumnKind
    let format: DateTimeFormat?
    let booleanValues: [[UInt8]]?

    /// Compiles the check; nil when the column's `format` is not a valid `DateTimeFormat` pattern.
    init?(_ column: ColumnSchema) {
        kind = column.kind
        if column.kind == .datetime, let pattern = column.format {
            guard let format = DateTimeFormat(pattern: pattern) else { return nil }
            self.format = format
        } else {
            format = nil
        }
        if column.kind == .boolean, let values = column.booleanValues, !values.isEmpty {
            booleanValues = values.map { Array($0.utf8) }
        } else {
            booleanValues = nil
        }
    }

    /// Whether every value is valid without a check (the string kinds).
    var acceptsAnything: Bool {
        kind == .categorical || kind == .identifier || kind == .text
    }

    func accepts(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        switch kind {
        case .integer:
            return ValueSyntax.isInteger(text)
        case .decimal:
            return NumberSyntax.number(utf8: text) != nil
        case .boolean:
            if let booleanValues {
                return booleanValues.contains { $0.elementsEqual(text) }
            }
            return ValueSyntax.isBooleanSpelling(String(decoding: text, as: UTF8.self))
        case .datetime:
            if let format { return format.parse(utf8: text) != nil }
            return DateTimeFormat.candidates.contains { $0.parse(utf8: text) != nil }
        case .categorical, .identifier, .text:
            return true
        }
    }
}
