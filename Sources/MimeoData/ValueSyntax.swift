/// Byte-level recognizers for cell text: integers, decimals, booleans. (Not API.)
enum ValueSyntax {
    /// The pairs of spellings read as booleans, false first. `0`/`1` is not among them: such columns are integers.
    static let booleanPairs: [(false: String, true: String)] = [
        ("false", "true"), ("False", "True"), ("FALSE", "TRUE"),
        ("no", "yes"), ("No", "Yes"), ("NO", "YES"),
        ("n", "y"), ("N", "Y"),
        ("f", "t"), ("F", "T"),
    ]

    /// Whether `text` is a boolean spelling from a known pair, or `0`/`1`.
    static func isBooleanSpelling(_ text: String) -> Bool {
        text == "0" || text == "1" || booleanPairs.contains { $0.false == text || $0.true == text }
    }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    /// Whether `text` is an optional sign followed by digits, within the range of a 64-bit integer.
    static func isInteger(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        integerMagnitude(text) != nil
    }

    /// Whether `text` is an integer written with a redundant leading zero (`007`, `-01`).
    static func hasLeadingZero(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        if i < text.count, text[i] == UInt8(ascii: "+") || text[i] == UInt8(ascii: "-") { i += 1 }
        return text.count - i > 1 && text[i] == UInt8(ascii: "0")
    }

    /// Parses an integer's magnitude, checking it fits in `Int64` with its sign.
    private static func integerMagnitude(_ text: UnsafeBufferPointer<UInt8>) -> UInt64? {
        var i = 0
        var isNegative = false
        if i < text.count, text[i] == UInt8(ascii: "+") || text[i] == UInt8(ascii: "-") {
            isNegative = text[i] == UInt8(ascii: "-")
            i += 1
        }
        guard i < text.count else { return nil }
        var magnitude: UInt64 = 0
        while i < text.count {
            let digit = text[i] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(digit))
            guard !overflow1, !overflow2 else { return nil }
            magnitude = sum
            i += 1
        }
        let limit = UInt64(Int64.max) + (isNegative ? 1 : 0)
        return magnitude <= limit ? magnitude : nil
    }
}

/// The one number parser of Mimeo: what schema inference calls a number is exactly what encoding,
/// `--where` and evaluation parse.
///
/// ```swift
/// NumberSyntax.parse("-1.25e2")        // -125.0
/// NumberSyntax.parse("0x28")           // nil
/// NumberSyntax.parse("40", kind: .integer)   // 40.0
/// NumberSyntax.parse("40.5", kind: .integer) // nil
/// ```
///
/// A number is `[+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?` and must denote a finite
/// `Double`. Nothing else is one: no surrounding spaces, no hexadecimal (`0x28`), no `inf`, `nan`,
/// `infinity`, no digit separators, no locale's decimal comma. An integer (for integer columns) is an
/// optional sign and digits within the range of `Int64`.
public enum NumberSyntax {
    /// A parsed number and how it was written.
    public struct Number: Sendable, Equatable {
        /// The value, correctly rounded to the nearest `Double`.
        public var value: Double
        /// Digits after the decimal point when written without an exponent (`1.5e-3` → 4), at most 20.
        public var places: Int
        /// Whether it has neither a decimal point nor an exponent (`-12`, `007`; any number of digits).
        public var isWrittenAsInteger: Bool
    }

    /// The number `text` denotes; nil when `text` is not a number in the syntax above.
    public static func parse(_ text: String) -> Double? {
        text.withUTF8Bytes { number(utf8: $0)?.value }
    }

    /// The number the UTF-8 bytes `text` denote; nil when they are not a number.
    public static func parse(utf8 text: UnsafeBufferPointer<UInt8>) -> Double? {
        number(utf8: text)?.value
    }

    /// The value of a cell of a column of `kind`: for `.integer`, an optional sign and digits within
    /// `Int64`; for every other kind, any number. Nil when `text` is not one.
    public static func parse(_ text: String, kind: ColumnKind) -> Double? {
        text.withUTF8Bytes { bytes in
            if kind == .integer && !ValueSyntax.isInteger(bytes) { return nil }
            return number(utf8: bytes)?.value
        }
    }

