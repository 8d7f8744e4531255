import Foundation

/// A streaming RFC 4180 CSV reader over a file, standard input, or bytes in memory.
///
/// ```swift
/// let reader = try CSVReader(path: "flights.csv.gz")
/// print(reader.header)                      // ["year", "month", …]
/// while let record = try reader.next() {
///     let tail = record[11]                 // String
/// }
/// print(reader.bytesRead)                   // decompressed bytes parsed
/// ```
///
/// The reader parses bytes in large chunks (1 MiB by default). It accepts:
/// - quoted fields with embedded delimiters, line breaks and doubled quotes (`"a ""b"""`);
/// - `\n`, `\r\n` (and lone `\r`) line endings, mixed freely;
/// - a UTF-8 byte order mark at the start;
/// - gzip input, detected by its magic bytes `1f 8b` (so `.csv.gz` works whatever its name), inflated by
///   zlib as it is read; concatenated gzip members are read in order.
///
/// The delimiter is given, or detected from the first 64 KiB when `delimiter` is nil (see
/// `detectDelimiter(in:isWholeInput:)`).
///
/// The first record is the header. Every later record must have as many fields as the header. Blank lines
/// are skipped, except in a one-column file, where a blank line is a record holding one empty field
/// (that is how a missing value is written there).
///
/// Errors are `DataError`s naming the file, the 1-based physical line and field number, the column name
/// when known, and what was expected. Any input bytes give either records or an error, never a crash.
/// After a ragged-row or UTF-8 error, reading continues with the next record; after a quoting error,
/// what follows is unspecified.
public final class CSVReader {
    /// The file name used in error messages (the path as given, or the name given for memory input).
    public let path: String
    /// The one-byte field delimiter (`,` by default; `;`, `\t` and `|` are common): as given, or detected.
    public private(set) var delimiter: UInt8
    /// Whether `delimiter` was detected from the input (the reader was opened with a nil delimiter).
    public let delimiterWasDetected: Bool
    /// The column names from the first record, in file order.
    public private(set) var header: [String] = []
    /// The physical line the header starts on (1 unless blank lines precede it).
    public private(set) var headerLine = 1
    /// Whether the input was gzip-compressed.
    public let isCompressed: Bool

    /// The number of CSV bytes (after decompression, including any byte order mark) parsed so far.
    public var bytesRead: Int { bytesBeforeChunk + position }

    private let source: ByteSource
    private let chunk: UnsafeMutablePointer<UInt8>
    private let chunkCapacity: Int
    private var chunkCount = 0
    private var position = 0
    private var bytesBeforeChunk = 0
    private var isAtEnd = false

    /// `specialBytes[b] != 0` for the bytes that end a run of ordinary field bytes.
    private let specialBytes: UnsafeMutablePointer<UInt8>

    /// The fields of the record just read (owned by the reader, reused for every record).
    let record: UnsafeMutablePointer<RecordBuffer>
    private var parser = ParserState()
    /// The line on which the record just read starts.
    var recordLine: Int { parser.recordLine }

    /// Opens the CSV file at `path` (`-` is standard input) and reads its header.
    ///
    /// - Parameters:
    ///   - path: The file to read; gzip-compressed files are detected and inflated.
    ///   - delimiter: The field delimiter byte; `"`, `\r` and `\n` are refused with a `DataError`. Nil
    ///     detects it from the start of the input.
    ///   - chunkSize: How many bytes to parse at a time.
    /// - Throws: `DataError` if the file cannot be opened, is empty, or has a bad header.
    public convenience init(path: String, delimiter: UInt8? = UInt8(ascii: ","), chunkSize: Int = 1 << 20) throws {
        let file = try FileSource(path: path)
        let magic = try file.peek(2)
        if magic == [0x1f, 0x8b] {
            try self.init(source: GzipSource(input: file, name: path), name: path, isCompressed: true,
                          delimiter: delimiter, chunkSize: chunkSize)
        } else {
            try self.init(source: file, name: path, isCompressed: false, delimiter: delimiter, chunkSize: chunkSize)
        }
    }

    /// Reads CSV text held in memory (gzip-compressed bytes are detected and inflated too).
    ///
    /// - Parameters:
    ///   - bytes: The CSV bytes.
    ///   - name: The name used in error messages.
    ///   - delimiter: The field delimiter byte; nil detects it.
    ///   - chunkSize: How many bytes to parse at a time.
    public convenience init(
        bytes: [UInt8], name: String = "<memory>", delimiter: UInt8? = UInt8(ascii: ","), chunkSize: Int = 1 << 20
    ) throws {
        let memory = MemorySource(bytes)
        if bytes.count >= 2, bytes[0] == 0x1f, bytes[1] == 0x8b {
            try self.init(source: GzipSource(input: memory, name: name), name: name, isCompressed: true,
                          delimiter: delimiter, chunkSize: chunkSize)
        } else {
            try self.init(source: memory, name: name, isCompressed: false, delimiter: delimiter, chunkSize: chunkSize)
        }
    }

