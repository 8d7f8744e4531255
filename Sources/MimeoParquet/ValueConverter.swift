import Foundation
import MimeoData

/// How one Parquet leaf column is read into Mimeo: its text conversion and its Mimeo column type, from
/// the physical type and the logical (or legacy converted) type. (Not API.)
struct ValueConverter {
    enum Kind {
        case signed, unsigned, decimal(scale: Int), double, float, boolean, date
        case timestamp(unit: TimeUnit), int96
        case string, uuid, time(unit: TimeUnit)
    }

    let physical: PhysicalType
    let typeLength: Int
    let kind: Kind
    /// The Mimeo type of the column (string columns are `.categorical` until refined).
    var column: ColumnSchema
    /// Whether the Mimeo kind of a string column is still to be chosen (no `mimeo.schema` entry).
    var needsStringKind = false
    private var format: DateTimeFormat?
    private var booleanText = ("false", "true")

    /// - Throws: `ParquetError` for a type this reader does not support, naming it.
    init(element: SchemaElement, stored: Schema?) throws {
        guard let physical = element.type else { throw ParquetError("column '\(element.name)' has no physical type") }
        self.physical = physical
        typeLength = Int(element.typeLength ?? 0)
        let name = element.name
        func unsupported(_ what: String) -> ParquetError {
            ParquetError("column '\(name)': \(what) is not supported")
        }
        let converted = element.convertedType
        var kind: Kind
        switch element.logicalType {
        case .string?, .enumeration?, .json?, .bson?:
            kind = .string
        case .decimal(let scale, _)?:
            kind = .decimal(scale: Int(scale))
        case .date?:
            kind = .date
        case .timestamp(_, let unit)?:
            kind = .timestamp(unit: unit)
        case .time(_, let unit)?:
            kind = .time(unit: unit)
        case .integer(_, let isSigned)?:
            kind = isSigned ? .signed : .unsigned
        case .uuid?:
            kind = .uuid
        case .float16?:
            throw unsupported("the FLOAT16 logical type")
        case .unknown?:
            kind = .string
        case .other(let id)?:
            throw unsupported("logical type #\(id) (a nested or geospatial type)")
        case nil:
            switch converted {
            case ConvertedType.utf8?, ConvertedType.enumeration?, ConvertedType.json?, ConvertedType.bson?: kind = .string
            case ConvertedType.decimal?: kind = .decimal(scale: Int(element.scale ?? 0))
            case ConvertedType.date?: kind = .date
            case ConvertedType.timestampMillis?: kind = .timestamp(unit: .millis)
            case ConvertedType.timestampMicros?: kind = .timestamp(unit: .micros)
            case ConvertedType.timeMillis?: kind = .time(unit: .millis)
            case ConvertedType.timeMicros?: kind = .time(unit: .micros)
            case ConvertedType.uint8?, ConvertedType.uint16?, ConvertedType.uint32?, ConvertedType.uint64?: kind = .unsigned
            case ConvertedType.interval?: throw unsupported("the INTERVAL type")
            case ConvertedType.map?, ConvertedType.mapKeyValue?, ConvertedType.list?:
                throw ParquetError("column '\(name)': nested schemas (MAP, LIST) are not supported; Mimeo reads flat tables")
            default:
                switch physical {
                case .boolean: kind = .boolean
                case .int32, .int64: kind = .signed
                case .int96: kind = .int96
                case .float: kind = .float
                case .double: kind = .double
                case .byteArray, .fixedLenByteArray: kind = .string
                }
            }
        }
        // Check that the physical type carries the logical one.
        switch (kind, physical) {
        case (.string, .byteArray), (.string, .fixedLenByteArray), (.boolean, .boolean), (.double, .double), (.float, .float),
             (.int96, .int96), (.signed, .int32), (.signed, .int64), (.unsigned, .int32), (.unsigned, .int64), (.date, .int32),
             (.timestamp, .int64), (.time(.millis), .int32), (.time, .int64), (.decimal, .int32), (.decimal, .int64),
             (.decimal, .fixedLenByteArray), (.decimal, .byteArray), (.uuid, .fixedLenByteArray):
            break
        default:
            throw ParquetError("column '\(name)': its logical type does not fit its physical type \(physical)")
        }
        if physical == .fixedLenByteArray, typeLength <= 0 || typeLength > 1 << 20 {
            throw ParquetError("column '\(name)': a FIXED_LEN_BYTE_ARRAY of invalid length \(typeLength)")
        }
        if case .decimal(let scale) = kind, scale < 0 || scale > 76 {
            throw ParquetError("column '\(name)': decimal scale \(scale) is out of range")
        }
        self.kind = kind

        switch kind {
        case .signed, .unsigned:
            column = ColumnSchema(name: name, kind: .integer)
        case .decimal(let scale):
            column = scale == 0 ? ColumnSchema(name: name, kind: .integer) : ColumnSchema(name: name, kind: .decimal, decimals: scale)
        case .double, .float:
            column = ColumnSchema(name: name, kind: .decimal)
        case .boolean:
            column = ColumnSchema(name: name, kind: .boolean, booleanValues: ["false", "true"])
        case .date:
            column = ColumnSchema(name: name, kind: .datetime, format: "%Y-%m-%d")
        case .timestamp(let unit):
            let utc: Bool
            if case .timestamp(let adjusted, _)? = element.logicalType { utc = adjusted } else { utc = true }
            let fraction = unit == .millis ? ".%3f" : unit == .micros ? ".%6f" : ".%9f"
            column = ColumnSchema(name: name, kind: .datetime, format: "%Y-%m-%d %H:%M:%S" + fraction + (utc ? "%z" : ""))
        case .int96:
            column = ColumnSchema(name: name, kind: .datetime, format: "%Y-%m-%d %H:%M:%S.%9f")
        case .string, .uuid, .time:
            column = ColumnSchema(name: name, kind: .categorical)
            needsStringKind = true
        }
        // The Mimeo schema the file was written with refines spellings, when it agrees with the types.
        if let stored = stored?.column(named: name) {
            var refined = stored
            refined.invalidValues = nil
            let agrees: Bool
            switch (kind, ParquetColumnType(stored)) {
            case (.string, .string): agrees = true
            case (.signed, .int64): agrees = true
            case (.decimal(let scale), .decimal(let storedScale)): agrees = scale == storedScale
            case (.double, .double): agrees = true
            case (.boolean, .boolean): agrees = true
            case (.date, .date): agrees = true
            case (.timestamp(let unit), .timestamp(let storedUnit, _)): agrees = unit == storedUnit
            default: agrees = false
            }
            if agrees {
                column = refined
                needsStringKind = false
            }
        }
        if column.kind == .datetime { format = column.format.flatMap { DateTimeFormat(pattern: $0) } }
        if column.kind == .boolean, let spellings = column.booleanValues, spellings.count == 2 {
            booleanText = (spellings[0], spellings[1])
        }
    }

