#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A heap buffer that can be handed to libzmq without a copy.
///
/// ```swift
/// var payload = try ZMQBuffer(count: 64 << 20)
/// payload.withUnsafeMutableBytes { fill($0) }
/// try dealer.sendFrame(payload)   // consumed; libzmq frees it once sent
/// ```
///
/// It is non-copyable, so exactly one owner exists: either this value (which frees the memory
/// when dropped) or libzmq after `ZMQSocket.sendFrame(_:more:dontWait:)`.
public struct ZMQBuffer: ~Copyable {
    private let base: UnsafeMutableRawPointer
    /// The size in bytes.
    public let count: Int

    /// Allocates `count` uninitialised bytes (`malloc`).
    public init(count: Int) throws {
        guard count >= 0 else { throw ZMQUsageError("a buffer cannot have \(count) bytes") }
        guard let base = malloc(Swift.max(count, 1)) else {
            throw ZMQUsageError("could not allocate \(count) bytes for a message frame")
        }
        self.base = base
        self.count = count
    }

    /// Allocates a buffer holding a copy of `bytes`.
    public init(copying bytes: UnsafeRawBufferPointer) throws {
        try self.init(count: bytes.count)
        if let source = bytes.baseAddress, bytes.count > 0 { base.copyMemory(from: source, byteCount: bytes.count) }
    }

    deinit {
        free(base)
    }

    /// Lends the bytes for reading.
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// Lends the bytes for writing.
    public mutating func withUnsafeMutableBytes<Result>(
        _ body: (UnsafeMutableRawBufferPointer) throws -> Result
    ) rethrows -> Result {
        try body(UnsafeMutableRawBufferPointer(start: base, count: count))
    }

    /// Gives up ownership: the caller must `free` the returned pointer (libzmq's callback does).
    consuming func release() -> UnsafeMutableRawPointer {
        let base = self.base
        discard self
        return base
    }
}