    /// Reads CSV text held in a string.
    public convenience init(string: String, name: String = "<memory>", delimiter: UInt8? = UInt8(ascii: ",")) throws {
        try self.init(bytes: Array(string.utf8), name: name, delimiter: delimiter)
    }

    private init(source: ByteSource, name: String, isCompressed: Bool, delimiter: UInt8?, chunkSize: Int) throws {
        if let delimiter, delimiter == UInt8(ascii: "\"") || delimiter == 0x0A || delimiter == 0x0D {
            throw DataError(file: name, message: "invalid delimiter \(CSVReader.describe(delimiter)): expected a byte "
                                + "other than a quote or a line break")
        }
        self.source = source
        self.path = name
        self.isCompressed = isCompressed
        self.delimiter = delimiter ?? UInt8(ascii: ",")
        delimiterWasDetected = delimiter == nil
        chunkCapacity = max(chunkSize, 4)
        chunk = .allocate(capacity: chunkCapacity)
        record = .allocate(capacity: 1)
        record.initialize(to: RecordBuffer())
        specialBytes = .allocate(capacity: 256)
        specialBytes.initialize(repeating: 0, count: 256)
        try readFirstChunk(minimum: delimiter == nil ? min(chunkCapacity, Self.detectionSampleSize) : 3)
        if delimiter == nil {
            self.delimiter = Self.detectDelimiter(in: UnsafeBufferPointer(start: chunk + position, count: chunkCount - position),
                                                  isWholeInput: isAtEnd)
        }
        for byte in [self.delimiter, UInt8(ascii: "\""), 0x0A, 0x0D] { specialBytes[Int(byte)] = 1 }
        try readHeader()
    }

    deinit {
        chunk.deallocate()
        specialBytes.deallocate()
        record.pointee.deallocate()
        record.deinitialize(count: 1)
        record.deallocate()
    }

    /// The next data record, or nil at the end of the input.
    ///
    /// - Throws: `DataError` for a ragged row, bad quoting or invalid UTF-8.
    public func next() throws -> CSVRecord? {
        guard try readRecord() else { return nil }
        return CSVRecord(line: parser.recordLine, bytes: record.pointee.byteArray, ends: record.pointee.endArray)
    }

    /// Reads the next data record and hands each of its fields, in order, to `body` as UTF-8 bytes that
    /// are valid only during the call (no `String` is made); returns false at the end of the input.
    ///
    /// - Throws: `DataError` for a ragged row, bad quoting or invalid UTF-8; whatever `body` throws.
    public func readFields(_ body: (_ field: UnsafeBufferPointer<UInt8>, _ column: Int) throws -> Void) throws -> Bool {
        guard try readRecord() else { return false }
        for column in 0 ..< header.count { try body(record.pointee.field(column), column) }
        return true
    }

    /// Reads the next data record into `record` and checks it; returns false at the end of the input.
    func readRecord() throws -> Bool {
        guard try readRawRecord() else { return false }
        let found = record.pointee.fieldCount
        if found != header.count {
            let expected = header.count
            throw error("expected \(expected) fields, found \(found)", line: parser.recordLine,
                        column: min(found, expected) + 1)
        }
        try validateUTF8()
        return true
    }

    /// Reads up to `limit` further records (all remaining ones when nil), as strings.
    public func readAll(limit: Int? = nil) throws -> [[String]] {
        var rows: [[String]] = []
        while limit.map({ rows.count < $0 }) ?? true, let record = try next() {
            rows.append(record.fields)
        }
        return rows
    }

    // MARK: - Delimiter detection

    /// How many bytes from the start of the input `detectDelimiter(in:isWholeInput:)` is given.
    public static let detectionSampleSize = 1 << 16

    /// The delimiters detection chooses from, in order of preference.
    public static let delimiterCandidates: [UInt8] = [UInt8(ascii: ","), UInt8(ascii: ";"), 0x09, UInt8(ascii: "|")]

