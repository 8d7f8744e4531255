import Foundation
import MimeoData
import MimeoWire

/// A folder of content-addressed blobs (model files): each is stored as `<root>/<sha256 in hex>` and only ever
/// appears under that name once its bytes have been checked against it (docs/cluster.md, "Models").
///
/// The coordinator keeps the models of its jobs in one (`<state>.models/`); a worker caches the models it
/// fetched in another, so it fetches each model once.
public struct BlobStore: Sendable {
    /// The folder.
    public let root: String

    /// A store in `root`, created if missing.
    public init(root: String) throws {
        self.root = root
        do {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        } catch {
            throw BlobError("\(root): cannot create the model cache folder (\(error.localizedDescription))")
        }
    }

    /// Where the blob `hash` lives (whether or not it is there).
    public func path(for hash: ContentHash) -> String {
        (root as NSString).appendingPathComponent(hash.description)
    }

    /// The size of blob `hash`, or nil when the store does not hold it.
    public func size(of hash: ContentHash) -> UInt64? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path(for: hash)),
              let size = attributes[.size] as? NSNumber else { return nil }
        return size.uint64Value
    }

    /// Whether the store holds blob `hash`.
    public func contains(_ hash: ContentHash) -> Bool { size(of: hash) != nil }

    /// Up to `length` bytes of blob `hash` from `offset` (fewer at the end).
    public func read(_ hash: ContentHash, offset: UInt64, length: Int) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path(for: hash)) else {
            throw BlobError("no model \(hash) in \(root)")
        }
        defer { try? handle.close() }
        try handle.seek(toOffset: offset)
        return [UInt8](try handle.read(upToCount: length) ?? Data())
    }

    /// Copies the file at `path` into the store (hashing it on the way) and returns its hash and size. A blob
    /// already present is kept.
    @discardableResult
    public func insert(file path: String) throws -> (hash: ContentHash, bytes: UInt64) {
        guard let input = FileHandle(forReadingAtPath: path) else {
            throw BlobError("\(path): cannot be opened for reading")
        }
        defer { try? input.close() }
        let writer = try BlobWriter(store: self)
        do {
            while true {
                let piece = try input.read(upToCount: 1 << 20) ?? Data()
                if piece.isEmpty { break }
                try writer.append([UInt8](piece))
            }
            let hash = writer.hash
            try writer.commit(expecting: hash)
            return (hash, writer.byteCount)
        } catch {
            writer.discard()
            throw error
        }
    }
}

/// Writes one blob into a `BlobStore` through a temporary file, hashing it on the way; `commit(expecting:)`
/// renames it into place only when its SHA-256 is the one expected.
public final class BlobWriter {
    private let store: BlobStore
    private let output: AtomicFileOutput
    private var hasher = ContentHasher()
    private var isOpen = true

    /// A writer of a new blob of `store`.
    public init(store: BlobStore) throws {
        self.store = store
        // The final name is known only at the end: write under a placeholder name in the store's folder and
        // rename it onto the hash.
        output = try AtomicFileOutput(path: (store.root as NSString).appendingPathComponent(".incoming-\(UUID().uuidString)"))
    }

    /// Bytes written so far.
    public var byteCount: UInt64 { hasher.byteCount }

    /// The SHA-256 of the bytes written so far.
    public var hash: ContentHash { hasher.finalize() }

    public func append(_ bytes: [UInt8]) throws {
        try output.write(bytes)
        hasher.update(bytes)
    }

    /// Checks the bytes against `expected` and moves them to the blob's final name; on a mismatch the bytes are
    /// removed and `BlobError` is thrown.
    public func commit(expecting expected: ContentHash) throws {
        guard isOpen else { throw BlobError("blob writer already closed") }
        isOpen = false
        let actual = hasher.finalize()
        guard actual == expected else {
            output.discard()
            throw BlobError("model bytes hash to \(actual), not \(expected); discarded")
        }
        try output.commit()
        let temporary = output.path
        let final = store.path(for: expected)
        if rename(temporary, final) != 0 {
            let code = errno
            unlink(temporary)
            throw BlobError("\(final): cannot be stored (\(String(cString: strerror(code))))")
        }
    }

    /// Drops the bytes written.
    public func discard() {
        guard isOpen else { return }
        isOpen = false
        output.discard()
    }
}