    // MARK: - Values to text

    func text(bool value: Bool) -> String {
        value ? booleanText.1 : booleanText.0
    }

    func text(int value: Int64) -> String {
        switch kind {
        case .unsigned:
            return physical == .int32 ? String(UInt32(truncatingIfNeeded: value)) : String(UInt64(bitPattern: value))
        case .decimal(let scale):
            return Self.decimalText(magnitudeDigits: String(value.magnitude), negative: value < 0, scale: scale)
        case .date:
            return formatted(seconds: value * 86_400, nanoseconds: 0)
        case .timestamp(let unit):
            let (seconds, remainder) = floorDivide(value, unit.perSecond)
            return formatted(seconds: seconds, nanoseconds: remainder * (1_000_000_000 / unit.perSecond))
        case .time(let unit):
            let (seconds, remainder) = floorDivide(value, unit.perSecond)
            let digits = unit == .millis ? 3 : unit == .micros ? 6 : 9
            let fraction = String(remainder)
            return String(format: "%02lld:%02lld:%02lld.", seconds / 3600, seconds / 60 % 60, seconds % 60)
                + String(repeating: "0", count: max(0, digits - fraction.count)) + fraction
        default:
            return String(value)
        }
    }

    func text(double value: Double) -> String? {
        value.isNaN ? nil : "\(value)"
    }

