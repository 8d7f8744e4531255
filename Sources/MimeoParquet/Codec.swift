import CSnappy
import CZlib
import CZstd

/// Page compression: ZSTD, SNAPPY and GZIP through the system libraries, or none.
enum PageCodec {
    /// The codecs the writer can write.
    static let writable: [ParquetCodec] = [.uncompressed, .snappy, .zstd, .gzip]

    /// `bytes` compressed with `codec`.
    static func compress(_ bytes: [UInt8], codec: ParquetCodec, level: Int32 = 3) throws -> [UInt8] {
        switch codec {
        case .uncompressed:
            return bytes
        case .zstd:
            let bound = ZSTD_compressBound(bytes.count)
            var out = [UInt8](repeating: 0, count: bound)
            let written = out.withUnsafeMutableBytes { o in
                bytes.withUnsafeBytes { i in ZSTD_compress(o.baseAddress, bound, i.baseAddress, i.count, level) }
            }
            if ZSTD_isError(written) != 0 {
                throw ParquetError("zstd compression failed: \(String(cString: ZSTD_getErrorName(written)))")
            }
            out.removeSubrange(written...)
            return out
        case .snappy:
            // Snappy's encoding of nothing: a zero length.
            if bytes.isEmpty { return [0] }
            var length = snappy_max_compressed_length(bytes.count)
            var out = [UInt8](repeating: 0, count: length)
            let status = out.withUnsafeMutableBytes { o in
                bytes.withUnsafeBytes { i in
                    snappy_compress(i.baseAddress!.assumingMemoryBound(to: CChar.self), i.count,
                                    o.baseAddress!.assumingMemoryBound(to: CChar.self), &length)
                }
            }
            guard status == SNAPPY_OK else { throw ParquetError("snappy compression failed (status \(status.rawValue))") }
            out.removeSubrange(length...)
            return out
        case .gzip:
            return try gzip(bytes)
        default:
            throw ParquetError("the \(codec) codec is not supported for writing; use zstd, snappy, gzip or none")
        }
    }

    /// `bytes` decompressed with `codec`, which must give exactly `size` bytes.
    static func decompress(_ bytes: ArraySlice<UInt8>, codec: ParquetCodec, size: Int) throws -> [UInt8] {
        guard size >= 0, size <= 1 << 31 else { throw ParquetError("a page claims an uncompressed size of \(size) bytes") }
        switch codec {
        case .uncompressed:
            guard bytes.count == size else {
                throw ParquetError("an uncompressed page holds \(bytes.count) bytes but its header says \(size)")
            }
            return Array(bytes)
        case .zstd:
            // Check the frame's own size before allocating what a corrupted header may claim.
            let frameSize = bytes.withUnsafeBytes { ZSTD_getFrameContentSize($0.baseAddress, $0.count) }
            let unknown = UInt64.max  // ZSTD_CONTENTSIZE_UNKNOWN
            if frameSize == unknown {
                guard size <= bytes.count * 64 + (1 << 20) else { throw ParquetError("corrupt zstd page: implausible size \(size)") }
            } else if frameSize != UInt64(size) {
                throw ParquetError("corrupt zstd page: the frame holds \(frameSize) bytes, its header says \(size)")
            }
            var out = [UInt8](repeating: 0, count: size)
            let got = out.withUnsafeMutableBytes { o in
                bytes.withUnsafeBytes { i in ZSTD_decompress(o.baseAddress, size, i.baseAddress, i.count) }
            }
            if ZSTD_isError(got) != 0 {
                throw ParquetError("corrupt zstd page: \(String(cString: ZSTD_getErrorName(got)))")
            }
            guard got == size else { throw ParquetError("a zstd page decompressed to \(got) bytes, its header says \(size)") }
            return out
        case .snappy:
            guard !bytes.isEmpty else { throw ParquetError("corrupt snappy page: no bytes") }
            var length = 0
            let lengthStatus = bytes.withUnsafeBytes { i in
                snappy_uncompressed_length(i.baseAddress!.assumingMemoryBound(to: CChar.self), i.count, &length)
            }
            guard lengthStatus == SNAPPY_OK, length == size else {
                throw ParquetError("corrupt snappy page: its length prefix does not give the header's \(size) bytes")
            }
            var out = [UInt8](repeating: 0, count: max(size, 1))
            var outLength = size
            let status = out.withUnsafeMutableBytes { o in
                bytes.withUnsafeBytes { i in
                    snappy_uncompress(i.baseAddress!.assumingMemoryBound(to: CChar.self), i.count,
                                      o.baseAddress!.assumingMemoryBound(to: CChar.self), &outLength)
                }
            }
            guard status == SNAPPY_OK, outLength == size else { throw ParquetError("corrupt snappy page") }
            out.removeSubrange(size...)
            return out
        case .gzip:
            return try gunzip(bytes, size: size)
        default:
            throw ParquetError("the \(codec) codec is not supported (supported: UNCOMPRESSED, SNAPPY, GZIP, ZSTD)")
        }
    }

