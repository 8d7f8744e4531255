/// The Thrift compact protocol, as far as Parquet's metadata needs it: structs of booleans, integers,
/// doubles, binaries, lists and nested structs (maps and sets are skipped when read, never written).
///
/// ```swift
/// var writer = ThriftWriter()
/// writer.field(1, i32: 7)
/// writer.field(4, binary: Array("name".utf8))
/// writer.stop()
/// var reader = ThriftReader(writer.bytes[...])
/// let value = try reader.readStruct()     // [1: .i32(7), 4: .binary(...)]
/// ```

/// An error in Thrift-encoded metadata: truncated, malformed or out of range.
public struct ThriftError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What is wrong.
    public var message: String
    /// An error with `message`.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A decoded Thrift value. Integers of every width are kept as `Int64`.
public indirect enum ThriftValue: Sendable, Equatable {
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case binary([UInt8])
    case list([ThriftValue])
    case structure(ThriftStruct)
}

/// A decoded struct: its fields by id (unknown fields included; maps and sets are dropped).
public struct ThriftStruct: Sendable, Equatable {
    public var fields: [Int16: ThriftValue] = [:]

    public init(fields: [Int16: ThriftValue] = [:]) { self.fields = fields }

    public subscript(_ id: Int16) -> ThriftValue? { fields[id] }

    /// Field `id` as an integer, if present and one.
    public func int(_ id: Int16) -> Int64? {
        if case .int(let value)? = fields[id] { return value }
        return nil
    }

    /// Field `id` as an `Int32`-range integer; throws if present but out of range.
    public func int32(_ id: Int16, _ name: String) throws -> Int32? {
        guard let value = int(id) else { return nil }
        guard let narrow = Int32(exactly: value) else { throw ThriftError("\(name) \(value) is out of range") }
        return narrow
    }

    /// Field `id`, which must be present, as an integer.
    public func requiredInt(_ id: Int16, _ name: String) throws -> Int64 {
        guard let value = int(id) else { throw ThriftError("missing required field \(name)") }
        return value
    }

    public func bool(_ id: Int16) -> Bool? {
        if case .bool(let value)? = fields[id] { return value }
        return nil
    }

    public func binary(_ id: Int16) -> [UInt8]? {
        if case .binary(let value)? = fields[id] { return value }
        return nil
    }

    public func string(_ id: Int16) -> String? {
        binary(id).map { String(decoding: $0, as: UTF8.self) }
    }

    public func structure(_ id: Int16) -> ThriftStruct? {
        if case .structure(let value)? = fields[id] { return value }
        return nil
    }

    public func list(_ id: Int16) -> [ThriftValue]? {
        if case .list(let value)? = fields[id] { return value }
        return nil
    }
}

/// Compact-protocol type codes.
enum CompactType: UInt8 {
    case stop = 0, boolTrue = 1, boolFalse = 2, byte = 3, i16 = 4, i32 = 5, i64 = 6, double = 7, binary = 8,
         list = 9, set = 10, map = 11, structure = 12
}

/// Reads compact-protocol structs from bytes, checking every length against what remains; nesting is
/// limited so that hostile input cannot exhaust the stack.
public struct ThriftReader {
    private let bytes: ArraySlice<UInt8>
    /// The index of the next byte to read (in `bytes`' indices).
    public private(set) var position: Int
    /// The deepest nesting of structs and lists accepted.
    static let maximumDepth = 64
    /// The current nesting of structs and lists.
    private var depth = 0