    /// Parses `text`, keeping how it was written (see `Number`).
    public static func number(_ text: String) -> Number? {
        text.withUTF8Bytes { number(utf8: $0) }
    }

    /// Parses the UTF-8 bytes `text`, keeping how they were written; nil when they are not a number.
    public static func number(utf8 text: UnsafeBufferPointer<UInt8>) -> Number? {
        let count = text.count
        var i = 0
        var isNegative = false
        if i < count, text[i] == UInt8(ascii: "+") || text[i] == UInt8(ascii: "-") {
            isNegative = text[i] == UInt8(ascii: "-")
            i += 1
        }
        // The digits as one integer mantissa while it has at most 15 significant digits (exact in a Double).
        var mantissa: UInt64 = 0
        var significantDigits = 0
        var integerDigits = 0
        while i < count && ValueSyntax.isDigit(text[i]) {
            let digit = text[i] &- UInt8(ascii: "0")
            if significantDigits > 0 || digit != 0 { significantDigits += 1 }
            if significantDigits <= 15 { mantissa = mantissa &* 10 &+ UInt64(digit) }
            integerDigits += 1
            i += 1
        }
        var fractionDigits = 0
        var hasPoint = false
        if i < count, text[i] == UInt8(ascii: ".") {
            hasPoint = true
            i += 1
            while i < count && ValueSyntax.isDigit(text[i]) {
                let digit = text[i] &- UInt8(ascii: "0")
                if significantDigits > 0 || digit != 0 { significantDigits += 1 }
                if significantDigits <= 15 { mantissa = mantissa &* 10 &+ UInt64(digit) }
                fractionDigits += 1
                i += 1
            }
        }
        guard integerDigits + fractionDigits > 0 else { return nil }
        var exponent = 0
        var hasExponent = false
        if i < count, text[i] == UInt8(ascii: "e") || text[i] == UInt8(ascii: "E") {
            hasExponent = true
            i += 1
            var isNegativeExponent = false
            if i < count, text[i] == UInt8(ascii: "+") || text[i] == UInt8(ascii: "-") {
                isNegativeExponent = text[i] == UInt8(ascii: "-")
                i += 1
            }
            var exponentDigits = 0
            while i < count && ValueSyntax.isDigit(text[i]) {
                if exponent < 100_000 { exponent = exponent * 10 + Int(text[i] &- UInt8(ascii: "0")) }
                exponentDigits += 1
                i += 1
            }
            guard exponentDigits > 0 else { return nil }
            if isNegativeExponent { exponent = -exponent }
        }
        guard i == count else { return nil }
        let value: Double
        let scale = exponent - fractionDigits
        if significantDigits <= 15 && abs(scale) <= 22 {
            // Both operands are exact, so one IEEE multiplication or division rounds correctly.
            let exact = isNegative ? -Double(mantissa) : Double(mantissa)
            value = scale >= 0 ? exact * exactPowersOfTen[scale] : exact / exactPowersOfTen[-scale]
        } else {
            // The sign is part of the text here.
            guard let parsed = Double(String(decoding: text, as: UTF8.self)) else { return nil }
            value = parsed
        }
        guard value.isFinite else { return nil }
        let places = min(max(fractionDigits - exponent, 0), 20)
        return Number(value: value, places: places,
                      isWrittenAsInteger: !hasPoint && !hasExponent)
    }

    /// 10^0 … 10^22, each exact in a `Double`.
    private static let exactPowersOfTen: [Double] = (0...22).map { power in
        var value = 1.0
        for _ in 0..<power { value *= 10 }
        return value
    }
}

extension String {
    /// Calls `body` with the string's UTF-8 bytes, copying only if the string is not stored contiguously.
    @inline(__always)
    func withUTF8Bytes<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        if let result = try utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = self
        return try copy.withUTF8(body)
    }
}