    /// The delimiter of the CSV text that begins with `sample`, as Python's `csv.Sniffer` and DuckDB's
    /// `read_csv` guess it.
    ///
    /// ```swift
    /// CSVReader.detectDelimiter(in: Array("a;b\n1;2\n".utf8))     // ';'
    /// ```
    ///
    /// Each candidate (`,` `;` tab `|`) splits the sample's records (quotes respected: a delimiter or line
    /// break inside quotes does not count; blank lines are skipped). A candidate qualifies when the header
    /// has more than one field and at least half the data records have as many; the one with the largest
    /// such share wins, ties going to the earlier candidate. With no qualifying candidate (a one-column
    /// file) the answer is `,`. A pure function of its input, for any bytes.
    ///
    /// - Parameters:
    ///   - sample: The first bytes of the input (after any byte order mark), such as the first 64 KiB.
    ///   - isWholeInput: Whether `sample` is the whole input; otherwise its last, possibly cut, record is
    ///     ignored.
    public static func detectDelimiter(in sample: UnsafeBufferPointer<UInt8>, isWholeInput: Bool) -> UInt8 {
        var best = UInt8(ascii: ",")
        var bestShare = 0.0
        for candidate in delimiterCandidates {
            let counts = fieldCounts(sample, delimiter: candidate, isWholeInput: isWholeInput)
            guard let header = counts.first, header > 1 else { continue }
            let data = counts.count - 1
            let consistent = counts.dropFirst().reduce(0) { $0 + ($1 == header ? 1 : 0) }
            let share = data == 0 ? 1 : Double(consistent) / Double(data)
            if share >= 0.5 && share > bestShare {
                best = candidate
                bestShare = share
            }
        }
        return best
    }

    /// `detectDelimiter(in:isWholeInput:)` over bytes in an array.
    public static func detectDelimiter(in sample: [UInt8], isWholeInput: Bool = true) -> UInt8 {
        sample.withUnsafeBufferPointer { detectDelimiter(in: $0, isWholeInput: isWholeInput) }
    }

    /// The number of fields of each non-blank record of `sample` split by `delimiter`.
    private static func fieldCounts(_ sample: UnsafeBufferPointer<UInt8>, delimiter: UInt8,
                                    isWholeInput: Bool) -> [Int] {
        var counts: [Int] = []
        var fields = 1
        var hasContent = false
        var isQuoted = false
        for byte in sample {
            if byte == UInt8(ascii: "\"") {
                isQuoted.toggle()
                hasContent = true
            } else if isQuoted {
                continue
            } else if byte == delimiter {
                fields += 1
                hasContent = true
            } else if byte == 0x0A || byte == 0x0D {
                if hasContent { counts.append(fields) }
                fields = 1
                hasContent = false
            } else {
                hasContent = true
            }
        }
        if hasContent && isWholeInput && !isQuoted { counts.append(fields) }
        return counts
    }

    // MARK: - Errors

    /// A `DataError` at `line`/`column` of this file, naming the column when the header has it.
    func error(_ message: String, line: Int?, column: Int?) -> DataError {
        var name: String?
        if let column, column >= 1, column <= header.count { name = header[column - 1] }
        return DataError(file: path, line: line, column: column, columnName: name, message: message)
    }

    /// Checks that the record just read is valid UTF-8.
    private func validateUTF8() throws {
        let buffer = record.pointee
        var bits: UInt8 = 0
        for index in 0 ..< buffer.byteCount { bits |= buffer.bytes[index] }
        guard bits & 0x80 != 0 else { return }
        for index in 0 ..< buffer.fieldCount {
            let field = buffer.field(index)
            if let invalid = UTF8Validation.firstInvalidOffset(in: field) {
                throw error("invalid UTF-8: byte 0x\(String(field[invalid], radix: 16, uppercase: true)) at byte "
                            + "offset \(invalid) of the field; expected UTF-8 text",
                            line: parser.recordLine, column: index + 1)
            }
        }
    }

    // MARK: - Header

    private func readHeader() throws {
        parser.skipsBlankLines = true
        guard try readRawRecord() else {
            throw DataError(file: path, line: 1, message: "empty file: expected a header line with column names")
        }
        try validateUTF8()
        let line = parser.recordLine
        let names = (0 ..< record.pointee.fieldCount).map { record.pointee.string(at: $0) }
        var seen: [String: Int] = [:]
        for (index, name) in names.enumerated() {
            if name.isEmpty {
                throw DataError(file: path, line: line, column: index + 1,
                                message: "empty column name in the header; expected a name for every column")
            }
            if let first = seen[name] {
                throw DataError(file: path, line: line, column: index + 1, columnName: name,
                                message: "duplicate column name '\(name)' (also column \(first + 1)); "
                                    + "expected unique column names")
            }
            seen[name] = index
        }
        header = names
        headerLine = line
        parser.skipsBlankLines = names.count != 1
    }

