import CZlib
import Foundation

/// A stream of bytes read in chunks: a file, standard input, a gzip stream, or memory. (Not API.)
///
/// `read(into:capacity:)` returns 0 only at the end of the stream.
protocol ByteSource: AnyObject {
    func read(into buffer: UnsafeMutablePointer<UInt8>, capacity: Int) throws -> Int
}

/// The current `errno` as text.
func errnoDescription(_ code: Int32 = errno) -> String {
    String(cString: strerror(code))
}

/// Raw bytes from a file descriptor, with a small push-back area so that the first bytes can be peeked.
final class FileSource: ByteSource {
    let name: String
    private let descriptor: Int32
    private let ownsDescriptor: Bool
    private var pending: [UInt8] = []

    /// Opens `path` for reading; `-` means standard input.
    init(path: String) throws {
        name = path
        if path == "-" {
            descriptor = STDIN_FILENO
            ownsDescriptor = false
            return
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw DataError(file: path, message: "cannot open file for reading: \(errnoDescription())")
        }
        descriptor = fd
        ownsDescriptor = true
    }

    deinit {
        if ownsDescriptor { close(descriptor) }
    }

    /// The first `count` bytes of the stream (fewer at its end), without consuming them.
    func peek(_ count: Int) throws -> [UInt8] {
        var chunk = [UInt8](repeating: 0, count: count)
        while pending.count < count {
            let wanted = count - pending.count
            let got = try chunk.withUnsafeMutableBufferPointer { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return try readDescriptor(into: base, capacity: wanted)
            }
            if got == 0 { break }
            pending.append(contentsOf: chunk[0 ..< got])
        }
        return Array(pending.prefix(count))
    }

    func read(into buffer: UnsafeMutablePointer<UInt8>, capacity: Int) throws -> Int {
        guard capacity > 0 else { return 0 }
        if !pending.isEmpty {
            let count = min(capacity, pending.count)
            pending.withUnsafeBufferPointer { source in
                if let base = source.baseAddress { buffer.update(from: base, count: count) }
            }
            pending.removeFirst(count)
            return count
        }
        return try readDescriptor(into: buffer, capacity: capacity)
    }

    private func readDescriptor(into buffer: UnsafeMutablePointer<UInt8>, capacity: Int) throws -> Int {
        while true {
            let got = Foundation.read(descriptor, buffer, capacity)
            if got >= 0 { return got }
            let code = errno
            if code == EINTR { continue }
            throw DataError(file: name, message: "cannot read file: \(errnoDescription(code))")
        }
    }
}

/// Bytes held in memory.
final class MemorySource: ByteSource {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    func read(into buffer: UnsafeMutablePointer<UInt8>, capacity: Int) throws -> Int {
        let count = min(capacity, bytes.count - offset)
        guard count > 0 else { return 0 }
        bytes.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { buffer.update(from: base + offset, count: count) }
        }
        offset += count
        return count
    }
}

/// The decompressed bytes of a gzip (or zlib) stream, inflated by zlib as they are read.
///
/// Concatenated gzip members are read one after another, as `gzip -d` does; bytes after the last member
/// that do not start another member (such as zero padding) are ignored.
final class GzipSource: ByteSource {
    private let input: ByteSource
    private let name: String
    private let stream: UnsafeMutablePointer<z_stream>
    private let inputBuffer: UnsafeMutablePointer<UInt8>
    private let inputCapacity: Int
    private var isInputExhausted = false
    private var isFinished = false
    private var isStreamInitialized = false

    init(input: ByteSource, name: String, inputCapacity: Int = 1 << 18) throws {
        self.input = input
        self.name = name
        self.inputCapacity = inputCapacity
        inputBuffer = .allocate(capacity: inputCapacity)
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // 15 + 32: the largest window, and detect a gzip or zlib header automatically.
        let status = inflateInit2_(stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            throw DataError(file: name, message: "cannot start gzip decompression (zlib status \(status))")
        }
        isStreamInitialized = true
    }

    deinit {
        if isStreamInitialized { inflateEnd(stream) }
        stream.deinitialize(count: 1)
        stream.deallocate()
        inputBuffer.deallocate()
    }

    /// Refills the input buffer when it is empty; returns false at the end of the compressed input.
    private func ensureInput() throws -> Bool {
        if stream.pointee.avail_in > 0 { return true }
        if isInputExhausted { return false }
        let got = try input.read(into: inputBuffer, capacity: inputCapacity)
        if got == 0 {
            isInputExhausted = true
            return false
        }
        stream.pointee.next_in = inputBuffer
        stream.pointee.avail_in = UInt32(got)
        return true
    }

    private func zlibError(_ status: Int32) -> DataError {
        let detail = stream.pointee.msg.map { String(cString: $0) } ?? "zlib status \(status)"
        return DataError(file: name, message: "corrupt gzip data: \(detail)")
    }

    func read(into buffer: UnsafeMutablePointer<UInt8>, capacity: Int) throws -> Int {
        guard capacity > 0, !isFinished else { return 0 }
        let capacity = min(capacity, Int(UInt32.max))
        stream.pointee.next_out = buffer
        stream.pointee.avail_out = UInt32(capacity)
        while stream.pointee.avail_out > 0 {
            guard try ensureInput() else {
                // The compressed input ended inside a member.
                let produced = capacity - Int(stream.pointee.avail_out)
                if produced > 0 { return produced }
                throw DataError(file: name, message: "truncated gzip file: the compressed stream ends early")
            }
            let status = inflate(stream, Z_NO_FLUSH)
            switch status {
            case Z_OK:
                continue
            case Z_STREAM_END:
                // One member is complete: continue only if another gzip member follows.
                if try ensureInput(), let next = stream.pointee.next_in, next.pointee == 0x1f {
                    let reset = inflateReset(stream)
                    guard reset == Z_OK else { throw zlibError(reset) }
                } else {
                    isFinished = true
                    return capacity - Int(stream.pointee.avail_out)
                }
            case Z_BUF_ERROR:
                // No progress with input available cannot happen; treat as a truncated stream defensively.
                let produced = capacity - Int(stream.pointee.avail_out)
                if produced > 0 { return produced }
                throw DataError(file: name, message: "truncated gzip file: the compressed stream ends early")
            default:
                throw zlibError(status)
            }
        }
        return capacity
    }
}
