import MimeoWire

/// The receiving side of the spec's "Fetching a model" dialog for one blob: which MODEL-GETs to send, and the
/// bytes of each MODEL-CHUNK in file order. A pure state machine (no sockets, no files); the caller writes the
/// bytes it returns to a `BlobWriter` and checks the hash at the end.
///
/// ```swift
/// var download = BlobDownload(hash: job.modelHash, totalBytes: job.modelBytes, chunkSize: welcome.chunkSize)
/// for get in download.requests() { send(.modelGet(get)) }
/// // on each MODEL-CHUNK:
/// for piece in try download.accept(chunk) { try writer.append(piece) }
/// for get in download.requests() { send(.modelGet(get)) }
/// if download.isComplete { try writer.commit(expecting: download.hash) }
/// ```
public struct BlobDownload: Sendable {
    /// The blob's SHA-256.
    public let hash: ContentHash
    /// The blob's size, as announced by whoever asked for it (a job's `modelBytes`).
    public let totalBytes: UInt64
    /// Bytes per MODEL-GET.
    public let chunkSize: UInt32
    /// MODEL-GETs outstanding at once (the spec recommends 4).
    public let window: Int

    /// Offset of the next MODEL-GET to send.
    private var nextRequest: UInt64 = 0
    /// Offsets asked for and not answered yet.
    private var outstanding: Set<UInt64> = []
    /// Chunks that arrived ahead of `delivered`.
    private var early: [UInt64: [UInt8]] = [:]
    /// Bytes handed to the caller, in order.
    public private(set) var delivered: UInt64 = 0

    public init(hash: ContentHash, totalBytes: UInt64, chunkSize: UInt32, window: Int = 4) {
        self.hash = hash
        self.totalBytes = totalBytes
        self.chunkSize = max(1, min(chunkSize, ProtocolVersion.maxChunkBytes))
        self.window = max(1, window)
    }

    /// Whether every byte has been delivered.
    public var isComplete: Bool { delivered == totalBytes }

    /// The MODEL-GETs to send now to keep `window` outstanding.
    public mutating func requests() -> [ModelGet] {
        var gets: [ModelGet] = []
        while outstanding.count < window, nextRequest < totalBytes {
            let length = UInt32(min(UInt64(chunkSize), totalBytes - nextRequest))
            gets.append(ModelGet(hash: hash, offset: nextRequest, length: length))
            outstanding.insert(nextRequest)
            nextRequest += UInt64(length)
        }
        return gets
    }

    /// Takes one MODEL-CHUNK and returns the bytes that are now next in file order (possibly none, when it
    /// arrived early).
    ///
    /// - Throws: `BlobError` for a chunk of another blob, of another size, at an offset not asked for, or of the
    ///   wrong length: the download cannot go on.
    public mutating func accept(_ chunk: ModelChunk) throws -> [[UInt8]] {
        guard chunk.hash == hash else { throw BlobError("a chunk of model \(chunk.hash) arrived while fetching \(hash)") }
        guard chunk.total == totalBytes else {
            throw BlobError("model \(hash) is \(chunk.total) bytes at its source, not \(totalBytes) as the job says")
        }
        guard outstanding.remove(chunk.offset) != nil else {
            throw BlobError("model \(hash): a chunk at offset \(chunk.offset) was not asked for")
        }
        let expected = min(UInt64(chunkSize), totalBytes - chunk.offset)
        guard UInt64(chunk.data.count) == expected else {
            throw BlobError("model \(hash): the chunk at offset \(chunk.offset) has \(chunk.data.count) bytes, not \(expected)")
        }
        early[chunk.offset] = chunk.data
        var ready: [[UInt8]] = []
        while let next = early.removeValue(forKey: delivered) {
            delivered += UInt64(next.count)
            ready.append(next)
        }
        return ready
    }
}