    // MARK: - Chunks

    /// Reads at least `minimum` bytes (or everything): 3 so that a byte order mark is seen whole, more to
    /// detect the delimiter.
    private func readFirstChunk(minimum: Int) throws {
        while chunkCount < minimum {
            let got = try source.read(into: chunk + chunkCount, capacity: chunkCapacity - chunkCount)
            if got == 0 { break }
            chunkCount += got
        }
        if chunkCount < minimum { isAtEnd = true }
        if chunkCount >= 3, chunk[0] == 0xEF, chunk[1] == 0xBB, chunk[2] == 0xBF { position = 3 }
    }

    /// Loads the next chunk; returns false at the end of the input.
    private func refill() throws -> Bool {
        if isAtEnd { return false }
        bytesBeforeChunk += chunkCount
        position = 0
        chunkCount = try source.read(into: chunk, capacity: chunkCapacity)
        if chunkCount == 0 { isAtEnd = true }
        return chunkCount > 0
    }

    // MARK: - Parsing

    /// Where the parser is inside a record.
    enum Phase: UInt8 {
        /// Nothing of the current record seen yet.
        case recordStart
        /// At the start of a field (after a delimiter).
        case fieldStart
        case unquoted
        case quoted
        /// Just after a quote inside a quoted field: either a doubled quote or the closing one.
        case quoteInQuoted
    }

    /// The parser's state between chunks.
    struct ParserState {
        var phase = Phase.recordStart
        /// The physical line number of the next byte.
        var line = 1
        /// The record just ended with `\r`: swallow a `\n` that follows.
        var skipsLineFeed = false
        var skipsBlankLines = true
        var recordLine = 1
        var quoteLine = 0
        var quoteColumn = 0
    }

    /// A syntax error found while scanning.
    struct SyntaxError: Error {
        var line: Int
        var column: Int
        var message: String
    }

    /// Reads the next record's fields into `record`, unchecked; returns false at the end of the input.
    private func readRawRecord() throws -> Bool {
        record.pointee.removeAll()
        var state = parser
        state.phase = .recordStart
        defer { parser = state }
        while true {
            if position >= chunkCount {
                guard try refill() else {
                    return try finishAtEnd(&state, &record.pointee)
                }
            }
            let scanned: (complete: Bool, position: Int)
            do {
                scanned = try Self.scan(chunk, from: position, to: chunkCount, state: &state, record: &record.pointee,
                                        special: specialBytes, delimiter: delimiter)
            } catch let failure as SyntaxError {
                throw error(failure.message, line: failure.line, column: failure.column)
            }
            position = scanned.position
            if scanned.complete { return true }
        }
    }

    private func finishAtEnd(_ state: inout ParserState, _ record: inout RecordBuffer) throws -> Bool {
        switch state.phase {
        case .recordStart:
            return false
        case .fieldStart, .unquoted, .quoteInQuoted:
            record.endField()
            state.phase = .recordStart
            return true
        case .quoted:
            throw error("unterminated quoted field: the quote opened here is never closed; "
                        + "expected a closing quote before the end of the file",
                        line: state.quoteLine, column: state.quoteColumn)
        }
    }

    /// Shows a byte in a message: printable ASCII as itself, anything else in hex.
    static func describe(_ byte: UInt8) -> String {
        if byte >= 0x20 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x\(String(byte, radix: 16, uppercase: true))"
    }

