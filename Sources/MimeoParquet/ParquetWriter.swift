import Foundation
import MimeoData

/// How `ParquetWriter` writes: codec, row group and page sizes, dictionary limit.
public struct ParquetWriteOptions: Sendable, Equatable {
    /// The page codec (zstd by default).
    public var codec: ParquetCodec = .zstd
    /// The zstd level (1 fastest … 19).
    public var compressionLevel: Int32 = 1
    /// A row group is flushed once its values take about this many bytes PLAIN-encoded (128 MiB).
    public var rowGroupBytes = 128 << 20
    /// Data pages hold about this many bytes of values before compression (1 MiB).
    public var pageBytes = 1 << 20
    /// A column chunk's dictionary is dropped (PLAIN from then on) once its entries take more than this (1 MiB).
    public var dictionaryLimit = 1 << 20

    /// Options with `codec` and the defaults above.
    public init(codec: ParquetCodec = .zstd) {
        self.codec = codec
    }

    /// The codec named `name`: `zstd`, `snappy`, `gzip` or `none`.
    public static func codec(named name: String) -> ParquetCodec? {
        switch name.lowercased() {
        case "zstd": return .zstd
        case "snappy": return .snappy
        case "gzip": return .gzip
        case "none", "uncompressed": return .uncompressed
        default: return nil
        }
    }
}

/// Writes a table to a Parquet file as rows arrive, one row group at a time, so memory stays bounded by
/// one row group whatever the number of rows. Every column is OPTIONAL (nulls are missing cells); its
/// physical and logical types come from its kind (`ParquetColumnType`). The Mimeo schema is kept in the
/// footer's key-value metadata under `mimeo.schema`, so that spellings (date formats, boolean words)
/// survive a round trip.
///
/// ```swift
/// let writer = try ParquetWriter(path: "synthetic.parquet", schema: schema)
/// try writer.append(table)            // as many times as needed
/// try writer.finish()                 // footer; renames the temporary file onto the path
/// ```
public final class ParquetWriter {
    /// The key of the Mimeo schema in the footer's key-value metadata.
    public static let schemaKey = "mimeo.schema"
    /// The `created_by` string.
    public static let createdBy = "mimeo (parquet writer 1)"

    /// The columns written, in order, and the spellings read as missing.
    public let schema: Schema
    /// Codec, sizes and dictionary limit.
    public let options: ParquetWriteOptions
    /// One builder per column, in manually managed memory (see `ColumnChunkBuilder`).
    private let builders: UnsafeMutablePointer<ColumnChunkBuilder>
    private let columnCount: Int
    private let sink: (_ bytes: [UInt8]) throws -> Void
    private let commit: () throws -> Void
    private let discard: () -> Void
    private var offset: Int64 = 0
    private var rowGroups: [RowGroup] = []
    private var totalRows: Int64 = 0
    private var finished = false
    /// The missing spellings, back to back, with their lengths.
    private let missingBytes: UnsafeMutablePointer<UInt8>
    private let missingLengths: [Int]
    private let missingMaxLength: Int
    private var csvHeader: [UInt8] = []
    private var csvHeaderDelimiter: UInt8 = 0

    /// The bytes written so far (the whole file once `finish()` returns).
    public var bytesWritten: Int64 { offset }
    /// The rows appended so far.
    public var rowsWritten: Int64 { totalRows + Int64(builders[0].rowCount) }

    /// Writes to `path` through a temporary name (`AtomicFileOutput`), renamed when `finish()` succeeds.
    public convenience init(path: String, schema: Schema, options: ParquetWriteOptions = ParquetWriteOptions()) throws {
        let output = try AtomicFileOutput(path: path)
        try self.init(schema: schema, options: options, write: { try output.write($0) },
                      commit: { try output.commit() }, discard: { output.discard() })
    }

