import Foundation
import MimeoData

/// A Parquet file opened for reading: its footer, its flat schema as Mimeo column types, and its row
/// groups read one at a time as `Table`s of cell text (nulls are nil).
///
/// ```swift
/// let file = try ParquetReader(path: "data.parquet")
/// file.schema                          // from the logical types (and `mimeo.schema`, when present)
/// for group in 0 ..< file.rowGroupCount { let table = try file.readRowGroup(group) }
/// let (table, schema) = try ParquetReader.load(path: "data.parquet")
/// ```
///
/// Supported: flat schemas of REQUIRED and OPTIONAL columns; data pages v1 and v2; PLAIN, PLAIN_DICTIONARY,
/// RLE_DICTIONARY, RLE (booleans), DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY and
/// BYTE_STREAM_SPLIT; UNCOMPRESSED, SNAPPY, GZIP and ZSTD. Anything else (nested or repeated columns,
/// encryption, other codecs) is refused with an error naming it. Every length and offset read from the
/// file is checked, so a truncated or corrupted file gives an error, never a crash.
public final class ParquetReader {
    /// The file's path, as given.
    public let path: String
    /// The decoded footer.
    public let metadata: FileMetaData
    private let descriptor: Int32
    private let fileSize: Int64
    private var converters: [ValueConverter]
    /// The leaf columns' repetition: whether each has definition levels.
    private let optional: [Bool]

    /// The most values one page may claim.
    static let maximumPageValues = 1 << 26

    /// The Mimeo schema from the file's logical types. String columns are categorical unless the file's
    /// `mimeo.schema` says otherwise (`load` chooses among categorical, identifier and text from the values).
    public var schema: Schema {
        Schema(columns: converters.map(\.column), missingValues: storedSchema?.missingValues ?? Schema.defaultMissingValues)
    }

    /// The Mimeo schema stored in the footer by Mimeo's writer, if any.
    public let storedSchema: Schema?

    /// The leaf columns' names, in file order.
    public var columnNames: [String] { converters.map(\.column.name) }
    /// The rows of the whole file.
    public var rowCount: Int { Int(metadata.numRows) }
    /// The number of row groups (`readRowGroup(_:)` takes `0 ..< rowGroupCount`).
    public var rowGroupCount: Int { metadata.rowGroups.count }