    /// Scans `base[start..<end]`, appending field bytes; stops after a complete record or at `end`.
    private static func scan(
        _ base: UnsafeMutablePointer<UInt8>, from start: Int, to end: Int, state: inout ParserState,
        record: inout RecordBuffer, special: UnsafeMutablePointer<UInt8>, delimiter: UInt8
    ) throws -> (complete: Bool, position: Int) {
        let quote = UInt8(ascii: "\"")
        let lineFeed: UInt8 = 0x0A
        let carriageReturn: UInt8 = 0x0D
        var i = start
        if state.skipsLineFeed {
            state.skipsLineFeed = false
            if base[i] == lineFeed { i += 1 }
        }

        /// Ends the record at the line break `base[i]`; returns the position after it.
        @inline(__always)
        func endLine(at i: Int) -> Int {
            state.line += 1
            var next = i + 1
            if base[i] == carriageReturn {
                if next < end {
                    if base[next] == lineFeed { next += 1 }
                } else {
                    state.skipsLineFeed = true
                }
            }
            return next
        }

        while i < end {
            switch state.phase {
            case .recordStart:
                let byte = base[i]
                if byte == lineFeed || byte == carriageReturn {
                    if state.skipsBlankLines {
                        i = endLine(at: i)
                        continue
                    }
                    // One-column file: a blank line is one empty field.
                    state.recordLine = state.line
                    record.endField()
                    return (true, endLine(at: i))
                }
                state.recordLine = state.line
                state.phase = .fieldStart

            case .fieldStart:
                if base[i] == quote {
                    state.phase = .quoted
                    state.quoteLine = state.line
                    state.quoteColumn = record.fieldCount + 1
                    i += 1
                } else {
                    state.phase = .unquoted
                }

            case .unquoted:
                let runStart = i
                while i < end && special[Int(base[i])] == 0 { i += 1 }
                if i > runStart { record.append(base + runStart, count: i - runStart) }
                if i == end { return (false, i) }
                let byte = base[i]
                if byte == delimiter {
                    record.endField()
                    state.phase = .fieldStart
                    i += 1
                } else if byte == lineFeed || byte == carriageReturn {
                    record.endField()
                    state.phase = .recordStart
                    return (true, endLine(at: i))
                } else {
                    throw SyntaxError(
                        line: state.line, column: record.fieldCount + 1,
                        message: "unexpected quote inside an unquoted field; expected the whole field to be "
                            + "quoted, with quotes inside it doubled (\"\")")
                }

            case .quoted:
                let runStart = i
                while i < end {
                    let byte = base[i]
                    if byte == quote { break }
                    if byte == lineFeed { state.line += 1 }
                    i += 1
                }
                if i > runStart { record.append(base + runStart, count: i - runStart) }
                if i == end { return (false, i) }
                state.phase = .quoteInQuoted
                i += 1

            case .quoteInQuoted:
                let byte = base[i]
                if byte == quote {
                    record.append(quote)
                    state.phase = .quoted
                    i += 1
                } else if byte == delimiter {
                    record.endField()
                    state.phase = .fieldStart
                    i += 1
                } else if byte == lineFeed || byte == carriageReturn {
                    record.endField()
                    state.phase = .recordStart
                    return (true, endLine(at: i))
                } else {
                    throw SyntaxError(
                        line: state.line, column: record.fieldCount + 1,
                        message: "unexpected \(describe(byte)) after a closing quote; expected the delimiter "
                            + "\(describe(delimiter)) or the end of the line")
                }
            }
        }
        return (false, i)
    }
}

/// The fields of one record, in memory the reader reuses: bytes back to back, and each field's end offset.
/// (Not API.)
struct RecordBuffer {
    private(set) var storage = ByteBuffer(capacity: 4096)
    private(set) var ends: UnsafeMutablePointer<Int>
    private(set) var fieldCount = 0
    private var fieldCapacity: Int

    init() {
        fieldCapacity = 64
        ends = .allocate(capacity: fieldCapacity)
    }

    func deallocate() {
        storage.deallocate()
        ends.deallocate()
    }

    var byteCount: Int { storage.count }
    var bytes: UnsafeMutablePointer<UInt8> { storage.base }

    mutating func removeAll() {
        storage.removeAll()
        fieldCount = 0
    }

    @inline(__always)
    mutating func append(_ source: UnsafePointer<UInt8>, count: Int) {
        storage.append(source, count: count)
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        storage.append(byte)
    }

    /// Ends the current field at the current byte count.
    @inline(__always)
    mutating func endField() {
        if fieldCount == fieldCapacity {
            fieldCapacity *= 2
            let grown = UnsafeMutablePointer<Int>.allocate(capacity: fieldCapacity)
            grown.moveInitialize(from: ends, count: fieldCount)
            ends.deallocate()
            ends = grown
        }
        ends[fieldCount] = storage.count
        fieldCount += 1
    }

    /// The bytes of field `index`.
    @inline(__always)
    func field(_ index: Int) -> UnsafeBufferPointer<UInt8> {
        storage.slice((index == 0 ? 0 : ends[index - 1]) ..< ends[index])
    }

    /// The text of field `index`.
    func string(at index: Int) -> String {
        String(decoding: field(index), as: UTF8.self)
    }

    /// A copy of the bytes.
    var byteArray: [UInt8] { Array(storage.slice(0 ..< storage.count)) }
    /// A copy of the field end offsets.
    var endArray: [Int] { Array(UnsafeBufferPointer(start: ends, count: fieldCount)) }
}