    /// Writes through `write`; `commit` runs after the footer, `discard` when the writer is abandoned.
    public init(schema: Schema, options: ParquetWriteOptions = ParquetWriteOptions(),
                write: @escaping ([UInt8]) throws -> Void, commit: @escaping () throws -> Void = {},
                discard: @escaping () -> Void = {}) throws {
        guard !schema.columns.isEmpty else { throw ParquetError("a Parquet file needs at least one column") }
        guard PageCodec.writable.contains(options.codec) else {
            throw ParquetError("the \(options.codec) codec is not supported for writing; use zstd, snappy, gzip or none")
        }
        self.schema = schema
        self.options = options
        sink = write
        self.commit = commit
        self.discard = discard
        columnCount = schema.columns.count
        builders = .allocate(capacity: columnCount)
        builders.initialize(from: schema.columns.map { ColumnChunkBuilder(column: $0, dictionaryLimit: options.dictionaryLimit) },
                            count: columnCount)
        let spellings = schema.missingValues.map { Array($0.utf8) }
        let flat = spellings.flatMap { $0 }
        missingBytes = .allocate(capacity: max(1, flat.count))
        missingBytes.initialize(from: flat, count: flat.count)
        missingLengths = spellings.map(\.count)
        missingMaxLength = missingLengths.max() ?? -1
        try output(Array("PAR1".utf8))
    }

    deinit {
        if !finished { discard() }
        builders.deinitialize(count: columnCount)
        builders.deallocate()
        missingBytes.deallocate()
    }

    private func output(_ bytes: [UInt8]) throws {
        try sink(bytes)
        offset += Int64(bytes.count)
    }

    @inline(__always)
    private func isMissing(_ field: UnsafeBufferPointer<UInt8>) -> Bool {
        let count = field.count
        guard count <= missingMaxLength else { return false }
        var start = 0
        for length in missingLengths {
            if length == count && (count == 0 || memcmp(missingBytes + start, field.baseAddress!, count) == 0) { return true }
            start += length
        }
        return false
    }

    /// Appends one cell of the current row to column `column`: its text (one of the schema's missing
    /// spellings, or nil, is a null). Call once per column per row, columns in order.
    @inline(__always)
    public func appendField(_ field: UnsafeBufferPointer<UInt8>?, column: Int) throws {
        precondition(column >= 0 && column < columnCount, "column \(column) is not one of the schema's \(columnCount)")
        guard let field, !isMissing(field) else {
            builders[column].appendNull()
            return
        }
        try builders[column].append(field)
    }

    /// Ends a row: flushes the row group when it has reached its size.
    public func endRow() throws {
        if builders[0].rowCount & 1023 == 0 { try flushIfFull() }
    }

    /// Appends every row of `table`, whose columns are matched to the schema's by name.
    ///
    /// - Throws: `ParquetError` when a column is missing or a value does not fit its column's type.
    public func append(_ table: Table) throws {
        let positions = try schema.columns.map { column -> Int in
            guard let index = table.columnIndex(named: column.name) else {
                throw ParquetError("the table has no column '\(column.name)', which the schema declares")
            }
            return index
        }
        var row = 0
        while row < table.rowCount {
            let end = min(table.rowCount, row + 1024)
            for (column, position) in positions.enumerated() {
                let cells = table.columns[position]
                for r in row ..< end {
                    if var cell = cells[r] {
                        try cell.withUTF8 { try appendField($0, column: column) }
                    } else {
                        builders[column].appendNull()
                    }
                }
            }
            row = end
            try flushIfFull()
        }
    }

    /// Appends every row of the CSV `reader` (whose header must have the schema's columns, in order).
    public func append(csv reader: CSVReader) throws {
        guard reader.header == schema.columns.map(\.name) else {
            throw ParquetError("the CSV header \(reader.header) does not match the schema's columns")
        }
        while try reader.readFields({ field, column in try appendField(field, column: column) }) {
            try endRow()
        }
    }

