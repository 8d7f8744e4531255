import MimeoData

/// How one Mimeo column is stored in Parquet: physical type and logical annotation, chosen from its kind.
///
/// | Mimeo kind | Parquet |
/// |---|---|
/// | integer | INT64, INTEGER(64, signed) |
/// | decimal with `decimals` 0-17 | INT64, DECIMAL(18, decimals) |
/// | decimal otherwise | DOUBLE |
/// | boolean | BOOLEAN |
/// | datetime without a time of day | INT32, DATE |
/// | datetime with a time of day | INT64, TIMESTAMP(unit from the fraction digits, UTC when the format has `%z`) |
/// | categorical, identifier, text | BYTE_ARRAY, STRING |
public enum ParquetColumnType: Sendable, Equatable {
    case int64
    case decimal(scale: Int)
    case double
    case boolean
    case date
    case timestamp(unit: TimeUnit, isAdjustedToUTC: Bool)
    case string

    /// The largest decimal precision kept in an INT64.
    public static let decimalPrecision = 18

    /// The storage of a column of `schema`'s kind.
    public init(_ schema: ColumnSchema) {
        switch schema.kind {
        case .integer:
            self = .int64
        case .decimal:
            if let decimals = schema.decimals, decimals >= 0, decimals < Self.decimalPrecision {
                self = .decimal(scale: decimals)
            } else {
                self = .double
            }
        case .boolean:
            self = .boolean
        case .datetime:
            let format = schema.format.flatMap { DateTimeFormat(pattern: $0) }
            guard let format, format.hasTime else {
                self = .date
                return
            }
            let digits = format.fractionDigits
            let unit: TimeUnit = digits <= 3 ? .millis : digits <= 6 ? .micros : .nanos
            self = .timestamp(unit: unit, isAdjustedToUTC: format.pattern.contains("%z"))
        case .categorical, .identifier, .text:
            self = .string
        }
    }

    var physicalType: PhysicalType {
        switch self {
        case .int64, .decimal, .timestamp: return .int64
        case .double: return .double
        case .boolean: return .boolean
        case .date: return .int32
        case .string: return .byteArray
        }
    }

    /// The schema element of an optional column named `name`.
    func schemaElement(name: String) -> SchemaElement {
        var element = SchemaElement(type: physicalType, repetition: .optional, name: name)
        switch self {
        case .int64:
            element.convertedType = ConvertedType.int64
            element.logicalType = .integer(bitWidth: 64, isSigned: true)
        case .decimal(let scale):
            element.convertedType = ConvertedType.decimal
            element.scale = Int32(scale)
            element.precision = Int32(Self.decimalPrecision)
            element.logicalType = .decimal(scale: Int32(scale), precision: Int32(Self.decimalPrecision))
        case .double, .boolean:
            break
        case .date:
            element.convertedType = ConvertedType.date
            element.logicalType = .date
        case .timestamp(let unit, let utc):
            // The legacy converted types mean UTC-adjusted instants in millis or micros only.
            if utc && unit == .millis { element.convertedType = ConvertedType.timestampMillis }
            if utc && unit == .micros { element.convertedType = ConvertedType.timestampMicros }
            element.logicalType = .timestamp(isAdjustedToUTC: utc, unit: unit)
        case .string:
            element.convertedType = ConvertedType.utf8
            element.logicalType = .string
        }
        return element
    }
}

/// Text to typed values, for the writer.
enum CellParser {
    /// An optionally signed run of ASCII digits as an `Int64` (nil when not one, or out of range).
    @inline(__always)
    static func int64(_ text: UnsafeBufferPointer<UInt8>) -> Int64? {
        var i = 0
        let n = text.count
        guard n > 0 else { return nil }
        var negative = false
        if text[0] == UInt8(ascii: "-") || text[0] == UInt8(ascii: "+") {
            negative = text[0] == UInt8(ascii: "-")
            i = 1
        }
        guard i < n else { return nil }
        var magnitude: UInt64 = 0
        while i < n {
            let digit = text[i] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (times, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (plus, o2) = times.addingReportingOverflow(UInt64(digit))
            guard !o1, !o2 else { return nil }
            magnitude = plus
            i += 1
        }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return Int64(magnitude)
    }

    /// A whole number as an `Int64`: plain digits, or a number such as `40.0` or `1e3` with no fraction.
    static func integer(_ text: UnsafeBufferPointer<UInt8>) -> Int64? {
        if let value = int64(text) { return value }
        guard let value = NumberSyntax.parse(utf8: text), value.rounded() == value, abs(value) < 9.2e18 else { return nil }
        return Int64(value)
    }

    /// A decimal number (`-3.25`, `1e-3`, `7`) as an unscaled `Int64` with `scale` fractional digits,
    /// rounded half away from zero when it has more; nil when not a number or beyond 18 digits.
    static func decimal(_ text: UnsafeBufferPointer<UInt8>, scale: Int) -> Int64? {
        let n = text.count
        var i = 0
        var negative = false
        if i < n && (text[i] == UInt8(ascii: "-") || text[i] == UInt8(ascii: "+")) {
            negative = text[i] == UInt8(ascii: "-")
            i += 1
        }
        var digits: [UInt8] = []
        var fraction = 0
        var seenPoint = false
        var any = false
        while i < n {
            let c = text[i]
            if c &- UInt8(ascii: "0") < 10 {
                any = true
                if !(digits.isEmpty && c == UInt8(ascii: "0")) { digits.append(c &- UInt8(ascii: "0")) }
                if seenPoint { fraction += 1 }
            } else if c == UInt8(ascii: ".") && !seenPoint {
                seenPoint = true
            } else {
                break
            }
            i += 1
        }
        guard any else { return nil }
        var exponent = 0
        if i < n {
            guard text[i] == UInt8(ascii: "e") || text[i] == UInt8(ascii: "E") else { return nil }
            i += 1
            var exponentText = text[i...]
            guard !exponentText.isEmpty else { return nil }
            var negativeExponent = false
            if exponentText.first == UInt8(ascii: "-") || exponentText.first == UInt8(ascii: "+") {
                negativeExponent = exponentText.first == UInt8(ascii: "-")
                exponentText = exponentText.dropFirst()
            }
            guard !exponentText.isEmpty, exponentText.count <= 4 else { return nil }
            for c in exponentText {
                guard c &- UInt8(ascii: "0") < 10 else { return nil }
                exponent = exponent * 10 + Int(c &- UInt8(ascii: "0"))
            }
            if negativeExponent { exponent = -exponent }
        }
        // value = digits · 10^(exponent − fraction); unscaled = digits · 10^(exponent − fraction + scale).
        let shift = exponent - fraction + scale
        var kept = digits
        var roundUp = false
        if shift < 0 {
            let drop = -shift
            if drop > kept.count {
                kept = []
            } else {
                roundUp = kept[kept.count - drop] >= 5
                kept.removeLast(drop)
            }
        } else {
            guard kept.count + shift <= 19 || kept.isEmpty else { return nil }
            if !kept.isEmpty { kept.append(contentsOf: repeatElement(0, count: shift)) }
        }
        guard kept.count <= 18 else { return nil }
        var value: Int64 = 0
        for d in kept { value = value * 10 + Int64(d) }
        if roundUp { value += 1 }
        guard value < 1_000_000_000_000_000_000 else { return nil }
        return negative ? -value : value
    }
}
