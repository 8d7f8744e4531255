import Foundation
import Testing

@testable import MimeoParquet

@Suite struct ThriftTests {
    /// Bytes worked out by hand from the compact protocol's specification.
    @Test func encodesFieldsAsTheCompactProtocolSpecifies() {
        var writer = ThriftWriter()
        writer.field(1, i32: 1)             // delta 1, type 5; zigzag(1) = 2
        writer.field(3, i64: -1)            // delta 2, type 6; zigzag(-1) = 1
        writer.field(4, binary: [0x61])     // delta 1, type 8; length 1
        writer.field(20, bool: true)        // delta 16 > 15: long form, type 1, zigzag(20) = 40
        writer.field(21, bool: false)       // delta 1, type 2
        writer.stop()
        #expect(writer.bytes == [0x15, 0x02, 0x26, 0x01, 0x18, 0x01, 0x61, 0x01, 40, 0x12, 0x00])
    }

    @Test func roundTripsNestedStructsAndLists() throws {
        var writer = ThriftWriter()
        writer.field(1, i32: -300)
        writer.field(2, i32List: Array(0 ..< 20))
        writer.field(3, stringList: ["a", "bc"])
        writer.beginStruct(5)
        writer.field(1, double: 2.5)
        writer.field(2, i8: -3)
        writer.endStruct()
        writer.field(6, structList: [7, 8]) { w, value in w.field(1, i64: Int64(value) << 40) }
        writer.stop()
        var reader = ThriftReader(writer.bytes[...])
        let s = try reader.readStruct()
        #expect(reader.consumed == writer.bytes.count)
        #expect(s.int(1) == -300)
        #expect(s.list(2) == (0 ..< 20).map { ThriftValue.int(Int64($0)) })
        #expect(s.list(3) == [.binary([0x61]), .binary([0x62, 0x63])])
        #expect(s.structure(5)?[1] == .double(2.5))
        #expect(s.structure(5)?.int(2) == -3)
        #expect(s.list(6) == [7, 8].map { .structure(ThriftStruct(fields: [1: .int(Int64($0) << 40)])) })
    }

    @Test func skipsMapsAndSetsItDoesNotUse() throws {
        // field 1: map<i32,i32> {1: 2}; field 2: set<i32> {5}; field 3: i32 9.
        let bytes: [UInt8] = [0x1b, 0x01, 0x55, 0x02, 0x04, 0x1a, 0x15, 0x0a, 0x15, 0x12, 0x00]
        var reader = ThriftReader(bytes[...])
        let s = try reader.readStruct()
        #expect(s.int(3) == 9)
        #expect(s[1] == nil && s[2] == nil)
    }

    @Test func rejectsTruncatedAndHostileInput() {
        var writer = ThriftWriter()
        writer.field(1, string: "hello")
        writer.field(2, i32List: [1, 2, 3])
        writer.stop()
        for length in 0 ..< writer.bytes.count {
            var reader = ThriftReader(writer.bytes[0 ..< length])
            #expect(throws: ThriftError.self) { try reader.readStruct() }
        }
        // A binary claiming 2^31 bytes, a list claiming a billion elements, and deep nesting.
        let hostile: [[UInt8]] = [
            [0x18, 0x80, 0x80, 0x80, 0x80, 0x08],
            [0x19, 0xf5, 0x80, 0x94, 0xeb, 0xdc, 0x03],
            Array(repeating: 0x1c, count: 10_000),
        ]
        for bytes in hostile {
            var reader = ThriftReader(bytes[...])
            #expect(throws: ThriftError.self) { try reader.readStruct() }
        }
    }

    @Test func fileMetadataRoundTrips() throws {
        let meta = ColumnMetaData(type: .int64, encodings: [0, 3, 8], pathInSchema: ["age"], codec: 6, numValues: 10,
                                  totalUncompressedSize: 100, totalCompressedSize: 80, dataPageOffset: 40,
                                  dictionaryPageOffset: 4, statistics: Statistics(nullCount: 2, minValue: [1], maxValue: [9]))
        let file = FileMetaData(
            version: 2,
            schema: [SchemaElement(name: "schema", numChildren: 2),
                     SchemaElement(type: .int64, repetition: .optional, name: "age", convertedType: 18,
                                   logicalType: .integer(bitWidth: 64, isSigned: true)),
                     SchemaElement(type: .int64, repetition: .optional, name: "when",
                                   logicalType: .timestamp(isAdjustedToUTC: true, unit: .micros))],
            numRows: 10,
            rowGroups: [RowGroup(columns: [ColumnChunk(fileOffset: 4, metaData: meta)], totalByteSize: 100, numRows: 10,
                                 fileOffset: 4, totalCompressedSize: 80)],
            keyValueMetadata: [KeyValue(key: "k", value: "v")], createdBy: "test")
        var writer = ThriftWriter()
        writer.write(file)
        #expect(try FileMetaData(decoding: writer.bytes[...]) == file)
    }

    @Test func pageHeadersRoundTrip() throws {
        var header = PageHeader(type: 0, uncompressedPageSize: 1000, compressedPageSize: 300)
        header.dataPage = DataPageInfo(numValues: 77, encoding: 8)
        var writer = ThriftWriter()
        writer.write(header)
        let (decoded, length) = try PageHeader.decode(writer.bytes[...] + [1, 2, 3])
        #expect(decoded == header)
        #expect(length == writer.bytes.count)
    }
}

@Suite struct LevelEncodingTests {
    /// The example of the encodings page: 1-8 bit-packed with width 3.
    @Test func bitPacksAsTheSpecificationShows() {
        var out: [UInt8] = []
        RLEHybrid.packBits([0, 1, 2, 3, 4, 5, 6, 7][...], groups: 1, bitWidth: 3, into: &out)
        #expect(out == [0b1000_1000, 0b1100_0110, 0b1111_1010])
    }

    @Test func rleHybridRoundTripsMixedRuns() throws {
        var generator = SystemRandomNumberGenerator()
        for width in [1, 2, 3, 7, 8, 13, 20, 32] {
            var values: [UInt32] = []
            let maximum = width == 32 ? UInt32.max : (UInt32(1) << UInt32(width)) - 1
            while values.count < 5000 {
                let value = UInt32.random(in: 0 ... maximum, using: &generator)
                let run = Bool.random(using: &generator) ? Int.random(in: 1 ... 40, using: &generator) : 1
                values.append(contentsOf: repeatElement(value, count: run))
            }
            var out: [UInt8] = []
            RLEHybrid.encode(values, bitWidth: width, into: &out)
            #expect(try RLEHybrid.decode(out[...], bitWidth: width, count: values.count) == values)
        }
    }

    @Test func decodesDeltaBinaryPackedFromTheSpecification() throws {
        // The encodings page's example 1: 1, 2, 3, 4, 5 (block 128, 4 miniblocks): deltas all 1, min delta 1, widths 0.
        var bytes: [UInt8] = [0x80, 0x01, 0x04, 0x05, 0x02]  // block size 128, 4 miniblocks, 5 values, first 1
        bytes += [0x02, 0, 0, 0, 0]                            // min delta 1, four widths of 0
        var cursor = ByteCursor(bytes[...])
        #expect(try DeltaBinaryPacked.decode(&cursor, maximumCount: 5) == [1, 2, 3, 4, 5])
    }
}