    private static func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        var stream = z_stream()
        // 15 + 16: the largest window, with a gzip header.
        guard deflateInit2_(&stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
                            Int32(MemoryLayout<z_stream>.size)) == Z_OK else { throw ParquetError("cannot start gzip compression") }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, UInt(bytes.count))) + 32
        var out = [UInt8](repeating: 0, count: bound)
        var input = bytes
        let status = input.withUnsafeMutableBufferPointer { i in
            out.withUnsafeMutableBufferPointer { o -> Int32 in
                stream.next_in = i.baseAddress
                stream.avail_in = UInt32(i.count)
                stream.next_out = o.baseAddress
                stream.avail_out = UInt32(o.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { throw ParquetError("gzip compression failed (zlib status \(status))") }
        out.removeSubrange(Int(stream.total_out)...)
        return out
    }

    private static func gunzip(_ bytes: ArraySlice<UInt8>, size: Int) throws -> [UInt8] {
        var stream = z_stream()
        // 15 + 32: detect a gzip or zlib header.
        guard inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw ParquetError("cannot start gzip decompression")
        }
        defer { inflateEnd(&stream) }
        // Deflate compresses at most about 1032:1.
        guard size <= bytes.count * 1032 + 1024 else { throw ParquetError("corrupt gzip page: implausible size \(size)") }
        var out = [UInt8](repeating: 0, count: size + 1)
        var input = Array(bytes)
        let status = input.withUnsafeMutableBufferPointer { i in
            out.withUnsafeMutableBufferPointer { o -> Int32 in
                stream.next_in = i.baseAddress
                stream.avail_in = UInt32(i.count)
                stream.next_out = o.baseAddress
                stream.avail_out = UInt32(o.count)
                return inflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END, Int(stream.total_out) == size else {
            throw ParquetError("corrupt gzip page (zlib status \(status), \(stream.total_out) bytes of \(size))")
        }
        out.removeLast()
        return out
    }
}

/// A gzip stream compressed as it is written (zlib's deflate), for `.csv.gz` output.
///
/// ```swift
/// let gzip = try GzipCompressor()
/// try out.write(gzip.compress(bytes))
/// try out.write(gzip.finish())
/// ```
public final class GzipCompressor {
    private var stream = z_stream()
    private var isFinished = false

    /// - Parameter level: 1 (fastest) … 9 (smallest); 6 is gzip's default.
    public init(level: Int32 = 6) throws {
        // 15 + 16: the largest window, with a gzip header.
        guard deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
                            Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw ParquetError("cannot start gzip compression")
        }
    }

    deinit {
        deflateEnd(&stream)
    }

    private func run(_ bytes: [UInt8], flush: Int32) throws -> [UInt8] {
        var input = bytes
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        try input.withUnsafeMutableBufferPointer { i in
            stream.next_in = i.baseAddress
            stream.avail_in = UInt32(i.count)
            repeat {
                let status = chunk.withUnsafeMutableBufferPointer { o -> Int32 in
                    stream.next_out = o.baseAddress
                    stream.avail_out = UInt32(o.count)
                    return deflate(&stream, flush)
                }
                guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                    throw ParquetError("gzip compression failed (zlib status \(status))")
                }
                out.append(contentsOf: chunk[0 ..< chunk.count - Int(stream.avail_out)])
                if status == Z_STREAM_END { break }
            } while stream.avail_out == 0 || (flush == Z_FINISH)
        }
        stream.next_in = nil
        return out
    }

    /// Compresses `bytes`; returns the compressed bytes ready so far.
    public func compress(_ bytes: [UInt8]) throws -> [UInt8] {
        precondition(!isFinished, "compress after finish()")
        return try run(bytes, flush: Z_NO_FLUSH)
    }

    /// Ends the stream; returns its last bytes.
    public func finish() throws -> [UInt8] {
        guard !isFinished else { return [] }
        isFinished = true
        return try run([], flush: Z_FINISH)
    }
}
