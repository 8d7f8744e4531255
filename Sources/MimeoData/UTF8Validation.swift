/// UTF-8 checks on raw bytes. (Not API.)
enum UTF8Validation {
    /// The offset of the first byte that does not start or continue a well-formed UTF-8 sequence, or nil
    /// when all of `bytes` is valid UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
    static func firstInvalidOffset(in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        let count = bytes.count
        var i = 0
        while i < count {
            let lead = bytes[i]
            if lead < 0x80 {
                i += 1
                continue
            }
            let length: Int
            var low: UInt8 = 0x80
            var high: UInt8 = 0xBF
            switch lead {
            case 0xC2 ... 0xDF: length = 2
            case 0xE0: length = 3; low = 0xA0
            case 0xE1 ... 0xEC, 0xEE ... 0xEF: length = 3
            case 0xED: length = 3; high = 0x9F
            case 0xF0: length = 4; low = 0x90
            case 0xF1 ... 0xF3: length = 4
            case 0xF4: length = 4; high = 0x8F
            default: return i
            }
            guard i + 1 < count, bytes[i + 1] >= low, bytes[i + 1] <= high else { return i }
            var k = 2
            while k < length {
                guard i + k < count, bytes[i + k] >= 0x80, bytes[i + k] <= 0xBF else { return i }
                k += 1
            }
            i += length
        }
        return nil
    }
}
