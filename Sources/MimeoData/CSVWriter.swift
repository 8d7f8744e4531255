import Foundation

/// A fast RFC 4180 CSV writer: fields are buffered as bytes and written in large blocks.
///
/// ```swift
/// let writer = try CSVWriter(path: "synthetic.csv")     // atomic: appears on close()
/// try writer.writeRow(["name", "note"])
/// writer.writeField("Ada")
/// writer.writeField(nil)                               // missing: an empty field
/// try writer.endRow()
/// try writer.close()
/// ```
///
/// A field is quoted only when it contains the delimiter, a quote, `\r` or `\n`; quotes inside are doubled.
/// Leading and trailing spaces are written as they are, unquoted. Rows end with `\n`. A missing value is
/// an empty field; a row made of one empty field is written as `""`, so that it is not a blank line.
///
/// Bytes reach the output when the buffer passes `bufferSize`, on `flush()` and on `close()`. A writer
/// opened with a path writes through an `AtomicFileOutput`: the file appears only on `close()`, and is
/// removed if the writer is dropped without it.
public final class CSVWriter {
    /// Where the bytes go.
    private enum Sink {
        case atomic(AtomicFileOutput)
        case descriptor(Int32)
    }

    /// The one-byte field delimiter.
    public let delimiter: UInt8
    /// The name of the output, for error messages.
    public let name: String
    /// The number of rows ended so far (the header counts as a row).
    public var rowCount: Int { state.pointee.rowCount }
    /// The number of bytes produced so far (written or still buffered).
    public var bytesWritten: Int { state.pointee.flushedByteCount + state.pointee.buffer.count }

    /// The mutable state, behind a pointer so that the per-field hot path pays no exclusivity checks.
    private struct State {
        var buffer: ByteBuffer
        var rowCount = 0
        var flushedByteCount = 0
        var fieldsInRow = 0
        /// Where the current row starts in `buffer`.
        var rowStart = 0
        var isClosed = false
    }

    private let sink: Sink
    private let bufferSize: Int
    private let state: UnsafeMutablePointer<State>

    /// Writes to `path` atomically (`-` is standard output).
    ///
    /// - Parameters:
    ///   - path: The output file; it appears (or is replaced) only on `close()`.
    ///   - delimiter: The field delimiter byte; it must not be `"`, `\r` or `\n`.
    ///   - bufferSize: How many bytes to buffer before writing.
    public convenience init(path: String, delimiter: UInt8 = UInt8(ascii: ","), bufferSize: Int = 1 << 20) throws {
        self.init(output: try AtomicFileOutput(path: path), delimiter: delimiter, bufferSize: bufferSize)
    }

    /// Writes to an atomic output; `close()` commits it.
    public init(output: AtomicFileOutput, delimiter: UInt8 = UInt8(ascii: ","), bufferSize: Int = 1 << 20) {
        self.sink = .atomic(output)
        self.name = output.path
        self.delimiter = delimiter
        self.bufferSize = max(bufferSize, 1)
        Self.checkDelimiter(delimiter)
        state = .allocate(capacity: 1)
        state.initialize(to: State(buffer: ByteBuffer(capacity: self.bufferSize + 4096)))
    }

    /// Writes to an open file handle, which stays open and owned by the caller.
    ///
    /// - Parameters:
    ///   - fileHandle: Where to write (for example `FileHandle.standardOutput`).
    ///   - name: The name used in error messages.
    public init(
        fileHandle: FileHandle, name: String = "<output>", delimiter: UInt8 = UInt8(ascii: ","),
        bufferSize: Int = 1 << 20
    ) {
        self.sink = .descriptor(fileHandle.fileDescriptor)
        self.name = name
        self.delimiter = delimiter
        self.bufferSize = max(bufferSize, 1)
        Self.checkDelimiter(delimiter)
        state = .allocate(capacity: 1)
        state.initialize(to: State(buffer: ByteBuffer(capacity: self.bufferSize + 4096)))
    }

    deinit {
        // A file handle gets what was buffered (best effort); an uncommitted atomic output is discarded.
        if case .descriptor = sink, !state.pointee.isClosed { try? flush() }
        state.pointee.buffer.deallocate()
        state.deinitialize(count: 1)
        state.deallocate()
    }

    private static func checkDelimiter(_ delimiter: UInt8) {
        precondition(delimiter != UInt8(ascii: "\"") && delimiter != 0x0A && delimiter != 0x0D,
                     "the delimiter cannot be a quote or a line break")
    }

    // MARK: - Fields and rows

