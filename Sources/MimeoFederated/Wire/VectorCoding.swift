import Foundation

/// Little-endian byte forms of the vectors in federated messages (Codable as `Data`: base64 in JSON,
/// raw bytes in binary coders), with the size checks that make hostile input an error.
public enum VectorCoding {
    /// The most elements any vector in a federated message may hold (2²⁸: 1 GiB of Float32).
    public static let maximumElementCount = 1 << 28

    /// Errors reading a vector from bytes.
    public enum DecodingFailure: Error, Equatable, Sendable {
        case lengthNotMultipleOfElementSize(byteCount: Int)
        case tooManyElements(Int)
        case nonFiniteElement(index: Int)
    }

    /// IEEE-754 binary32 values, little-endian, 4 bytes each.
    public static func encode(_ values: [Float]) -> Data {
        var data = Data(count: values.count * 4)
        data.withUnsafeMutableBytes { raw in
            for (i, value) in values.enumerated() {
                raw.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self)
            }
        }
        return data
    }

    /// The inverse of `encode(_: [Float])`; rejects a ragged length, too many elements and, unless
    /// `allowNonFinite`, NaN and infinities.
    public static func decodeFloats(_ data: Data, allowNonFinite: Bool = false) throws -> [Float] {
        let words = try decodeWords(data)
        var values = [Float](repeating: 0, count: words.count)
        for i in words.indices {
            let value = Float(bitPattern: words[i])
            if !allowNonFinite, !value.isFinite { throw DecodingFailure.nonFiniteElement(index: i) }
            values[i] = value
        }
        return values
    }

    /// Unsigned 32-bit words, little-endian, 4 bytes each.
    public static func encode(_ words: [UInt32]) -> Data {
        var data = Data(count: words.count * 4)
        data.withUnsafeMutableBytes { raw in
            for (i, word) in words.enumerated() { raw.storeBytes(of: word.littleEndian, toByteOffset: 4 * i, as: UInt32.self) }
        }
        return data
    }

    /// The inverse of `encode(_: [UInt32])`; rejects a ragged length and too many elements.
    public static func decodeWords(_ data: Data) throws -> [UInt32] {
        guard data.count % 4 == 0 else { throw DecodingFailure.lengthNotMultipleOfElementSize(byteCount: data.count) }
        let count = data.count / 4
        guard count <= maximumElementCount else { throw DecodingFailure.tooManyElements(count) }
        var words = [UInt32](repeating: 0, count: count)
        data.withUnsafeBytes { raw in
            for i in 0..<count { words[i] = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
        }
        return words
    }
}

/// Validation shared by the Codable wire forms.
enum WireValidation {
    /// The longest site id or job id accepted, in UTF-8 bytes.
    static let maximumIdentifierBytes = 256

    static func isValidIdentifier(_ identifier: String) -> Bool {
        let count = identifier.utf8.count
        return count > 0 && count <= maximumIdentifierBytes
            && !identifier.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }

    static func identifier<Key: CodingKey>(_ container: KeyedDecodingContainer<Key>, _ key: Key) throws -> String {
        let value = try container.decode(String.self, forKey: key)
        guard isValidIdentifier(value) else {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: container,
                debugDescription: "an identifier of 1 to \(maximumIdentifierBytes) UTF-8 bytes without control characters")
        }
        return value
    }

    static func integer<Key: CodingKey>(_ container: KeyedDecodingContainer<Key>, _ key: Key, in range: ClosedRange<Int>) throws -> Int {
        let value = try container.decode(Int.self, forKey: key)
        guard range.contains(value) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "\(value) is outside \(range)")
        }
        return value
    }

    static func number<Key: CodingKey>(_ container: KeyedDecodingContainer<Key>, _ key: Key, where isValid: (Double) -> Bool,
                                       _ description: String) throws -> Double {
        let value = try container.decode(Double.self, forKey: key)
        guard value.isFinite, isValid(value) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "\(value): \(description)")
        }
        return value
    }

    static func vector<Key: CodingKey, Value>(_ container: KeyedDecodingContainer<Key>, _ key: Key,
                                              _ decode: (Data) throws -> Value) throws -> Value {
        let data = try container.decode(Data.self, forKey: key)
        do { return try decode(data) } catch {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "\(error)")
        }
    }
}

/// Orders site ids by their UTF-8 bytes: the one order every party computes identically.
public func siteIDPrecedes(_ a: String, _ b: String) -> Bool {
    a.utf8.lexicographicallyPrecedes(b.utf8)
}
