/// Parquet's file and page metadata (apache/parquet-format `parquet.thrift`), as far as flat tables need:
/// the structs, their Thrift field ids, and their compact-protocol encoding and decoding. Fields keep the
/// names (in Swift case) and meanings of `parquet.thrift`.

/// Physical types (`Type` in parquet.thrift).
public enum PhysicalType: Int32, Sendable {
    case boolean = 0, int32 = 1, int64 = 2, int96 = 3, float = 4, double = 5, byteArray = 6, fixedLenByteArray = 7
}

/// Value and level encodings (`Encoding`).
public enum ParquetEncoding: Int32, Sendable, CustomStringConvertible {
    case plain = 0, plainDictionary = 2, rle = 3, bitPacked = 4, deltaBinaryPacked = 5, deltaLengthByteArray = 6,
         deltaByteArray = 7, rleDictionary = 8, byteStreamSplit = 9

    public var description: String {
        switch self {
        case .plain: return "PLAIN"
        case .plainDictionary: return "PLAIN_DICTIONARY"
        case .rle: return "RLE"
        case .bitPacked: return "BIT_PACKED"
        case .deltaBinaryPacked: return "DELTA_BINARY_PACKED"
        case .deltaLengthByteArray: return "DELTA_LENGTH_BYTE_ARRAY"
        case .deltaByteArray: return "DELTA_BYTE_ARRAY"
        case .rleDictionary: return "RLE_DICTIONARY"
        case .byteStreamSplit: return "BYTE_STREAM_SPLIT"
        }
    }
}

/// Compression codecs (`CompressionCodec`).
public enum ParquetCodec: Int32, Sendable, CustomStringConvertible, CaseIterable {
    case uncompressed = 0, snappy = 1, gzip = 2, lzo = 3, brotli = 4, lz4 = 5, zstd = 6, lz4Raw = 7

    public var description: String {
        switch self {
        case .uncompressed: return "UNCOMPRESSED"
        case .snappy: return "SNAPPY"
        case .gzip: return "GZIP"
        case .lzo: return "LZO"
        case .brotli: return "BROTLI"
        case .lz4: return "LZ4"
        case .zstd: return "ZSTD"
        case .lz4Raw: return "LZ4_RAW"
        }
    }
}

/// `FieldRepetitionType`.
public enum Repetition: Int32, Sendable {
    case required = 0, optional = 1, repeated = 2
}

/// `PageType`.
public enum PageType: Int32, Sendable {
    case dataPage = 0, indexPage = 1, dictionaryPage = 2, dataPageV2 = 3
}

/// A time unit of `TIME` and `TIMESTAMP`.
public enum TimeUnit: Int16, Sendable, Equatable {
    case millis = 1, micros = 2, nanos = 3

    /// Units per second.
    public var perSecond: Int64 {
        switch self {
        case .millis: return 1000
        case .micros: return 1_000_000
        case .nanos: return 1_000_000_000
        }
    }
}

/// The `LogicalType` union (the members flat tables use; others are kept by field id).
public enum LogicalType: Sendable, Equatable {
    case string
    case enumeration
    case decimal(scale: Int32, precision: Int32)
    case date
    case time(isAdjustedToUTC: Bool, unit: TimeUnit)
    case timestamp(isAdjustedToUTC: Bool, unit: TimeUnit)
    case integer(bitWidth: Int8, isSigned: Bool)
    case unknown
    case json
    case bson
    case uuid
    case float16
    /// A member this reader does not know (MAP, LIST, VARIANT, GEOMETRY, …), by its field id.
    case other(Int16)
}

/// `SchemaElement`.
public struct SchemaElement: Sendable, Equatable {
    public var type: PhysicalType?
    public var typeLength: Int32?
    public var repetition: Repetition?
    public var name: String
    public var numChildren: Int32?
    public var convertedType: Int32?
    public var scale: Int32?
    public var precision: Int32?
    public var logicalType: LogicalType?

    public init(type: PhysicalType? = nil, typeLength: Int32? = nil, repetition: Repetition? = nil, name: String,
                numChildren: Int32? = nil, convertedType: Int32? = nil, scale: Int32? = nil, precision: Int32? = nil,
                logicalType: LogicalType? = nil) {
        self.type = type
        self.typeLength = typeLength
        self.repetition = repetition
        self.name = name
        self.numChildren = numChildren
        self.convertedType = convertedType
        self.scale = scale
        self.precision = precision
        self.logicalType = logicalType
    }
}

