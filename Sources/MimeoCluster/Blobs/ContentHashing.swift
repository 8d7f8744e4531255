import Crypto
import Foundation
import MimeoWire

extension ContentHash {
    /// The SHA-256 of `bytes`.
    public static func sha256(_ bytes: some Collection<UInt8>) -> ContentHash {
        var hasher = ContentHasher()
        hasher.update(Array(bytes))
        return hasher.finalize()
    }

    /// The SHA-256 and size of the file at `path`, read in 1 MiB pieces.
    public static func sha256(file path: String) throws -> (hash: ContentHash, bytes: UInt64) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw BlobError("\(path): cannot be opened for reading")
        }
        defer { try? handle.close() }
        var hasher = ContentHasher()
        while true {
            let piece = try handle.read(upToCount: 1 << 20) ?? Data()
            if piece.isEmpty { break }
            piece.withUnsafeBytes { hasher.update($0) }
        }
        return (hasher.finalize(), hasher.byteCount)
    }
}

/// SHA-256 over bytes given in pieces (model files, part files).
public struct ContentHasher {
    private var hasher = SHA256()
    /// Bytes hashed so far.
    public private(set) var byteCount: UInt64 = 0

    public init() {}

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        hasher.update(bufferPointer: bytes)
        byteCount += UInt64(bytes.count)
    }

    /// The digest of everything hashed.
    public func finalize() -> ContentHash {
        ContentHash(bytes: Array(hasher.finalize()))!
    }
}

/// Why a blob cannot be stored, read or fetched.
public struct BlobError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
