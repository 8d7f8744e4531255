/// One record (row) read by `CSVReader`: its fields as UTF-8 text, and the line it starts on.
///
/// ```swift
/// while let record = try reader.next() {
///     print(record.line, record[0], record.count)
/// }
/// ```
///
/// Fields are unescaped (quotes removed, doubled quotes collapsed) and known to be valid UTF-8.
/// A record is a value: keeping it is safe, and dropping it before the next read lets the reader reuse
/// its storage.
public struct CSVRecord: RandomAccessCollection, Equatable, Sendable {
    /// The 1-based physical line number on which the record starts.
    public let line: Int
    /// The fields' bytes, back to back.
    let bytes: [UInt8]
    /// `ends[i]` is the end offset of field `i` in `bytes`; field `i` starts where field `i - 1` ends.
    let ends: [Int]

    init(line: Int, bytes: [UInt8], ends: [Int]) {
        self.line = line
        self.bytes = bytes
        self.ends = ends
    }

    /// Makes a record from strings (for tests and in-memory sources).
    public init(line: Int, fields: [String]) {
        var bytes: [UInt8] = []
        var ends: [Int] = []
        ends.reserveCapacity(fields.count)
        for field in fields {
            bytes.append(contentsOf: field.utf8)
            ends.append(bytes.count)
        }
        self.init(line: line, bytes: bytes, ends: ends)
    }

    /// Always 0.
    public var startIndex: Int { 0 }
    /// The number of fields.
    public var endIndex: Int { ends.count }

    /// The byte range of field `index` in `bytes`.
    @inline(__always)
    func range(of index: Int) -> Range<Int> {
        (index == 0 ? 0 : ends[index - 1]) ..< ends[index]
    }

    /// The text of field `index` (0-based).
    public subscript(index: Int) -> String {
        withUTF8(field: index) { String(decoding: $0, as: UTF8.self) }
    }

    /// Calls `body` with the UTF-8 bytes of field `index` (0-based), without copying them.
    public func withUTF8<Result>(
        field index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> Result
    ) rethrows -> Result {
        let range = range(of: index)
        return try bytes.withUnsafeBufferPointer { buffer in
            try body(UnsafeBufferPointer(rebasing: buffer[range]))
        }
    }

    /// All fields as strings.
    public var fields: [String] { Array(self) }
}