/// Legacy `ConvertedType` codes used here.
enum ConvertedType {
    static let utf8: Int32 = 0, map: Int32 = 1, mapKeyValue: Int32 = 2, list: Int32 = 3, enumeration: Int32 = 4,
               decimal: Int32 = 5, date: Int32 = 6, timeMillis: Int32 = 7, timeMicros: Int32 = 8,
               timestampMillis: Int32 = 9, timestampMicros: Int32 = 10, uint8: Int32 = 11, uint16: Int32 = 12,
               uint32: Int32 = 13, uint64: Int32 = 14, int8: Int32 = 15, int16: Int32 = 16, int32: Int32 = 17,
               int64: Int32 = 18, json: Int32 = 19, bson: Int32 = 20, interval: Int32 = 21
}

/// `Statistics` (the `min_value`/`max_value` fields; the deprecated `min`/`max` are read as a fallback).
public struct Statistics: Sendable, Equatable {
    public var nullCount: Int64?
    public var minValue: [UInt8]?
    public var maxValue: [UInt8]?

    public init(nullCount: Int64? = nil, minValue: [UInt8]? = nil, maxValue: [UInt8]? = nil) {
        self.nullCount = nullCount
        self.minValue = minValue
        self.maxValue = maxValue
    }
}

/// `ColumnMetaData`.
public struct ColumnMetaData: Sendable, Equatable {
    public var type: PhysicalType
    public var encodings: [Int32]
    public var pathInSchema: [String]
    public var codec: Int32
    public var numValues: Int64
    public var totalUncompressedSize: Int64
    public var totalCompressedSize: Int64
    public var dataPageOffset: Int64
    public var dictionaryPageOffset: Int64?
    public var statistics: Statistics?
}

/// `ColumnChunk` (columns in other files and encrypted columns are refused when read).
public struct ColumnChunk: Sendable, Equatable {
    public var fileOffset: Int64
    public var metaData: ColumnMetaData
}

/// `RowGroup`.
public struct RowGroup: Sendable, Equatable {
    public var columns: [ColumnChunk]
    public var totalByteSize: Int64
    public var numRows: Int64
    public var fileOffset: Int64?
    public var totalCompressedSize: Int64?
}

/// `KeyValue`.
public struct KeyValue: Sendable, Equatable {
    public var key: String
    public var value: String?
}

/// `FileMetaData`.
public struct FileMetaData: Sendable, Equatable {
    public var version: Int32
    public var schema: [SchemaElement]
    public var numRows: Int64
    public var rowGroups: [RowGroup]
    public var keyValueMetadata: [KeyValue]
    public var createdBy: String?
}

/// `DataPageHeader` and `DataPageHeaderV2` together.
public struct DataPageInfo: Sendable, Equatable {
    public var numValues: Int32
    public var encoding: Int32
    /// v1 only.
    public var definitionLevelEncoding: Int32 = ParquetEncoding.rle.rawValue
    /// v2 only.
    public var numNulls: Int32 = 0
    public var numRows: Int32 = 0
    public var definitionLevelsByteLength: Int32 = 0
    public var repetitionLevelsByteLength: Int32 = 0
    public var isCompressed = true
}

/// `PageHeader`.
public struct PageHeader: Sendable, Equatable {
    public var type: Int32
    public var uncompressedPageSize: Int32
    public var compressedPageSize: Int32
    public var dataPage: DataPageInfo?
    public var dataPageV2: DataPageInfo?
    /// The dictionary page's value count and encoding.
    public var dictionaryNumValues: Int32?
    public var dictionaryEncoding: Int32?
}

// MARK: - Encoding