    /// Appends one field given as UTF-8 bytes, quoting it if needed.
    public func writeField(utf8 bytes: UnsafeBufferPointer<UInt8>) {
        let delimiter = delimiter
        if state.pointee.fieldsInRow > 0 { state.pointee.buffer.append(delimiter) }
        state.pointee.fieldsInRow += 1
        let quote = UInt8(ascii: "\"")
        var needsQuotes = false
        for byte in bytes where byte == delimiter || byte == quote || byte == 0x0A || byte == 0x0D {
            needsQuotes = true
            break
        }
        guard needsQuotes, let base = bytes.baseAddress else {
            state.pointee.buffer.append(bytes)
            return
        }
        state.pointee.buffer.append(quote)
        var runStart = 0
        for index in 0 ..< bytes.count where bytes[index] == quote {
            state.pointee.buffer.append(base + runStart, count: index + 1 - runStart)
            state.pointee.buffer.append(quote)
            runStart = index + 1
        }
        state.pointee.buffer.append(base + runStart, count: bytes.count - runStart)
        state.pointee.buffer.append(quote)
    }

    /// Appends one field given as UTF-8 bytes, quoting it if needed.
    public func writeField<Bytes: Collection<UInt8>>(utf8 bytes: Bytes) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { writeField(utf8: $0) }
        if done == nil { Array(bytes).withUnsafeBufferPointer { writeField(utf8: $0) } }
    }

    /// Appends one field; nil (a missing value) is written as an empty field.
    public func writeField(_ value: String?) {
        guard var value else {
            writeMissing()
            return
        }
        let done: Void? = value.utf8.withContiguousStorageIfAvailable { writeField(utf8: $0) }
        if done == nil {
            value.makeContiguousUTF8()
            value.utf8.withContiguousStorageIfAvailable { writeField(utf8: $0) }
        }
    }

    /// Appends one field.
    public func writeField(_ value: Substring) {
        writeField(utf8: value.utf8)
    }

    /// Appends a missing value (an empty field).
    public func writeMissing() {
        if state.pointee.fieldsInRow > 0 { state.pointee.buffer.append(delimiter) }
        state.pointee.fieldsInRow += 1
    }

    /// Ends the current row with `\n`, and writes the buffer out once it is full.
    ///
    /// - Throws: `DataError` if writing fails.
    public func endRow() throws {
        if state.pointee.fieldsInRow == 1 && state.pointee.buffer.count == state.pointee.rowStart {
            // A lone empty field would be a blank line, which readers skip.
            state.pointee.buffer.append(UInt8(ascii: "\""))
            state.pointee.buffer.append(UInt8(ascii: "\""))
        }
        state.pointee.buffer.append(0x0A)
        state.pointee.fieldsInRow = 0
        state.pointee.rowCount += 1
        if state.pointee.buffer.count >= bufferSize { try flush() }
        state.pointee.rowStart = state.pointee.buffer.count
    }

    /// Writes one row (nil entries are missing values) and ends it.
    public func writeRow(_ fields: [String?]) throws {
        for field in fields { writeField(field) }
        try endRow()
    }

    /// Writes a table: its header, then its rows.
    public func write(_ table: Table) throws {
        try writeRow(table.columnNames)
        let columns = table.columns
        for row in 0 ..< table.rowCount {
            for column in columns.indices { writeField(columns[column][row]) }
            try endRow()
        }
    }

    // MARK: - Output

    /// Writes the buffered bytes to the output (a partial row stays buffered).
    ///
    /// - Throws: `DataError` if writing fails.
    public func flush() throws {
        let complete = state.pointee.fieldsInRow == 0 ? state.pointee.buffer.count : state.pointee.rowStart
        guard complete > 0 else { return }
        let block = UnsafeRawBufferPointer(state.pointee.buffer.slice(0 ..< complete))
        switch sink {
        case .atomic(let output):
            try output.write(block)
        case .descriptor(let descriptor):
            try Self.write(block, to: descriptor, name: name)
        }
        state.pointee.flushedByteCount += complete
        state.pointee.buffer.removeFirst(complete)
        state.pointee.rowStart = 0
    }

    /// Flushes, and commits an atomic output so that the file appears at its path.
    ///
    /// - Throws: `DataError` if writing or committing fails.
    public func close() throws {
        guard !state.pointee.isClosed else { return }
        if state.pointee.fieldsInRow > 0 { try endRow() }
        try flush()
        state.pointee.isClosed = true
        if case .atomic(let output) = sink { try output.commit() }
    }

    private static func write(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32, name: String) throws {
        guard var pointer = bytes.baseAddress else { return }
        var remaining = bytes.count
        while remaining > 0 {
            let written = Foundation.write(descriptor, pointer, remaining)
            if written < 0 {
                let code = errno
                if code == EINTR { continue }
                throw DataError(file: name, message: "cannot write: \(errnoDescription(code))")
            }
            pointer += written
            remaining -= written
        }
    }
}