    /// Appends CSV data rows without their header (such as one batch of `mimeo generate`'s output), in the
    /// schema's column order, written with `delimiter`.
    ///
    /// Rows without a quote (as generated rows are, unless a value holds the delimiter, a quote or a line
    /// break) are split in place; otherwise the bytes go through `CSVReader`.
    public func append(csvRows bytes: [UInt8], delimiter: UInt8 = UInt8(ascii: ",")) throws {
        let quoted = bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress.map { memchr($0, Int32(UInt8(ascii: "\"")), buffer.count) != nil } ?? false
        }
        if !quoted {
            try bytes.withUnsafeBufferPointer { try appendUnquoted($0, delimiter: delimiter) }
            return
        }
        if csvHeader.isEmpty || csvHeaderDelimiter != delimiter {
            var header: [UInt8] = []
            for (index, column) in schema.columns.enumerated() {
                if index > 0 { header.append(delimiter) }
                CSVField.append(column.name, delimiter: delimiter, to: &header)
            }
            CSVField.endRow(startingAt: 0, in: &header)
            csvHeader = header
            csvHeaderDelimiter = delimiter
        }
        try append(csv: CSVReader(bytes: csvHeader + bytes, delimiter: delimiter))
    }

    /// Splits CSV rows that hold no quote: fields end at the delimiter, rows at `\n` (or `\r\n`).
    private func appendUnquoted(_ buffer: UnsafeBufferPointer<UInt8>, delimiter: UInt8) throws {
        guard let base = buffer.baseAddress else { return }
        let end = buffer.count
        var position = 0
        while position < end {
            var column = 0
            var fieldStart = position
            while true {
                var i = fieldStart
                while i < end && base[i] != delimiter && base[i] != 0x0A { i += 1 }
                guard column < columnCount else {
                    throw ParquetError("a CSV row has more than the schema's \(columnCount) fields")
                }
                let atLineEnd = i >= end || base[i] == 0x0A
                var fieldEnd = i
                if atLineEnd && fieldEnd > fieldStart && base[fieldEnd - 1] == 0x0D { fieldEnd -= 1 }
                try appendField(UnsafeBufferPointer(start: base + fieldStart, count: fieldEnd - fieldStart), column: column)
                column += 1
                if atLineEnd {
                    position = i + 1
                    break
                }
                fieldStart = i + 1
            }
            guard column == columnCount else {
                throw ParquetError("a CSV row has \(column) fields where the schema has \(columnCount)")
            }
            try endRow()
        }
    }

    private func flushIfFull() throws {
        var bytes = 0
        for column in 0 ..< columnCount { bytes += builders[column].plainBytes }
        if bytes >= options.rowGroupBytes { try flushRowGroup() }
    }

    /// Writes the buffered rows as one row group.
    public func flushRowGroup() throws {
        let rows = builders[0].rowCount
        guard rows > 0 else { return }
        guard (0 ..< columnCount).allSatisfy({ builders[$0].rowCount == rows }) else {
            throw ParquetError("internal error: columns of unequal length in a row group")
        }
        let start = offset
        var chunks: [ColumnChunk] = []
        var uncompressed: Int64 = 0
        for column in 0 ..< columnCount {
            let chunkStart = offset
            let meta = try builders[column].writeChunk(codec: options.codec, level: options.compressionLevel,
                                                       pageBytes: options.pageBytes, output: { try self.output($0) },
                                                       offset: offset)
            uncompressed += meta.totalUncompressedSize
            chunks.append(ColumnChunk(fileOffset: chunkStart, metaData: meta))
            builders[column].reset()
        }
        rowGroups.append(RowGroup(columns: chunks, totalByteSize: uncompressed, numRows: Int64(rows),
                                  fileOffset: start, totalCompressedSize: offset - start))
        totalRows += Int64(rows)
    }

    /// Flushes the last row group, writes the footer and commits the file.
    public func finish() throws {
        guard !finished else { return }
        try flushRowGroup()
        var elements = [SchemaElement(name: "schema", numChildren: Int32(schema.columns.count))]
        for (index, column) in schema.columns.enumerated() { elements.append(builders[index].type.schemaElement(name: column.name)) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let schemaJSON = String(decoding: try encoder.encode(schema), as: UTF8.self)
        let metadata = FileMetaData(version: 2, schema: elements, numRows: totalRows, rowGroups: rowGroups,
                                    keyValueMetadata: [KeyValue(key: Self.schemaKey, value: schemaJSON)],
                                    createdBy: Self.createdBy)
        var writer = ThriftWriter()
        writer.write(metadata)
        var footer = writer.bytes
        footer.appendLittleEndian(UInt32(footer.count))
        footer.append(contentsOf: Array("PAR1".utf8))
        try output(footer)
        finished = true
        try commit()
    }

    /// Writes `table` to a Parquet file at `path` (through a temporary name).
    public static func write(_ table: Table, schema: Schema, to path: String,
                             options: ParquetWriteOptions = ParquetWriteOptions()) throws {
        let writer = try ParquetWriter(path: path, schema: schema, options: options)
        try writer.append(table)
        try writer.finish()
    }
}