extension ThriftWriter {
    mutating func write(_ element: SchemaElement) {
        if let type = element.type { field(1, i32: type.rawValue) }
        if let typeLength = element.typeLength { field(2, i32: typeLength) }
        if let repetition = element.repetition { field(3, i32: repetition.rawValue) }
        field(4, string: element.name)
        if let numChildren = element.numChildren { field(5, i32: numChildren) }
        if let convertedType = element.convertedType { field(6, i32: convertedType) }
        if let scale = element.scale { field(7, i32: scale) }
        if let precision = element.precision { field(8, i32: precision) }
        if let logical = element.logicalType {
            beginStruct(10)
            write(logical)
            endStruct()
        }
    }

    private mutating func writeUnit(_ id: Int16, _ unit: TimeUnit) {
        beginStruct(id)
        field(unit.rawValue, emptyStruct: ())
        endStruct()
    }

    mutating func write(_ logical: LogicalType) {
        switch logical {
        case .string: field(1, emptyStruct: ())
        case .enumeration: field(4, emptyStruct: ())
        case .decimal(let scale, let precision):
            beginStruct(5)
            field(1, i32: scale)
            field(2, i32: precision)
            endStruct()
        case .date: field(6, emptyStruct: ())
        case .time(let utc, let unit):
            beginStruct(7)
            field(1, bool: utc)
            writeUnit(2, unit)
            endStruct()
        case .timestamp(let utc, let unit):
            beginStruct(8)
            field(1, bool: utc)
            writeUnit(2, unit)
            endStruct()
        case .integer(let bitWidth, let isSigned):
            beginStruct(10)
            field(1, i8: bitWidth)
            field(2, bool: isSigned)
            endStruct()
        case .unknown: field(11, emptyStruct: ())
        case .json: field(12, emptyStruct: ())
        case .bson: field(13, emptyStruct: ())
        case .uuid: field(14, emptyStruct: ())
        case .float16: field(15, emptyStruct: ())
        case .other(let id): field(id, emptyStruct: ())
        }
    }

    mutating func write(_ statistics: Statistics) {
        if let nullCount = statistics.nullCount { field(3, i64: nullCount) }
        if let maxValue = statistics.maxValue { field(5, binary: maxValue) }
        if let minValue = statistics.minValue { field(6, binary: minValue) }
    }

    mutating func write(_ meta: ColumnMetaData) {
        field(1, i32: meta.type.rawValue)
        field(2, i32List: meta.encodings)
        field(3, stringList: meta.pathInSchema)
        field(4, i32: meta.codec)
        field(5, i64: meta.numValues)
        field(6, i64: meta.totalUncompressedSize)
        field(7, i64: meta.totalCompressedSize)
        field(9, i64: meta.dataPageOffset)
        if let dictionaryPageOffset = meta.dictionaryPageOffset { field(11, i64: dictionaryPageOffset) }
        if let statistics = meta.statistics {
            beginStruct(12)
            write(statistics)
            endStruct()
        }
    }

    /// The whole `FileMetaData` struct, with a `TYPE_ORDER` column order for every leaf column.
    mutating func write(_ file: FileMetaData) {
        field(1, i32: file.version)
        field(2, structList: file.schema) { $0.write($1) }
        field(3, i64: file.numRows)
        field(4, structList: file.rowGroups) { writer, group in
            writer.field(1, structList: group.columns) { writer, chunk in
                writer.field(2, i64: chunk.fileOffset)
                writer.beginStruct(3)
                writer.write(chunk.metaData)
                writer.endStruct()
            }
            writer.field(2, i64: group.totalByteSize)
            writer.field(3, i64: group.numRows)
            if let fileOffset = group.fileOffset { writer.field(5, i64: fileOffset) }
            if let totalCompressedSize = group.totalCompressedSize { writer.field(6, i64: totalCompressedSize) }
        }
        if !file.keyValueMetadata.isEmpty {
            field(5, structList: file.keyValueMetadata) { writer, pair in
                writer.field(1, string: pair.key)
                if let value = pair.value { writer.field(2, string: value) }
            }
        }
        if let createdBy = file.createdBy { field(6, string: createdBy) }
        let leaves = file.schema.filter { ($0.numChildren ?? 0) == 0 }.count
        field(7, structList: Array(repeating: (), count: leaves)) { writer, _ in writer.field(1, emptyStruct: ()) }
        stop()
    }