    public init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        position = bytes.startIndex
    }

    /// How many bytes have been read.
    public var consumed: Int { position - bytes.startIndex }

    private mutating func byte() throws -> UInt8 {
        guard position < bytes.endIndex else { throw ThriftError("truncated metadata: unexpected end of input") }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func varint() throws -> UInt64 {
        try readVarint(byte: { try byte() }, tooLong: ThriftError("malformed metadata: varint longer than 10 bytes"))
    }

    mutating func zigzag() throws -> Int64 {
        zigzagDecoded(try varint())
    }

    private mutating func take(_ count: Int) throws -> [UInt8] {
        guard count >= 0, count <= bytes.endIndex - position else {
            throw ThriftError("truncated metadata: a value claims \(count) bytes but \(bytes.endIndex - position) remain")
        }
        defer { position += count }
        return Array(bytes[position ..< position + count])
    }

    /// Reads one struct (up to and including its stop byte).
    public mutating func readStruct() throws -> ThriftStruct {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maximumDepth else { throw ThriftError("malformed metadata: nesting deeper than \(Self.maximumDepth)") }
        var result = ThriftStruct()
        var lastID: Int16 = 0
        while true {
            let header = try byte()
            if header == 0 { return result }
            let typeCode = header & 0x0f
            let delta = header >> 4
            let id: Int16
            if delta != 0 {
                id = lastID &+ Int16(delta)
            } else {
                let raw = try zigzag()
                guard let narrow = Int16(exactly: raw) else { throw ThriftError("malformed metadata: field id \(raw)") }
                id = narrow
            }
            lastID = id
            guard let type = CompactType(rawValue: typeCode) else {
                throw ThriftError("malformed metadata: unknown compact type \(typeCode)")
            }
            if let value = try readValue(type, inField: true) { result.fields[id] = value }
        }
    }

    private mutating func readValue(_ type: CompactType, inField: Bool) throws -> ThriftValue? {
        switch type {
        case .stop: throw ThriftError("malformed metadata: unexpected stop")
        case .boolTrue where inField: return .bool(true)
        case .boolFalse where inField: return .bool(false)
        case .boolTrue, .boolFalse: return .bool(try byte() == 1)
        case .byte: return .int(Int64(Int8(bitPattern: try byte())))
        case .i16, .i32, .i64: return .int(try zigzag())
        case .double:
            let raw = try take(8)
            var bits: UInt64 = 0
            for (index, b) in raw.enumerated() { bits |= UInt64(b) << (8 * UInt64(index)) }
            return .double(Double(bitPattern: bits))
        case .binary:
            let count = try varint()
            guard count <= UInt64(Int32.max) else { throw ThriftError("malformed metadata: binary of \(count) bytes") }
            return .binary(try take(Int(count)))
        case .list, .set:
            depth += 1
            defer { depth -= 1 }
            guard depth <= Self.maximumDepth else { throw ThriftError("malformed metadata: nesting too deep") }
            let header = try byte()
            var count = UInt64(header >> 4)
            if count == 15 { count = try varint() }
            guard let elementType = CompactType(rawValue: header & 0x0f), elementType != .stop else {
                throw ThriftError("malformed metadata: unknown list element type \(header & 0x0f)")
            }
            // Every element takes at least one byte (booleans too, in lists).
            guard count <= UInt64(bytes.endIndex - position) else {
                throw ThriftError("truncated metadata: a list claims \(count) elements but \(bytes.endIndex - position) bytes remain")
            }
            var values: [ThriftValue] = []
            values.reserveCapacity(Int(count))
            for _ in 0 ..< Int(count) {
                if let value = try readValue(elementType, inField: false) { values.append(value) }
            }
            return type == .list ? .list(values) : nil
        case .map:
            let count = try varint()
            guard count > 0 else { return nil }
            guard count <= UInt64(bytes.endIndex - position) else { throw ThriftError("truncated metadata: map too long") }
            let types = try byte()
            guard let keyType = CompactType(rawValue: types >> 4), let valueType = CompactType(rawValue: types & 0x0f),
                  keyType != .stop, valueType != .stop else { throw ThriftError("malformed metadata: bad map types") }
            depth += 1
            defer { depth -= 1 }
            guard depth <= Self.maximumDepth else { throw ThriftError("malformed metadata: nesting too deep") }
            for _ in 0 ..< Int(count) {
                _ = try readValue(keyType, inField: false)
                _ = try readValue(valueType, inField: false)
            }
            return nil
        case .structure:
            return .structure(try readStruct())
        }
    }
}

