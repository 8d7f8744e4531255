/// An error in a Parquet file (or in writing one): what is wrong or unsupported, in words.
public struct ParquetError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What is wrong or unsupported.
    public var message: String
    /// An error with `message`.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Reads little-endian values from a byte slice, checking every read against its end.
struct ByteCursor {
    let bytes: ArraySlice<UInt8>
    var position: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        position = bytes.startIndex
    }

    var remaining: Int { bytes.endIndex - position }

    mutating func byte() throws -> UInt8 {
        guard position < bytes.endIndex else { throw ParquetError("corrupt page: unexpected end of data") }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, count <= remaining else {
            throw ParquetError("corrupt page: a value claims \(count) bytes but \(remaining) remain")
        }
        defer { position += count }
        return bytes[position ..< position + count]
    }

    mutating func uint32() throws -> UInt32 {
        let s = try take(4)
        let i = s.startIndex
        return UInt32(s[i]) | UInt32(s[i + 1]) << 8 | UInt32(s[i + 2]) << 16 | UInt32(s[i + 3]) << 24
    }

    mutating func uint64() throws -> UInt64 {
        let s = try take(8)
        var value: UInt64 = 0
        for k in 0 ..< 8 { value |= UInt64(s[s.startIndex + k]) << (8 * UInt64(k)) }
        return value
    }

    mutating func varint() throws -> UInt64 {
        try readVarint(byte: { try byte() }, tooLong: ParquetError("corrupt page: varint longer than 10 bytes"))
    }

    mutating func zigzag() throws -> Int64 {
        zigzagDecoded(try varint())
    }
}

/// Appends little-endian values.
extension Array where Element == UInt8 {
    @inline(__always)
    mutating func appendLittleEndian(_ value: UInt32) {
        append(UInt8(truncatingIfNeeded: value))
        append(UInt8(truncatingIfNeeded: value >> 8))
        append(UInt8(truncatingIfNeeded: value >> 16))
        append(UInt8(truncatingIfNeeded: value >> 24))
    }

    @inline(__always)
    mutating func appendLittleEndian(_ value: UInt64) {
        for k in 0 ..< 8 { append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(k)))) }
    }

    mutating func appendVarint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            append(UInt8(value & 0x7f) | 0x80)
            value >>= 7
        }
        append(UInt8(value))
    }
}

/// The number of bits needed for values up to `maximum`.
func bitWidth(_ maximum: UInt64) -> Int {
    maximum == 0 ? 0 : 64 - maximum.leadingZeroBitCount
}

/// The RLE / bit-packing hybrid encoding of levels and dictionary indices.
enum RLEHybrid {
    /// Encodes `values` (each below `2^bitWidth`): runs of 8 or more equal values as RLE runs, the rest
    /// bit-packed in groups of 8 (the last group padded with zeros).
    static func encode(_ values: [UInt32], bitWidth: Int, into out: inout [UInt8]) {
        let byteWidth = (bitWidth + 7) / 8
        var pending: [UInt32] = []
        pending.reserveCapacity(512)
        func flushPacked(final: Bool) {
            var start = 0
            while start < pending.count {
                // At most 63 groups per run, each of 8 values.
                let count = min(pending.count - start, 63 * 8)
                let groups = (count + 7) / 8
                guard final || count % 8 == 0 else { break }
                out.appendVarint(UInt64(groups << 1 | 1))
                packBits(pending[start ..< start + count], groups: groups, bitWidth: bitWidth, into: &out)
                start += count
            }
            pending.removeFirst(start)
        }
        var i = 0
        let n = values.count
        while i < n {
            var run = 1
            while i + run < n && values[i + run] == values[i] { run += 1 }
            if run >= 8 {
                if pending.count % 8 != 0 {
                    let fill = min(8 - pending.count % 8, run)
                    pending.append(contentsOf: values[i ..< i + fill])
                    i += fill
                    run -= fill
                    if run < 8 {
                        pending.append(contentsOf: values[i ..< i + run])
                        i += run
                        continue
                    }
                }
                flushPacked(final: true)
                out.appendVarint(UInt64(run) << 1)
                let value = values[i]
                for k in 0 ..< byteWidth { out.append(UInt8(truncatingIfNeeded: value >> (8 * UInt32(k)))) }
                i += run
            } else {
                pending.append(contentsOf: values[i ..< i + run])
                i += run
                if pending.count >= 63 * 8 { flushPacked(final: false) }
            }
        }
        flushPacked(final: true)
    }

    /// Packs `values` LSB first, `bitWidth` bits each, padded to `groups · 8` values.
    static func packBits(_ values: ArraySlice<UInt32>, groups: Int, bitWidth: Int, into out: inout [UInt8]) {
        var buffer: UInt64 = 0
        var bits = 0
        let total = groups * 8
        var index = values.startIndex
        for _ in 0 ..< total {
            let value: UInt64 = index < values.endIndex ? UInt64(values[index]) : 0
            index += 1
            buffer |= value << UInt64(bits)
            bits += bitWidth
            while bits >= 8 {
                out.append(UInt8(truncatingIfNeeded: buffer))
                buffer >>= 8
                bits -= 8
            }
        }
        if bits > 0 { out.append(UInt8(truncatingIfNeeded: buffer)) }
    }