    mutating func write(_ header: PageHeader) {
        field(1, i32: header.type)
        field(2, i32: header.uncompressedPageSize)
        field(3, i32: header.compressedPageSize)
        if let page = header.dataPage {
            beginStruct(5)
            field(1, i32: page.numValues)
            field(2, i32: page.encoding)
            field(3, i32: page.definitionLevelEncoding)
            field(4, i32: ParquetEncoding.rle.rawValue)
            endStruct()
        }
        if let numValues = header.dictionaryNumValues {
            beginStruct(7)
            field(1, i32: numValues)
            field(2, i32: header.dictionaryEncoding ?? ParquetEncoding.plain.rawValue)
            endStruct()
        }
        if let page = header.dataPageV2 {
            beginStruct(8)
            field(1, i32: page.numValues)
            field(2, i32: page.numNulls)
            field(3, i32: page.numRows)
            field(4, i32: page.encoding)
            field(5, i32: page.definitionLevelsByteLength)
            field(6, i32: page.repetitionLevelsByteLength)
            field(7, bool: page.isCompressed)
            endStruct()
        }
        stop()
    }
}

// MARK: - Decoding

extension SchemaElement {
    init(_ s: ThriftStruct) throws {
        guard let name = s.string(4) else { throw ThriftError("a schema element has no name") }
        self.name = name
        if let raw = try s.int32(1, "type") {
            guard let type = PhysicalType(rawValue: raw) else { throw ThriftError("column '\(name)': unknown physical type \(raw)") }
            self.type = type
        }
        typeLength = try s.int32(2, "type_length")
        if let raw = try s.int32(3, "repetition_type") {
            guard let repetition = Repetition(rawValue: raw) else {
                throw ThriftError("column '\(name)': unknown repetition type \(raw)")
            }
            self.repetition = repetition
        }
        numChildren = try s.int32(5, "num_children")
        convertedType = try s.int32(6, "converted_type")
        scale = try s.int32(7, "scale")
        precision = try s.int32(8, "precision")
        if let logical = s.structure(10) { logicalType = try LogicalType(logical) }
    }
}

extension LogicalType {
    init(_ s: ThriftStruct) throws {
        guard let (id, value) = s.fields.first else { throw ThriftError("an empty logical type") }
        func unit(_ member: ThriftStruct) throws -> TimeUnit {
            guard let unit = member.structure(2), let key = unit.fields.keys.first, let parsed = TimeUnit(rawValue: key) else {
                throw ThriftError("a time or timestamp logical type without a known unit")
            }
            return parsed
        }
        let member: ThriftStruct
        if case .structure(let inner) = value { member = inner } else { throw ThriftError("malformed logical type") }
        switch id {
        case 1: self = .string
        case 4: self = .enumeration
        case 5:
            self = .decimal(scale: try member.int32(1, "decimal scale") ?? 0,
                            precision: try member.int32(2, "decimal precision") ?? 0)
        case 6: self = .date
        case 7: self = .time(isAdjustedToUTC: member.bool(1) ?? false, unit: try unit(member))
        case 8: self = .timestamp(isAdjustedToUTC: member.bool(1) ?? false, unit: try unit(member))
        case 10:
            guard let width = member.int(1), let narrow = Int8(exactly: width) else { throw ThriftError("an integer type without a bit width") }
            self = .integer(bitWidth: narrow, isSigned: member.bool(2) ?? true)
        case 11: self = .unknown
        case 12: self = .json
        case 13: self = .bson
        case 14: self = .uuid
        case 15: self = .float16
        default: self = .other(id)
        }
    }
}

extension Statistics {
    init(_ s: ThriftStruct) {
        nullCount = s.int(3)
        minValue = s.binary(6) ?? s.binary(2)
        maxValue = s.binary(5) ?? s.binary(1)
    }
}

private func structs(_ value: [ThriftValue]?) -> [ThriftStruct] {
    (value ?? []).compactMap { if case .structure(let s) = $0 { return s } else { return nil } }
}