    /// Opens `path` and reads its footer.
    ///
    /// - Throws: `DataError` naming the file for an unreadable, truncated, corrupted or unsupported file.
    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw DataError(file: path, message: "cannot open file for reading: \(String(cString: strerror(errno)))")
        }
        descriptor = fd
        do {
            var info = stat()
            guard fstat(fd, &info) == 0 else { throw ParquetError("cannot inspect the file") }
            guard info.st_mode & S_IFMT == S_IFREG else { throw ParquetError("not a regular file") }
            fileSize = Int64(info.st_size)
            guard fileSize >= 12 else { throw ParquetError("not a Parquet file: \(fileSize) bytes is too short") }
            let head = try Self.pread(fd, offset: 0, count: 4)
            let tail = try Self.pread(fd, offset: fileSize - 8, count: 8)
            let magic = String(decoding: tail[4...], as: UTF8.self)
            if magic == "PARE" { throw ParquetError("the file is encrypted (PARE footer): encrypted Parquet is not supported") }
            guard head == Array("PAR1".utf8), magic == "PAR1" else {
                throw ParquetError("not a Parquet file (no PAR1 magic at its start and end; a truncated file?)")
            }
            let footerLength = Int64(tail[0]) | Int64(tail[1]) << 8 | Int64(tail[2]) << 16 | Int64(tail[3]) << 24
            guard footerLength > 0, footerLength <= fileSize - 12 else {
                throw ParquetError("corrupt footer: its length \(footerLength) does not fit in the file")
            }
            let footer = try Self.pread(fd, offset: fileSize - 8 - footerLength, count: Int(footerLength))
            do {
                metadata = try FileMetaData(decoding: footer[...])
            } catch let error as ThriftError {
                throw ParquetError("corrupt footer metadata: \(error.message)")
            }
            var stored: Schema?
            if let json = metadata.keyValueMetadata.first(where: { $0.key == ParquetWriter.schemaKey })?.value {
                stored = try? JSONDecoder().decode(Schema.self, from: Data(json.utf8))
            }
            storedSchema = stored
            (converters, optional) = try Self.flatColumns(metadata.schema, stored: stored)
            guard metadata.numRows >= 0 else { throw ParquetError("corrupt footer: negative row count") }
            var total: Int64 = 0
            for (index, group) in metadata.rowGroups.enumerated() {
                guard group.columns.count == converters.count else {
                    throw ParquetError("corrupt footer: row group \(index) has \(group.columns.count) columns, the schema \(converters.count)")
                }
                guard group.numRows >= 0 else { throw ParquetError("corrupt footer: row group \(index) has a negative row count") }
                total += group.numRows
            }
            guard total == metadata.numRows else {
                throw ParquetError("corrupt footer: the row groups hold \(total) rows, the file says \(metadata.numRows)")
            }
        } catch let error as ParquetError {
            close(fd)
            throw DataError(file: path, message: error.message)
        } catch {
            close(fd)
            throw error
        }
    }

    deinit {
        close(descriptor)
    }

    /// The flat leaf columns of a schema; throws for nested or repeated ones.
    private static func flatColumns(_ elements: [SchemaElement], stored: Schema?) throws -> ([ValueConverter], [Bool]) {
        guard let root = elements.first else { throw ParquetError("corrupt footer: an empty schema") }
        let children = Int(root.numChildren ?? 0)
        guard children >= 1 else { throw ParquetError("the file's schema has no columns") }
        var converters: [ValueConverter] = []
        var optional: [Bool] = []
        for element in elements.dropFirst() {
            if let count = element.numChildren, count > 0 {
                throw ParquetError("column '\(element.name)' is a group (a struct, list or map): nested schemas are not supported; Mimeo reads flat tables")
            }
            if element.repetition == .repeated {
                throw ParquetError("column '\(element.name)' is REPEATED (a list): nested schemas are not supported; Mimeo reads flat tables")
            }
            converters.append(try ValueConverter(element: element, stored: stored))
            optional.append(element.repetition != .required)
        }
        guard converters.count == children else {
            throw ParquetError("corrupt footer: the schema root claims \(children) columns but \(converters.count) follow")
        }
        return (converters, optional)
    }

    static func pread(_ fd: Int32, offset: Int64, count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        try out.withUnsafeMutableBytes { buffer in
            while done < count {
                let got = Foundation.pread(fd, buffer.baseAddress! + done, count - done, off_t(offset) + off_t(done))
                if got < 0 {
                    if errno == EINTR { continue }
                    throw ParquetError("cannot read the file: \(String(cString: strerror(errno)))")
                }
                if got == 0 { throw ParquetError("the file is shorter than its metadata says (truncated?)") }
                done += got
            }
        }
        return out
    }

    /// Chooses the kind of string columns without a stored Mimeo kind from their values (categorical,
    /// identifier or text, as `SchemaInference` does for text), and the decimals of floating-point columns.
    public func settleSchema(with table: Table) -> Schema {
        var settled = schema
        let inference = SchemaInference()
        for (index, converter) in converters.enumerated() {
            if converter.needsStringKind {
                settled.columns[index] = inference.inferTextColumn(named: converter.column.name, values: table.columns[index])
            } else if converter.column.kind == .decimal && converter.column.decimals == nil {
                var places = 0
                for case let value? in table.columns[index] {
                    if let number = NumberSyntax.number(value) { places = max(places, number.places) }
                }
                settled.columns[index].decimals = places
            }
        }
        return settled
    }

    /// Reads row group `index` as a table of cell text.
    ///
    /// - Throws: `DataError` naming the file for corrupted data or an unsupported encoding or codec.
    public func readRowGroup(_ index: Int) throws -> Table {
        let group = metadata.rowGroups[index]
        var columns: [[String?]] = []
        do {
            for (position, chunk) in group.columns.enumerated() {
                do {
                    columns.append(try readChunk(chunk, column: position, rows: Int(group.numRows)))
                } catch let error as ParquetError {
                    throw ParquetError("row group \(index), column '\(converters[position].column.name)': \(error.message)")
                }
            }
        } catch let error as ParquetError {
            throw DataError(file: path, message: error.message)
        }
        return Table(columnNames: columnNames, columns: columns)
    }

    private func readChunk(_ chunk: ColumnChunk, column: Int, rows: Int) throws -> [String?] {
        let meta = chunk.metaData
        let converter = converters[column]
        guard meta.type == converter.physical else {
            throw ParquetError("the chunk's type \(meta.type) differs from the schema's \(converter.physical)")
        }
        guard let codec = ParquetCodec(rawValue: meta.codec) else { throw ParquetError("unknown codec \(meta.codec)") }
        var start = meta.dataPageOffset
        if let dictionary = meta.dictionaryPageOffset, dictionary > 0, dictionary < start { start = dictionary }
        let length = meta.totalCompressedSize
        guard start >= 4, length > 0, start <= fileSize, length <= fileSize - start else {
            throw ParquetError("corrupt metadata: the chunk's bytes \(start)+\(length) lie outside the file")
        }
        let bytes = try Self.pread(descriptor, offset: start, count: Int(length))
        var cursor = bytes.startIndex
        var out: [String?] = []
        out.reserveCapacity(min(rows, 1 << 20))
        var dictionary: [String?]?
        while out.count < rows {
            guard cursor < bytes.endIndex else {
                throw ParquetError("the chunk ends after \(out.count) of its \(rows) values")
            }
            let (header, headerLength): (PageHeader, Int)
            do {
                (header, headerLength) = try PageHeader.decode(bytes[cursor...])
            } catch let error as ThriftError {
                throw ParquetError("corrupt page header: \(error.message)")
            }
            cursor += headerLength
            let size = Int(header.compressedPageSize)
            guard size <= bytes.endIndex - cursor else {
                throw ParquetError("a page of \(size) bytes runs past the end of its chunk")
            }
            let body = bytes[cursor ..< cursor + size]
            cursor += size
            switch PageType(rawValue: header.type) {
            case .dictionaryPage?:
                guard let count = header.dictionaryNumValues, count >= 0, count <= Self.maximumPageValues else {
                    throw ParquetError("a dictionary page without a valid value count")
                }
                let page = try PageCodec.decompress(body, codec: codec, size: Int(header.uncompressedPageSize))
                let encoding = header.dictionaryEncoding ?? 0
                guard encoding == ParquetEncoding.plain.rawValue || encoding == ParquetEncoding.plainDictionary.rawValue else {
                    throw ParquetError("a dictionary page in encoding \(Self.encodingName(encoding)) (expected PLAIN)")
                }
                dictionary = try decodePlain(page[...], count: Int(count), converter: converter)
            case .dataPage?:
                guard let info = header.dataPage else { throw ParquetError("a data page without its header") }
                let page = try PageCodec.decompress(body, codec: codec, size: Int(header.uncompressedPageSize))
                let count = try pageValueCount(info.numValues, remaining: rows - out.count)
                var levels: [UInt32]?
                var valueStart = page.startIndex
                if optional[column] {
                    guard info.definitionLevelEncoding == ParquetEncoding.rle.rawValue else {
                        throw ParquetError("definition levels in encoding \(Self.encodingName(info.definitionLevelEncoding)) (expected RLE)")
                    }
                    var levelCursor = ByteCursor(page[...])
                    let levelLength = Int(try levelCursor.uint32())
                    let levelBytes = try levelCursor.take(levelLength)
                    levels = try RLEHybrid.decode(levelBytes, bitWidth: 1, count: count)
                    valueStart = levelCursor.position
                }
                try decodeValues(page[valueStart...], encoding: info.encoding, levels: levels, count: count,
                                 dictionary: dictionary, converter: converter, into: &out)
            case .dataPageV2?:
                guard let info = header.dataPageV2 else { throw ParquetError("a data page v2 without its header") }
                let count = try pageValueCount(info.numValues, remaining: rows - out.count)
                let repetitionLength = Int(info.repetitionLevelsByteLength), definitionLength = Int(info.definitionLevelsByteLength)
                guard repetitionLength == 0 else { throw ParquetError("repetition levels in a flat column (nested data is not supported)") }
                guard definitionLength >= 0, definitionLength <= body.count else {
                    throw ParquetError("a data page v2 whose definition levels (\(definitionLength) bytes) exceed the page")
                }
                var levels: [UInt32]?
                if optional[column] {
                    levels = try RLEHybrid.decode(body.prefix(definitionLength), bitWidth: 1, count: count)
                }
                let compressedValues = body.dropFirst(definitionLength)
                let valueSize = Int(header.uncompressedPageSize) - definitionLength
                guard valueSize >= 0 else { throw ParquetError("a data page v2 smaller than its levels") }
                let values = info.isCompressed && codec != .uncompressed
                    ? try PageCodec.decompress(compressedValues, codec: codec, size: valueSize)[...]
                    : compressedValues
                try decodeValues(values, encoding: info.encoding, levels: levels, count: count,
                                 dictionary: dictionary, converter: converter, into: &out)
            default:
                // Index pages and unknown page types are skipped.
                continue
            }
        }
        return out
    }

    private func pageValueCount(_ claimed: Int32, remaining: Int) throws -> Int {
        guard claimed >= 0, Int(claimed) <= remaining, Int(claimed) <= Self.maximumPageValues else {
            throw ParquetError("a page claims \(claimed) values where \(remaining) remain in the row group")
        }
        return Int(claimed)
    }

    static func encodingName(_ raw: Int32) -> String {
        ParquetEncoding(rawValue: raw)?.description ?? "#\(raw)"
    }

    /// Decodes a page's values and spreads them over its rows by the definition levels.
    private func decodeValues(_ bytes: ArraySlice<UInt8>, encoding raw: Int32, levels: [UInt32]?, count: Int,
                              dictionary: [String?]?, converter: ValueConverter, into out: inout [String?]) throws {
        let present = levels.map { $0.reduce(0) { $0 + Int($1 & 1) } } ?? count
        if let levels, levels.contains(where: { $0 > 1 }) { throw ParquetError("a definition level above 1 in a flat column") }
        let values: [String?]
        switch ParquetEncoding(rawValue: raw) {
        case .plain?:
            values = try decodePlain(bytes, count: present, converter: converter)
        case .plainDictionary?, .rleDictionary?:
            guard let dictionary else { throw ParquetError("a dictionary-encoded page without a dictionary page") }
            var cursor = ByteCursor(bytes)
            let width = Int(try cursor.byte())
            let indices = present == 0 ? [] : try RLEHybrid.decode(bytes[cursor.position...], bitWidth: width, count: present)
            values = try indices.map { index in
                guard Int(index) < dictionary.count else {
                    throw ParquetError("a dictionary index \(index) beyond the dictionary's \(dictionary.count) entries")
                }
                return dictionary[Int(index)]
            }
        case .rle? where converter.physical == .boolean:
            var cursor = ByteCursor(bytes)
            let length = Int(try cursor.uint32())
            let bits = try RLEHybrid.decode(try cursor.take(length), bitWidth: 1, count: present)
            values = bits.map { converter.text(bool: $0 != 0) }
        case .deltaBinaryPacked? where converter.physical == .int32 || converter.physical == .int64:
            var cursor = ByteCursor(bytes)
            let ints = try DeltaBinaryPacked.decode(&cursor, maximumCount: present)
            values = ints.map { converter.text(int: converter.physical == .int32 ? Int64(Int32(truncatingIfNeeded: $0)) : $0) }
        case .deltaLengthByteArray? where converter.physical == .byteArray:
            var cursor = ByteCursor(bytes)
            let lengths = try DeltaBinaryPacked.decode(&cursor, maximumCount: present)
            values = try lengths.map { length in
                guard length >= 0, length <= Int64(cursor.remaining) else { throw ParquetError("corrupt DELTA_LENGTH_BYTE_ARRAY lengths") }
                return converter.text(bytes: try cursor.take(Int(length)))
            }
        case .deltaByteArray? where converter.physical == .byteArray || converter.physical == .fixedLenByteArray:
            var cursor = ByteCursor(bytes)
            let prefixes = try DeltaBinaryPacked.decode(&cursor, maximumCount: present)
            let suffixLengths = try DeltaBinaryPacked.decode(&cursor, maximumCount: present)
            guard prefixes.count == suffixLengths.count else { throw ParquetError("corrupt DELTA_BYTE_ARRAY: unequal counts") }
            var previous: [UInt8] = []
            var decoded: [String?] = []
            decoded.reserveCapacity(prefixes.count)
            for (prefix, suffixLength) in zip(prefixes, suffixLengths) {
                guard prefix >= 0, prefix <= Int64(previous.count), suffixLength >= 0, suffixLength <= Int64(cursor.remaining) else {
                    throw ParquetError("corrupt DELTA_BYTE_ARRAY prefix or suffix length")
                }
                var value = Array(previous[0 ..< Int(prefix)])
                value.append(contentsOf: try cursor.take(Int(suffixLength)))
                decoded.append(converter.text(bytes: value[...]))
                previous = value
            }
            values = decoded
        case .byteStreamSplit? where [.float, .double, .int32, .int64, .fixedLenByteArray].contains(converter.physical):
            let width = converter.physical == .float || converter.physical == .int32 ? 4
                : converter.physical == .fixedLenByteArray ? converter.typeLength : 8
            guard bytes.count >= present * width else { throw ParquetError("a BYTE_STREAM_SPLIT page shorter than its values") }
            var joined = [UInt8](repeating: 0, count: present * width)
            let base = bytes.startIndex
            for k in 0 ..< width {
                for i in 0 ..< present { joined[i * width + k] = bytes[base + k * present + i] }
            }
            values = try decodePlain(joined[...], count: present, converter: converter)
        default:
            throw ParquetError("the \(Self.encodingName(raw)) encoding is not supported for \(converter.physical) values")
        }
        guard values.count == present else {
            throw ParquetError("a page holds \(values.count) values where its levels say \(present)")
        }
        if let levels {
            var next = 0
            for level in levels {
                if level == 0 {
                    out.append(nil)
                } else {
                    out.append(values[next])
                    next += 1
                }
            }
        } else {
            out.append(contentsOf: values)
        }
    }

    /// Decodes `count` PLAIN values.
    private func decodePlain(_ bytes: ArraySlice<UInt8>, count: Int, converter: ValueConverter) throws -> [String?] {
        var cursor = ByteCursor(bytes)
        var out: [String?] = []
        out.reserveCapacity(min(count, 1 << 20))
        switch converter.physical {
        case .boolean:
            guard count <= bytes.count * 8 else { throw ParquetError("a PLAIN boolean page shorter than its values") }
            for i in 0 ..< count {
                out.append(converter.text(bool: bytes[bytes.startIndex + i / 8] >> UInt8(i % 8) & 1 == 1))
            }
        case .int32:
            guard count <= bytes.count / 4 else { throw ParquetError("a PLAIN INT32 page shorter than its values") }
            for _ in 0 ..< count { out.append(converter.text(int: Int64(Int32(bitPattern: try cursor.uint32())))) }
        case .int64:
            guard count <= bytes.count / 8 else { throw ParquetError("a PLAIN INT64 page shorter than its values") }
            for _ in 0 ..< count { out.append(converter.text(int: Int64(bitPattern: try cursor.uint64()))) }
        case .int96:
            guard count <= bytes.count / 12 else { throw ParquetError("a PLAIN INT96 page shorter than its values") }
            for _ in 0 ..< count { out.append(converter.text(int96: try cursor.take(12))) }
        case .float:
            guard count <= bytes.count / 4 else { throw ParquetError("a PLAIN FLOAT page shorter than its values") }
            for _ in 0 ..< count { out.append(converter.text(float: Float(bitPattern: try cursor.uint32()))) }
        case .double:
            guard count <= bytes.count / 8 else { throw ParquetError("a PLAIN DOUBLE page shorter than its values") }
            for _ in 0 ..< count { out.append(converter.text(double: Double(bitPattern: try cursor.uint64()))) }
        case .byteArray:
            guard count <= bytes.count / 4 else { throw ParquetError("a PLAIN BYTE_ARRAY page shorter than its values") }
            for _ in 0 ..< count {
                let length = Int(try cursor.uint32())
                out.append(converter.text(bytes: try cursor.take(length)))
            }
        case .fixedLenByteArray:
            let width = converter.typeLength
            guard count <= bytes.count / max(width, 1) else { throw ParquetError("a PLAIN FIXED_LEN_BYTE_ARRAY page shorter than its values") }
            for _ in 0 ..< count { out.append(converter.text(bytes: try cursor.take(width))) }
        }
        return out
    }

    // MARK: - Whole files

    /// Reads the whole file at `path`: the table and its schema (`settleSchema(with:)`), at most
    /// `rowLimit` rows.
    public static func load(path: String, rowLimit: Int? = nil) throws -> (table: Table, schema: Schema) {
        let reader = try ParquetReader(path: path)
        var columns = [[String?]](repeating: [], count: reader.columnNames.count)
        for group in 0 ..< reader.rowGroupCount {
            if let rowLimit, columns[0].count >= rowLimit { break }
            let table = try reader.readRowGroup(group)
            for index in columns.indices { columns[index].append(contentsOf: table.columns[index]) }
        }
        if let rowLimit, columns[0].count > rowLimit {
            for index in columns.indices { columns[index].removeSubrange(rowLimit...) }
        }
        let table = Table(columnNames: reader.columnNames, columns: columns)
        return (table, reader.settleSchema(with: table))
    }

    /// Whether the regular file at `path` starts with Parquet's magic bytes. Anything else (a pipe, a
    /// device, standard input) is never read here, so that no byte of a stream is consumed by the check.
    public static func hasParquetMagic(path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return false }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var magic = [UInt8](repeating: 0, count: 4)
        let got = magic.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress!, 4) }
        return got == 4 && magic == Array("PAR1".utf8)
    }
}
