/// Byte-level recognizers for cell text: integers, decimals, booleans. (Not API.)
enum ValueSyntax {
    /// The pairs of spellings read as booleans, false first. `0`/`1` is not among them: such columns are integers.
    static let booleanPairs: [(false: String, true: String)] = [
        ("false", "true"), ("False", "True"), ("FALSE", "TRUE"),
        ("no", "yes"), ("No", "Yes"), ("NO", "YES"),
        ("n", "y"), ("N", "Y"),
        ("f", "t"), ("F", "T"),
    ]

    /// The known boolean pair made of exactly `a` and `b` (in either order), false first.
    static func booleanPair(_ a: String, _ b: String) -> [String]? {
        for pair in booleanPairs where (pair.false == a && pair.true == b) || (pair.false == b && pair.true == a) {
            return [pair.false, pair.true]
        }
        return nil
    }

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

    /// The shape of a decimal number.
    struct DecimalShape {
        /// Digits after the decimal point when written without an exponent (`1.5e-3` → 4), at most 20.
        var places: Int
        /// Whether it has a decimal point or an exponent (otherwise it is written like an integer).
        var hasPointOrExponent: Bool
    }

    /// Recognizes `[+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?` denoting a finite `Double`;
    /// nil for anything else (including `inf`, `nan`, hex and surrounding spaces).
    static func decimalShape(_ text: UnsafeBufferPointer<UInt8>) -> DecimalShape? {
        let count = text.count
        var i = 0
        if i < count, text[i] == UInt8(ascii: "+") || text[i] == UInt8(ascii: "-") { i += 1 }
        var integerDigits = 0
        while i < count && isDigit(text[i]) {
            integerDigits += 1
            i += 1
        }
        var fractionDigits = 0
        var hasPoint = false
        if i < count, text[i] == UInt8(ascii: ".") {
            hasPoint = true
            i += 1
            while i < count && isDigit(text[i]) {
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
            var isNegative = false
            if i < count, text[i] == UInt8(ascii: "+") || text[i] == UInt8(ascii: "-") {
                isNegative = text[i] == UInt8(ascii: "-")
                i += 1
            }
            var exponentDigits = 0
            while i < count && isDigit(text[i]) {
                if exponent < 100_000 { exponent = exponent * 10 + Int(text[i] &- UInt8(ascii: "0")) }
                exponentDigits += 1
                i += 1
            }
            guard exponentDigits > 0 else { return nil }
            if isNegative { exponent = -exponent }
        }
        guard i == count else { return nil }
        if hasExponent || integerDigits > 300 {
            // Only here can the value overflow to infinity.
            guard let value = Double(String(decoding: text, as: UTF8.self)), value.isFinite else { return nil }
        }
        let places = min(max(fractionDigits - exponent, 0), 20)
        return DecimalShape(places: places, hasPointOrExponent: hasPoint || hasExponent)
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
