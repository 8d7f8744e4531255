/// Reads the field types of 1/MWP (spec: Framing) from one frame, checking every length against the bytes left
/// and the limits before anything is allocated. Never traps.
public struct WireReader: Sendable {
    let bytes: [UInt8]
    let frame: Int
    /// The offset of the next unread byte.
    public private(set) var position = 0

    /// A reader over `bytes`, which is frame number `frame` (1-based, for error messages).
    public init(_ bytes: [UInt8], frame: Int) {
        self.bytes = bytes
        self.frame = frame
    }

    /// Bytes not yet read.
    public var remaining: Int { bytes.count - position }

    /// Throws `trailingBytes` unless every byte has been read.
    public func finish() throws(WireError) {
        if remaining != 0 { throw .trailingBytes(frame: frame, count: remaining) }
    }

    mutating func take(_ count: Int, _ field: String) throws(WireError) -> ArraySlice<UInt8> {
        guard count >= 0, count <= remaining else { throw .truncated(field: field) }
        defer { position += count }
        return bytes[position ..< position + count]
    }

    mutating func integer<T: FixedWidthInteger & UnsignedInteger>(_ type: T.Type, _ field: String) throws(WireError) -> T {
        var value: T = 0
        for byte in try take(MemoryLayout<T>.size, field) { value = value << 8 | T(byte) }
        return value
    }

    /// A `u8`.
    public mutating func u8(_ field: String) throws(WireError) -> UInt8 { try integer(UInt8.self, field) }
    /// A big-endian `u16`.
    public mutating func u16(_ field: String) throws(WireError) -> UInt16 { try integer(UInt16.self, field) }
    /// A big-endian `u32`.
    public mutating func u32(_ field: String) throws(WireError) -> UInt32 { try integer(UInt32.self, field) }
    /// A big-endian `u64`.
    public mutating func u64(_ field: String) throws(WireError) -> UInt64 { try integer(UInt64.self, field) }

    /// A `bool`: one byte, 0 or 1.
    public mutating func bool(_ field: String) throws(WireError) -> Bool {
        switch try u8(field) {
        case 0: return false
        case 1: return true
        case let other: throw .invalidValue(field: field, reason: "a bool is 0 or 1, got \(other)")
        }
    }

    /// A `string`: a `u16` length (at most `maxStringBytes`) and that many bytes of UTF-8.
    public mutating func string(_ field: String) throws(WireError) -> String {
        let length = Int(try u16(field))
        guard length <= ProtocolVersion.maxStringBytes else {
            throw .limitExceeded(field: field, value: length, limit: ProtocolVersion.maxStringBytes)
        }
        let utf8 = try take(length, field)
        guard let text = String(validating: utf8, as: UTF8.self) else { throw .invalidUTF8(field: field) }
        return text
    }

    /// A `bytes`: a `u32` length (at most `limit`) and that many bytes.
    public mutating func bytes(_ field: String, limit: Int) throws(WireError) -> [UInt8] {
        let length = try u32(field)
        guard length <= limit else { throw .limitExceeded(field: field, value: Int(length), limit: limit) }
        return Array(try take(Int(length), field))
    }

    /// A `hash`: 32 bytes, a SHA-256 digest.
    public mutating func hash(_ field: String) throws(WireError) -> ContentHash {
        ContentHash(checked: Array(try take(ContentHash.byteCount, field)))
    }

    /// An `optional<T>`: a `u8` presence flag (0 or 1), then the value when present.
    public mutating func optional<T>(_ field: String,
                                     _ element: (inout WireReader) throws(WireError) -> T) throws(WireError) -> T? {
        try bool(field) ? try element(&self) : nil
    }

    /// A `list<T>`: a `u32` count (at most `maxListCount`), then the elements. `minimumElementBytes` lets the
    /// count be checked against the bytes left before any element is read.
    public mutating func list<T>(_ field: String, minimumElementBytes: Int,
                                 _ element: (inout WireReader) throws(WireError) -> T) throws(WireError) -> [T] {
        let count = Int(try u32(field))
        guard count <= ProtocolVersion.maxListCount else {
            throw .limitExceeded(field: field, value: count, limit: ProtocolVersion.maxListCount)
        }
        guard count * max(1, minimumElementBytes) <= remaining else { throw .truncated(field: field) }
        var items: [T] = []
        items.reserveCapacity(count)
        for _ in 0 ..< count { items.append(try element(&self)) }
        return items
    }