extension FileMetaData {
    /// Decodes the footer's `FileMetaData`.
    public init(decoding bytes: ArraySlice<UInt8>) throws {
        var reader = ThriftReader(bytes)
        let s = try reader.readStruct()
        if s[8] != nil { throw ThriftError("the file is encrypted (encryption_algorithm is set): encrypted Parquet is not supported") }
        version = try s.int32(1, "version") ?? 1
        schema = try structs(s.list(2)).map(SchemaElement.init)
        numRows = try s.requiredInt(3, "num_rows")
        keyValueMetadata = structs(s.list(5)).compactMap { pair in
            pair.string(1).map { KeyValue(key: $0, value: pair.string(2)) }
        }
        createdBy = s.string(6)
        rowGroups = try structs(s.list(4)).map { group in
            let columns = try structs(group.list(1)).map { chunk -> ColumnChunk in
                if chunk[8] != nil || chunk[9] != nil {
                    throw ThriftError("a column chunk is encrypted: encrypted Parquet is not supported")
                }
                if let path = chunk.string(1), !path.isEmpty {
                    throw ThriftError("a column chunk is stored in another file ('\(path)'): external column chunks are not supported")
                }
                guard let m = chunk.structure(3) else { throw ThriftError("a column chunk has no metadata") }
                guard let rawType = try m.int32(1, "column type"), let type = PhysicalType(rawValue: rawType) else {
                    throw ThriftError("a column chunk has no known physical type")
                }
                let meta = ColumnMetaData(
                    type: type,
                    encodings: try (m.list(2) ?? []).map {
                        guard case .int(let v) = $0, let narrow = Int32(exactly: v) else { throw ThriftError("bad encoding list") }
                        return narrow
                    },
                    pathInSchema: (m.list(3) ?? []).compactMap { if case .binary(let b) = $0 { return String(decoding: b, as: UTF8.self) } else { return nil } },
                    codec: try m.int32(4, "codec") ?? 0,
                    numValues: try m.requiredInt(5, "num_values"),
                    totalUncompressedSize: try m.requiredInt(6, "total_uncompressed_size"),
                    totalCompressedSize: try m.requiredInt(7, "total_compressed_size"),
                    dataPageOffset: try m.requiredInt(9, "data_page_offset"),
                    dictionaryPageOffset: m.int(11),
                    statistics: m.structure(12).map(Statistics.init))
                return ColumnChunk(fileOffset: chunk.int(2) ?? 0, metaData: meta)
            }
            return RowGroup(columns: columns, totalByteSize: group.int(2) ?? 0, numRows: try group.requiredInt(3, "row group num_rows"),
                            fileOffset: group.int(5), totalCompressedSize: group.int(6))
        }
    }
}

extension PageHeader {
    /// Decodes a page header at the start of `bytes`; returns it and its length in bytes.
    static func decode(_ bytes: ArraySlice<UInt8>) throws -> (PageHeader, Int) {
        var reader = ThriftReader(bytes)
        let s = try reader.readStruct()
        var header = PageHeader(type: Int32(try s.requiredInt(1, "page type") & 0xffff),
                                uncompressedPageSize: try s.int32(2, "uncompressed_page_size") ?? -1,
                                compressedPageSize: try s.int32(3, "compressed_page_size") ?? -1)
        guard header.uncompressedPageSize >= 0, header.compressedPageSize >= 0 else {
            throw ThriftError("a page header without valid page sizes")
        }
        if let page = s.structure(5) {
            header.dataPage = DataPageInfo(numValues: try page.int32(1, "num_values") ?? 0,
                                           encoding: try page.int32(2, "encoding") ?? 0,
                                           definitionLevelEncoding: try page.int32(3, "definition_level_encoding") ?? 3)
        }
        if let dictionary = s.structure(7) {
            header.dictionaryNumValues = try dictionary.int32(1, "num_values") ?? 0
            header.dictionaryEncoding = try dictionary.int32(2, "encoding") ?? 0
        }
        if let page = s.structure(8) {
            header.dataPageV2 = DataPageInfo(
                numValues: try page.int32(1, "num_values") ?? 0, encoding: try page.int32(4, "encoding") ?? 0,
                numNulls: try page.int32(2, "num_nulls") ?? 0, numRows: try page.int32(3, "num_rows") ?? 0,
                definitionLevelsByteLength: try page.int32(5, "definition_levels_byte_length") ?? 0,
                repetitionLevelsByteLength: try page.int32(6, "repetition_levels_byte_length") ?? 0,
                isCompressed: page.bool(7) ?? true)
        }
        return (header, reader.consumed)
    }
}