    /// Decodes `count` values of `bitWidth` bits from `bytes`.
    static func decode(_ bytes: ArraySlice<UInt8>, bitWidth: Int, count: Int) throws -> [UInt32] {
        guard bitWidth >= 0, bitWidth <= 32 else { throw ParquetError("corrupt page: RLE bit width \(bitWidth)") }
        guard count >= 0 else { throw ParquetError("corrupt page: negative value count") }
        var out: [UInt32] = []
        out.reserveCapacity(count)
        if bitWidth == 0 { return [UInt32](repeating: 0, count: count) }
        var cursor = ByteCursor(bytes)
        let byteWidth = (bitWidth + 7) / 8
        let mask: UInt64 = bitWidth == 64 ? ~0 : (1 << UInt64(bitWidth)) - 1
        while out.count < count {
            let header = try cursor.varint()
            if header & 1 == 0 {
                let run = header >> 1
                guard run > 0 else { throw ParquetError("corrupt page: an RLE run of length 0") }
                var value: UInt32 = 0
                for k in 0 ..< byteWidth { value |= UInt32(try cursor.byte()) << (8 * UInt32(k)) }
                let take = Int(min(run, UInt64(count - out.count)))
                out.append(contentsOf: repeatElement(value, count: take))
            } else {
                let groups = header >> 1
                guard groups <= UInt64(cursor.remaining) else {
                    throw ParquetError("corrupt page: a bit-packed run of \(groups) groups is longer than its page")
                }
                let values = Int(groups) * 8
                let packed = try cursor.take(Int(groups) * bitWidth)
                var buffer: UInt64 = 0
                var bits = 0
                var index = packed.startIndex
                for _ in 0 ..< values {
                    while bits < bitWidth {
                        buffer |= UInt64(packed[index]) << UInt64(bits)
                        index += 1
                        bits += 8
                    }
                    if out.count < count { out.append(UInt32(buffer & mask)) }
                    buffer >>= UInt64(bitWidth)
                    bits -= bitWidth
                }
            }
        }
        return out
    }
}

/// DELTA_BINARY_PACKED decoding (with the bytes it used, so that DELTA_LENGTH_BYTE_ARRAY can go on
/// after it).
enum DeltaBinaryPacked {
    static func decode(_ cursor: inout ByteCursor, maximumCount: Int) throws -> [Int64] {
        let blockSize = try cursor.varint()
        let miniblocks = try cursor.varint()
        let total = try cursor.varint()
        var current = try cursor.zigzag()
        guard blockSize > 0, blockSize % 128 == 0, blockSize <= 1 << 20, miniblocks > 0, blockSize % miniblocks == 0,
              (blockSize / miniblocks) % 32 == 0 else {
            throw ParquetError("corrupt DELTA_BINARY_PACKED header (block size \(blockSize), \(miniblocks) miniblocks)")
        }
        guard total <= UInt64(maximumCount) else {
            throw ParquetError("corrupt DELTA_BINARY_PACKED data: \(total) values where at most \(maximumCount) fit")
        }
        let count = Int(total)
        var out: [Int64] = []
        out.reserveCapacity(count)
        if count == 0 { return out }
        out.append(current)
        let perMiniblock = Int(blockSize / miniblocks)
        while out.count < count {
            let minDelta = try cursor.zigzag()
            let widths = try cursor.take(Int(miniblocks))
            for w in widths {
                guard out.count < count else { break }
                let width = Int(w)
                guard width <= 64 else { throw ParquetError("corrupt DELTA_BINARY_PACKED data: bit width \(width)") }
                let packed = try cursor.take(perMiniblock * width / 8)
                var buffer: UInt64 = 0
                var bits = 0
                var index = packed.startIndex
                for _ in 0 ..< perMiniblock {
                    var delta: UInt64 = 0
                    if width > 0 {
                        // Gather `width` bits, which may span more than 64 bits of buffer: read in two steps.
                        var got = 0
                        while got < width {
                            if bits == 0 {
                                buffer = UInt64(packed[index])
                                index += 1
                                bits = 8
                            }
                            let take = min(bits, width - got)
                            let piece = buffer & ((1 << UInt64(take)) - 1)
                            delta |= piece << UInt64(got)
                            buffer >>= UInt64(take)
                            bits -= take
                            got += take
                        }
                    }
                    if out.count < count {
                        current = current &+ minDelta &+ Int64(bitPattern: delta)
                        out.append(current)
                    }
                }
            }
        }
        return out
    }
}

/// A ULEB128 varint (Thrift's compact protocol and Parquet's encodings): 7 bits per byte, low first, at most 10
/// bytes; `tooLong` is thrown past that.
func readVarint(byte: () throws -> UInt8, tooLong: @autoclosure () -> Error) throws -> UInt64 {
    var result: UInt64 = 0
    var shift: UInt64 = 0
    while true {
        let b = try byte()
        guard shift < 64 else { throw tooLong() }
        result |= UInt64(b & 0x7f) << shift
        if b & 0x80 == 0 { return result }
        shift += 7
    }
}

/// The signed value of a zigzag-encoded varint.
func zigzagDecoded(_ raw: UInt64) -> Int64 {
    Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
}