    /// A `map`: a `u32` count (at most `maxMapCount`), then that many key and value strings, keys in strictly
    /// increasing byte order.
    public mutating func map(_ field: String) throws(WireError) -> [String: String] {
        let count = Int(try u32(field))
        guard count <= ProtocolVersion.maxMapCount else {
            throw .limitExceeded(field: field, value: count, limit: ProtocolVersion.maxMapCount)
        }
        guard count * 4 <= remaining else { throw .truncated(field: field) }
        var result: [String: String] = [:]
        var previous: [UInt8]?
        for _ in 0 ..< count {
            let key = try string(field + " key")
            let keyBytes = Array(key.utf8)
            if let previous, !previous.lexicographicallyPrecedes(keyBytes) {
                throw .invalidValue(field: field, reason: "keys must be unique and in increasing byte order")
            }
            previous = keyBytes
            result[key] = try string(field + " value")
        }
        return result
    }
}

/// Writes the field types of 1/MWP (spec: Framing) into one frame.
public struct WireWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8] = []

    public init() {}

    mutating func integer<T: FixedWidthInteger>(_ value: T) {
        let size = MemoryLayout<T>.size
        for shift in stride(from: (size - 1) * 8, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> shift))
        }
    }

    /// A `u8`.
    public mutating func u8(_ value: UInt8) { bytes.append(value) }
    /// A big-endian `u16`.
    public mutating func u16(_ value: UInt16) { integer(value) }
    /// A big-endian `u32`.
    public mutating func u32(_ value: UInt32) { integer(value) }
    /// A big-endian `u64`.
    public mutating func u64(_ value: UInt64) { integer(value) }
    /// A `bool`.
    public mutating func bool(_ value: Bool) { bytes.append(value ? 1 : 0) }

    /// A `string`. A string longer than `maxStringBytes` is cut at the last whole character that fits, so the
    /// writer never produces a message its own reader refuses.
    public mutating func string(_ value: String) {
        var utf8 = Array(value.utf8)
        if utf8.count > ProtocolVersion.maxStringBytes {
            var end = ProtocolVersion.maxStringBytes
            while end > 0, utf8[end] & 0xC0 == 0x80 { end -= 1 }
            utf8 = Array(utf8[..<end])
        }
        u16(UInt16(utf8.count))
        bytes += utf8
    }

    /// A `bytes`.
    public mutating func bytes(_ value: [UInt8]) {
        u32(UInt32(truncatingIfNeeded: value.count))
        bytes += value
    }

    /// A `hash`.
    public mutating func hash(_ value: ContentHash) { bytes += value.bytes }

    /// An `optional<T>`.
    public mutating func optional<T>(_ value: T?, _ element: (inout WireWriter, T) -> Void) {
        bool(value != nil)
        if let value { element(&self, value) }
    }

    /// A `list<T>`.
    public mutating func list<T>(_ values: [T], _ element: (inout WireWriter, T) -> Void) {
        u32(UInt32(truncatingIfNeeded: values.count))
        for value in values { element(&self, value) }
    }

    /// A `map`, keys in increasing byte order.
    public mutating func map(_ value: [String: String]) {
        u32(UInt32(truncatingIfNeeded: value.count))
        for key in value.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
            string(key)
            string(value[key]!)
        }
    }
}

/// A SHA-256 content hash: 32 bytes.
public struct ContentHash: Hashable, Sendable, CustomStringConvertible {
    /// The length of a hash in bytes.
    public static let byteCount = 32
    /// The 32 bytes of the digest.
    public let bytes: [UInt8]

    init(checked bytes: [UInt8]) { self.bytes = bytes }

    /// A hash from its 32 bytes, or nil for another length.
    public init?(bytes: [UInt8]) {
        guard bytes.count == Self.byteCount else { return nil }
        self.bytes = bytes
    }

    /// A hash from 64 hexadecimal digits, or nil.
    public init?(hex: String) {
        let digits = Array(hex.utf8)
        guard digits.count == 2 * Self.byteCount else { return nil }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = hexValue(digits[index]), let low = hexValue(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        self.bytes = bytes
    }

    /// The hash as 64 lowercase hexadecimal digits.
    public var description: String { bytes.map { String($0, radix: 16).leftPadded(to: 2) }.joined() }
}

func hexValue(_ digit: UInt8) -> UInt8? {
    switch digit {
    case UInt8(ascii: "0") ... UInt8(ascii: "9"): digit - UInt8(ascii: "0")
    case UInt8(ascii: "a") ... UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A") ... UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
    default: nil
    }
}

extension String {
    func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