/// Writes compact-protocol structs. Fields must be written in increasing id order within a struct;
/// `beginStruct`/`endStruct` nest.
public struct ThriftWriter {
    public private(set) var bytes: [UInt8] = []
    private var lastIDs: [Int16] = [0]

    public init() {}

    mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7f) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    mutating func zigzag(_ value: Int64) {
        varint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    private mutating func fieldHeader(_ id: Int16, _ type: CompactType) {
        let last = lastIDs[lastIDs.count - 1]
        let delta = Int(id) - Int(last)
        if delta > 0 && delta <= 15 {
            bytes.append(UInt8(delta) << 4 | type.rawValue)
        } else {
            bytes.append(type.rawValue)
            zigzag(Int64(id))
        }
        lastIDs[lastIDs.count - 1] = id
    }

    public mutating func field(_ id: Int16, bool value: Bool) {
        fieldHeader(id, value ? .boolTrue : .boolFalse)
    }

    public mutating func field(_ id: Int16, i32 value: Int32) {
        fieldHeader(id, .i32)
        zigzag(Int64(value))
    }

    public mutating func field(_ id: Int16, i64 value: Int64) {
        fieldHeader(id, .i64)
        zigzag(value)
    }

    public mutating func field(_ id: Int16, i8 value: Int8) {
        fieldHeader(id, .byte)
        bytes.append(UInt8(bitPattern: value))
    }

    public mutating func field(_ id: Int16, double value: Double) {
        fieldHeader(id, .double)
        var bits = value.bitPattern
        for _ in 0 ..< 8 {
            bytes.append(UInt8(bits & 0xff))
            bits >>= 8
        }
    }

    public mutating func field(_ id: Int16, binary value: [UInt8]) {
        fieldHeader(id, .binary)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    public mutating func field(_ id: Int16, string value: String) {
        field(id, binary: Array(value.utf8))
    }

    /// Starts a nested struct in field `id`; end it with `endStruct()`.
    public mutating func beginStruct(_ id: Int16) {
        fieldHeader(id, .structure)
        lastIDs.append(0)
    }

    /// Ends the struct begun last (writes its stop byte).
    public mutating func endStruct() {
        bytes.append(0)
        lastIDs.removeLast()
    }

    /// Ends the outermost struct.
    public mutating func stop() {
        bytes.append(0)
    }

    /// A list of `count` elements of `type` in field `id`; the caller writes the elements next.
    mutating func listHeader(_ id: Int16, _ type: CompactType, count: Int) {
        fieldHeader(id, .list)
        if count < 15 {
            bytes.append(UInt8(count) << 4 | type.rawValue)
        } else {
            bytes.append(0xf0 | type.rawValue)
            varint(UInt64(count))
        }
    }

    public mutating func field(_ id: Int16, i32List values: [Int32]) {
        listHeader(id, .i32, count: values.count)
        for value in values { zigzag(Int64(value)) }
    }

    public mutating func field(_ id: Int16, stringList values: [String]) {
        listHeader(id, .binary, count: values.count)
        for value in values {
            varint(UInt64(value.utf8.count))
            bytes.append(contentsOf: value.utf8)
        }
    }

    /// A list of structs in field `id`, each written by `body` between its fields and its stop byte.
    public mutating func field<Element>(_ id: Int16, structList values: [Element], _ body: (inout ThriftWriter, Element) -> Void) {
        listHeader(id, .structure, count: values.count)
        for value in values {
            lastIDs.append(0)
            body(&self, value)
            bytes.append(0)
            lastIDs.removeLast()
        }
    }

    /// An empty struct in field `id` (a union's member without data, such as `StringType`).
    public mutating func field(_ id: Int16, emptyStruct: Void) {
        beginStruct(id)
        endStruct()
    }
}