    func text(float value: Float) -> String? {
        value.isNaN ? nil : "\(value)"
    }

    /// INT96 timestamps: nanoseconds of the day, then the Julian day, little-endian.
    func text(int96 bytes: ArraySlice<UInt8>) -> String {
        var nanos: Int64 = 0
        for k in 0 ..< 8 { nanos |= Int64(bytes[bytes.startIndex + k]) << (8 * Int64(k)) }
        var julian: Int64 = 0
        for k in 0 ..< 4 { julian |= Int64(bytes[bytes.startIndex + 8 + k]) << (8 * Int64(k)) }
        let days = Int64(Int32(truncatingIfNeeded: julian)) - 2_440_588
        let (seconds, remainder) = floorDivide(nanos, 1_000_000_000)
        return formatted(seconds: days * 86_400 + seconds, nanoseconds: remainder)
    }

    func text(bytes: ArraySlice<UInt8>) -> String {
        switch kind {
        case .decimal(let scale):
            return Self.decimalText(bigEndianTwosComplement: bytes, scale: scale)
        case .uuid:
            let hex = bytes.map { String(format: "%02x", $0) }.joined()
            guard hex.count == 32 else { return hex }
            let h = Array(hex)
            return String(h[0 ..< 8]) + "-" + String(h[8 ..< 12]) + "-" + String(h[12 ..< 16]) + "-" + String(h[16 ..< 20]) + "-" + String(h[20...])
        default:
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    private func floorDivide(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
        let remainder = value % divisor
        return remainder < 0 ? (value / divisor - 1, remainder + divisor) : (value / divisor, remainder)
    }

    private func formatted(seconds: Int64, nanoseconds: Int64) -> String {
        var parts = DateTimeParts(secondsSinceEpoch: seconds)
        parts.nanosecond = Int(nanoseconds)
        guard let format else { return "\(parts)" }
        return format.format(parts)
    }

    static func decimalText(magnitudeDigits: String, negative: Bool, scale: Int) -> String {
        guard scale > 0 else { return (negative && magnitudeDigits != "0" ? "-" : "") + magnitudeDigits }
        var digits = magnitudeDigits
        if digits.count <= scale { digits = String(repeating: "0", count: scale - digits.count + 1) + digits }
        let split = digits.index(digits.endIndex, offsetBy: -scale)
        return (negative ? "-" : "") + digits[..<split] + "." + digits[split...]
    }

    /// A decimal stored as a big-endian two's-complement integer of any length.
    static func decimalText(bigEndianTwosComplement bytes: ArraySlice<UInt8>, scale: Int) -> String {
        guard let first = bytes.first else { return decimalText(magnitudeDigits: "0", negative: false, scale: scale) }
        let negative = first & 0x80 != 0
        var magnitude = Array(bytes)
        if negative {
            // Two's complement: invert and add one.
            for k in magnitude.indices { magnitude[k] = ~magnitude[k] }
            var k = magnitude.count - 1
            while k >= 0 {
                let (sum, overflow) = magnitude[k].addingReportingOverflow(1)
                magnitude[k] = sum
                if !overflow { break }
                k -= 1
            }
        }
        // Repeated division by 10 of the big-endian magnitude.
        var digits: [UInt8] = []
        var current = magnitude
        while current.contains(where: { $0 != 0 }) {
            var remainder = 0
            for k in current.indices {
                let value = remainder << 8 | Int(current[k])
                current[k] = UInt8(value / 10)
                remainder = value % 10
            }
            digits.append(UInt8(remainder) + UInt8(ascii: "0"))
        }
        let text = digits.isEmpty ? "0" : String(decoding: digits.reversed(), as: UTF8.self)
        return decimalText(magnitudeDigits: text, negative: negative && text != "0", scale: scale)
    }
}
