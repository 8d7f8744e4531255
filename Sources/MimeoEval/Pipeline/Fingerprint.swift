import MimeoData
import MimeoParquet

/// FNV-1a (64-bit) over a sequence of fields, each closed by a separator byte: identifies the
/// reference data and options a mergeable summary's layout depends on (its `profileID`).
///
/// ```swift
/// var fingerprint = Fingerprint()
/// fingerprint.mix("age".utf8)
/// fingerprint.mix(UInt64(binCount))
/// let id = fingerprint.value
/// ```
struct Fingerprint {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    /// Adds one field of bytes.
    mutating func mix(_ bytes: some Sequence<UInt8>) {
        for byte in bytes {
            value ^= UInt64(byte)
            value = value &* 0x100_0000_01b3
        }
        value ^= 0xff
        value = value &* 0x100_0000_01b3
    }

    /// Adds one field: a number's eight little-endian bytes.
    mutating func mix(_ number: UInt64) {
        withUnsafeBytes(of: number.littleEndian) { mix($0) }
    }

    /// Adds a column's name and kind, then its reference values and their counts.
    mutating func mix(_ column: ColumnSchema, points: [Double], counts: [Int]) {
        mix(column.name.utf8)
        mix(column.kind.rawValue.utf8)
        mix(UInt64(points.count))
        for (v, n) in zip(points, counts) {
            mix(v.bitPattern)
            mix(UInt64(n))
        }
    }

    /// Adds a column's name and kind, then its reference categories.
    mutating func mix(_ column: ColumnSchema, vocabulary: [String]) {
        mix(column.name.utf8)
        mix(column.kind.rawValue.utf8)
        for v in vocabulary { mix(v.utf8) }
    }
}

/// Summarises a table file (CSV, gzip, Parquet or a folder of parts) chunk by chunk into one mergeable summary, so memory stays
/// bounded by `chunkRows` whatever the file's length: `summarize(chunk, firstRow)` per chunk
/// (`firstRow` its position in the whole file), merged into `empty` in file order.
func summarizeInChunks<Summary>(csvAt path: String, chunkRows: Int, delimiter: UInt8, missingValues: [String],
                                empty: Summary, merge: (inout Summary, Summary) throws -> Void,
                                _ summarize: (_ chunk: Table, _ firstRow: Int) throws -> Summary) throws -> Summary {
    var summary = empty
    try TableFileLoader(delimiter: delimiter, rowLimit: max(1, chunkRows), missingValues: missingValues)
        .forEachChunk(path: path) { chunk, firstRow in try merge(&summary, summarize(chunk, firstRow)) }
    return summary
}
