import Foundation
import MimeoData
@testable import MimeoTabular
import MimeoTensor
import Testing

/// Extreme numbers, huge row counts and hostile model files: never a trap, always a clear error or safe
/// output (issue 6).
@Suite struct HardeningTests {
    // MARK: - A small model to break

    /// A small table of every modelled kind: integers with a wide range, decimals, categories, dates,
    /// identifiers, and missing values.
    static let table: (table: Table, schema: Schema) = {
        var random = RandomStream(seed: 5, stream: 1)
        var columns: [[String?]] = [[], [], [], [], []]
        let categories = ["red", "green", "blue", "black"]
        for row in 0..<400 {
            columns[0].append(String(random.nextInt(below: 100_000) - 50_000))
            columns[1].append(row % 17 == 0 ? nil : String(format: "%.2f", random.nextDouble() * 10))
            columns[2].append(categories[random.nextInt(below: categories.count)])
            columns[3].append(String(format: "20%02d-%02d-%02d", random.nextInt(below: 20), 1 + random.nextInt(below: 12),
                                     1 + random.nextInt(below: 28)))
            columns[4].append("ID\(100_000 + row)")
        }
        let table = Table(columnNames: ["amount", "score", "colour", "day", "id"], columns: columns)
        return (table, SchemaInference().inferSchema(from: table))
    }()

    static let trained: TrainedModel = {
        var options = TrainingOptions()
        options.maxEpochs = 1
        options.seed = 3
        options.threads = 1
        return try! TrainingPipeline.train(table.table, schema: table.schema, sourceName: "small.csv",
                                      trainingOptions: options)
    }()

    static let bytes: [UInt8] = (try? ModelFile.encode(trained)) ?? []

    /// Generates a few rows from a decoded model: a model that decodes must be safe to use.
    static func generate(_ trained: TrainedModel, rows: Int = 64) throws -> [UInt8] {
        let sampler = try Sampler(model: trained.model, encoder: trained.metadata.encoder)
        var bytes: [UInt8] = []
        try GenerationRun(sampler: sampler, rowCount: rows, seed: 1, threads: 1).run(write: { bytes += $0 })
        return bytes
    }

    /// The message of the `ModelFileError` that decoding `bytes` throws, or nil if it decodes.
    static func decodeError(_ bytes: [UInt8]) -> String? {
        do {
            _ = try ModelFile.decode(bytes)
            return nil
        } catch let error as ModelFileError {
            return error.message
        } catch {
            return "unexpected error type: \(error)"
        }
    }

    // MARK: - Numbers

    @Test func extremeIntegerRangesDrawWholeNumbersWithinInt64() {
        let encoding = NumericEncoding(statistics: Self.statistics([-0x1p63: 1, -5: 40, 0: 40, 7: 40, 0x1p63: 1]),
                                       isInteger: true, options: EncodingOptions(rareThreshold: 5))
        var random = RandomStream(seed: 1, stream: 1)
        for token in 0..<encoding.buckets.count {
            for _ in 0..<200 {
                let value = encoding.decode(Int32(token), random: &random)!
                #expect(value >= -0x1p63 && value <= 0x1p63 && value == value.rounded())
                var bytes: [UInt8] = []
                encoding.append(value, to: &bytes)
                let text = String(decoding: bytes, as: UTF8.self)
                #expect(Int64(text) != nil, "\(text) is not an Int64")
            }
        }
        var top: [UInt8] = []
        encoding.append(0x1p63, to: &top)
        #expect(String(decoding: top, as: UTF8.self) == "9223372036854775807")
        var bottom: [UInt8] = []
        encoding.append(-0x1p63, to: &bottom)
        #expect(String(decoding: bottom, as: UTF8.self) == "-9223372036854775808")
    }

    @Test func decimalRangesWiderThanADoubleStayFinite() {
        let encoding = NumericEncoding(statistics: Self.statistics([-1.7e308: 1, 1.5: 1, 1.7e308: 1], decimals: 2),
                                       isInteger: false, options: EncodingOptions(rareThreshold: 5))
        var random = RandomStream(seed: 2, stream: 1)
        for _ in 0..<500 {
            let value = encoding.decode(0, random: &random)!
            #expect(value.isFinite && value >= -1.7e308 && value <= 1.7e308)
        }
    }

    static func statistics(_ counts: [Double: Int], decimals: Int = 0) -> NumericStatistics {
        var statistics = NumericStatistics()
        statistics.counts = counts
        statistics.decimals = decimals
        return statistics
    }

    @Test(arguments: [0, 1, 5, 15, 16, 17, 18, 19, 20, 40, -3])
    func numberFormattingNeverOverrunsItsBuffer(decimals: Int) {
        for value in [0, 1e-20, 0.5, -0.5, 123.456, 9e17, -9e17, 8.99e18, 1e19, 1e300, -1e300, .infinity, .nan] {
            var bytes: [UInt8] = []
            NumberParsing.append(value, decimals: decimals, to: &bytes)
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(!text.isEmpty)
            if value.isFinite, abs(value) < 1e15, (0...15).contains(decimals) {
                let digits = text.split(separator: ".").dropFirst().first?.count ?? 0
                #expect(digits == decimals, "\(text): \(value) with \(decimals) decimals")
                let error = abs((Double(text) ?? .nan) - value)
                #expect(error <= 0.5 * pow(10, Double(-decimals)) + 1e-15 * abs(value), "\(text): \(value)")
            }
        }
        #expect(NumberParsing.rounded(1e308, decimals: 15) == 1e308)
    }

    @Test func hugeExponentsDoNotOverflowDecimalCounting() {
        // Decimal places are counted by `NumberSyntax` (capped at 20; training records at most 15).
        #expect((NumberSyntax.number("1e-9223372036854775808")?.places ?? 0) <= 20)
        #expect(NumberSyntax.number("1e9223372036854775807") == nil)
        #expect(NumberSyntax.number("1.5e-3")?.places == 4)
    }

    // MARK: - Row counts

    /// `Int.max` rows: the batch arithmetic must not overflow (the run is stopped by its writer).
    @Test func hugeRowCountsDoNotOverflow() throws {
        struct Stop: Error {}
        let sampler = try Sampler(model: Self.trained.model, encoder: Self.trained.metadata.encoder)
        for rowCount in [Int.max, Int.max - 1, Int.max - Sampler.batchSize] {
            var writes = 0
            #expect(throws: Stop.self) {
                try GenerationRun(sampler: sampler, rowCount: rowCount, seed: 1, threads: 2).run(write: { _ in
                    writes += 1
                    if writes == 3 { throw Stop() }
                })
            }
        }
        var bytes: [UInt8] = []
        try GenerationRun(sampler: sampler, rowCount: -5, seed: 1, threads: 1).run(write: { bytes += $0 })
        #expect(bytes == sampler.headerBytes(), "a negative row count writes only the header")
    }

    // MARK: - Model files

    @Test func theSmallModelRoundTripsAndGenerates() throws {
        let decoded = try ModelFile.decode(Self.bytes)
        #expect(try ModelFile.encode(decoded) == Self.bytes)
        #expect(ModelFile.checkedParameterCount(decoded.metadata.architecture) == decoded.model.parameters.count)
        let rows = String(decoding: try Self.generate(decoded), as: UTF8.self).split(separator: "\n")
        #expect(rows.count == 65)
    }

    /// The issue's header: a parameter count whose byte size overflows 64 bits.
    @Test(arguments: [UInt64(0x3FFF_FFFF_FFFF_D135), UInt64.max, UInt64(1) << 62, UInt64(Int32.max), 0])
    func hugeParameterCountsAreRefused(count: UInt64) {
        var bytes = Self.bytes
        let metadataEnd = 20 + Self.metadataLength(bytes)
        for i in 0..<8 { bytes[metadataEnd + i] = UInt8(truncatingIfNeeded: count >> (8 * UInt64(i))) }
        let message = Self.decodeError(Self.withChecksum(Array(bytes.dropLast(4))))
        #expect(message?.contains("truncated or padded model file") == true, "\(message ?? "decoded")")
    }

    @Test func hugeMetadataLengthsAreRefused() {
        for length in [UInt64.max, UInt64(Int.max), UInt64(Self.bytes.count), UInt64(Self.bytes.count - 31)] {
            var bytes = Self.bytes
            for i in 0..<8 { bytes[12 + i] = UInt8(truncatingIfNeeded: length >> (8 * UInt64(i))) }
            let message = Self.decodeError(bytes)
            #expect(message?.contains("truncated") == true, "\(length): \(message ?? "decoded")")
        }
    }

    /// Every prefix of the file is refused with a message (every length through the header and the
    /// metadata's start, then a spread through the rest).
    @Test func everyTruncationIsRefused() {
        let bytes = Self.bytes
        let lengths = Array(0..<min(bytes.count, 200)) + Array(stride(from: 200, to: bytes.count, by: 97))
            + [bytes.count - 4, bytes.count - 1]
        for length in lengths {
            let message = Self.decodeError(Array(bytes.prefix(length)))
            #expect(message != nil && message?.hasPrefix("unexpected") == false, "length \(length): \(message ?? "decoded")")
        }
    }

    /// Bytes changed anywhere, with the checksum recomputed, so that the checksum cannot catch them: the
    /// file is refused by the validation, or it decodes to a model that generates.
    @Test func flippedBytesWithAValidChecksumNeverCrash() throws {
        let body = Array(Self.bytes.dropLast(4))
        let metadataEnd = 20 + Self.metadataLength(Self.bytes)
        // Every byte of the header, every third byte of the metadata, a spread of the weights.
        let positions = Array(0..<28) + Array(stride(from: 20, to: metadataEnd, by: 3))
            + Array(stride(from: metadataEnd, to: body.count, by: 1009))
        var decoded = 0, refused = 0
        for position in positions {
            for replacement: UInt8 in [body[position] ^ 0x01, UInt8(ascii: "9"), UInt8(ascii: "-"), 0xFF] {
                var copy = body
                copy[position] = replacement
                guard copy != body else { continue }
                let bytes = Self.withChecksum(copy)
                do {
                    let model = try ModelFile.decode(bytes)
                    _ = try? Self.generate(model, rows: 8)
                    decoded += 1
                } catch let error as ModelFileError {
                    #expect(!error.message.contains("checksum"), "the checksum was recomputed")
                    refused += 1
                }
            }
        }
        #expect(refused > 0 && decoded > 0, "\(refused) refused, \(decoded) decoded")
    }

    /// Metadata edited to say something impossible, with the checksum fixed up.
    @Test(arguments: HostileEdit.all)
    func hostileMetadataIsRefused(_ edit: HostileEdit) throws {
        let bytes = Self.editingMetadata(of: Self.bytes, edit.edit)
        let message = Self.decodeError(bytes)
        #expect(message?.contains(edit.message) == true, "\(message ?? "decoded")")
    }

    @Test func nonFiniteWeightsAreRefused() {
        var body = Array(Self.bytes.dropLast(4))
        let start = 20 + Self.metadataLength(Self.bytes) + 8
        for i in 0..<4 { body[start + 40 + i] = UInt8(truncatingIfNeeded: Float.nan.bitPattern >> (8 * UInt32(i))) }
        #expect(Self.decodeError(Self.withChecksum(body))?.contains("parameter 10 is nan") == true)
    }

    @Test func deeplyNestedMetadataIsRefused() {
        let json = Array(String(repeating: "[", count: 100_000).utf8)
        #expect(Self.decodeError(Self.replacingMetadata(of: Self.bytes, with: json))?.contains("unreadable metadata") == true)
    }

    // MARK: - Wide dates

    /// Dates from 0001 to 9999: the year is encoded like a number (about a hundred tokens, not 9,999), and
    /// generated dates are valid and spread over the range.
    @Test func wideYearRangesStaySmall() throws {
        var random = RandomStream(seed: 9, stream: 3)
        var days: [String?] = [], amounts: [String?] = []
        for row in 0..<200 {
            let year = row == 0 ? 1 : row == 1 ? 9999 : 1 + random.nextInt(below: 9999)
            days.append(String(format: "%04d-%02d-%02d", year, 1 + random.nextInt(below: 12), 1 + random.nextInt(below: 28)))
            amounts.append(String(random.nextInt(below: 1000)))
        }
        let table = Table(columnNames: ["day", "amount"], columns: [days, amounts])
        let schema = SchemaInference().inferSchema(from: table)
        #expect(schema.columns[0].kind == .datetime)
        var options = TrainingOptions()
        options.maxEpochs = 2
        options.seed = 1
        options.threads = 1
        let trained = try TrainingPipeline.train(table, schema: schema, sourceName: "dates.csv", trainingOptions: options)
        guard case .datetime(let encoding) = trained.metadata.encoder.encodings[0] else {
            Issue.record("not a datetime encoding")
            return
        }
        #expect(encoding.years != nil)
        #expect(encoding.cardinalities.allSatisfy { $0 <= 101 }, "\(encoding.cardinalities)")
        #expect(trained.model.parameters.count < 100_000, "\(trained.model.parameters.count) parameters")

        let decoded = try ModelFile.decode(try ModelFile.encode(trained))
        let output = try TableLoader().load(from: CSVReader(bytes: try Self.generate(decoded, rows: 3000)))
        let format = DateTimeFormat(pattern: "%Y-%m-%d")!
        let years = try output.columns[0].map { value -> Int in
            let parts = try #require(value.flatMap { format.parse($0) }, "\(value ?? "nil") is not a date")
            return parts.year
        }
        #expect(years.allSatisfy { (1...9999).contains($0) })
        #expect(years.min()! < 1000 && years.max()! > 9000, "years \(years.min()!)...\(years.max()!)")
        #expect(Set(years).count > 500, "years are drawn inside ranges, not only at their ends")
    }

    // MARK: - Byte helpers

    static func metadataLength(_ bytes: [UInt8]) -> Int {
        (0..<8).reduce(0) { $0 | Int(bytes[12 + $1]) << (8 * $1) }
    }

    static func withChecksum(_ body: [UInt8]) -> [UInt8] {
        let crc = ModelFile.crc32(body)
        return body + (0..<4).map { UInt8(truncatingIfNeeded: crc >> (8 * $0)) }
    }

    static func replacingMetadata(of bytes: [UInt8], with metadata: [UInt8]) -> [UInt8] {
        let length = metadataLength(bytes)
        let count = UInt64(metadata.count)
        let body = Array(bytes[0..<12]) + (0..<8).map { UInt8(truncatingIfNeeded: count >> (8 * UInt64($0))) }
            + metadata + Array(bytes[(20 + length)..<(bytes.count - 4)])
        return withChecksum(body)
    }

    static func editingMetadata(of bytes: [UInt8], _ edit: (inout [String: Any]) -> Void) -> [UInt8] {
        let length = metadataLength(bytes)
        var metadata = try! JSONSerialization.jsonObject(with: Data(bytes[20..<(20 + length)])) as! [String: Any]
        edit(&metadata)
        return replacingMetadata(of: bytes, with: [UInt8](try! JSONSerialization.data(withJSONObject: metadata)))
    }
}

/// One way of editing a model's metadata JSON into something impossible, and the message expected.
struct HostileEdit: Sendable, CustomTestStringConvertible {
    let name: String
    let message: String
    let edit: @Sendable (inout [String: Any]) -> Void
    var testDescription: String { name }

    /// Edits the encoding of column `index` (`kind`: "numeric", "categorical", …) in place.
    static func encoding(_ index: Int, _ kind: String, _ change: @escaping @Sendable (inout [String: Any]) -> Void)
        -> @Sendable (inout [String: Any]) -> Void {
        { metadata in
            var encoder = metadata["encoder"] as! [String: Any]
            var encodings = encoder["encodings"] as! [[String: Any]]
            var outer = encodings[index][kind] as! [String: Any]
            var inner = outer["_0"] as! [String: Any]
            change(&inner)
            outer["_0"] = inner
            encodings[index][kind] = outer
            encoder["encodings"] = encodings
            metadata["encoder"] = encoder
        }
    }

    static func architecture(_ change: @escaping @Sendable (inout [String: Any]) -> Void)
        -> @Sendable (inout [String: Any]) -> Void {
        { metadata in
            var architecture = metadata["architecture"] as! [String: Any]
            change(&architecture)
            metadata["architecture"] = architecture
        }
    }

    static func buckets(_ change: @escaping @Sendable (inout [[String: Any]]) -> Void) -> @Sendable (inout [String: Any]) -> Void {
        encoding(0, "numeric") { inner in
            var buckets = inner["buckets"] as! [[String: Any]]
            change(&buckets)
            inner["buckets"] = buckets
        }
    }

    static let all: [HostileEdit] = [
        HostileEdit(name: "short-hidden-widths", message: "architecture lists of different lengths",
                    edit: architecture { $0["hiddenWidths"] = ($0["hiddenWidths"] as! [Int]).dropLast().map { $0 } }),
        HostileEdit(name: "short-embedding-widths", message: "architecture lists of different lengths",
                    edit: architecture { $0["embeddingWidths"] = Array(($0["embeddingWidths"] as! [Int]).prefix(1)) }),
        HostileEdit(name: "empty-cardinalities", message: "architecture lists of different lengths",
                    edit: architecture { $0["cardinalities"] = [Int]() }),
        HostileEdit(name: "huge-hidden-width", message: "hiddenWidths of 4611686018427387903",
                    edit: architecture { $0["hiddenWidths"] = ($0["hiddenWidths"] as! [Int]).map { _ in Int.max / 2 } }),
        HostileEdit(name: "zero-embedding-width", message: "empty vocabulary or layer",
                    edit: architecture { $0["embeddingWidths"] = ($0["embeddingWidths"] as! [Int]).map { _ in 0 } }),
        HostileEdit(name: "cardinalities-off-by-one", message: "the column encodings do not match",
                    edit: architecture { $0["cardinalities"] = ($0["cardinalities"] as! [Int]).map { $0 + 1 } }),
        HostileEdit(name: "negative-width", message: "empty vocabulary or layer",
                    edit: architecture { $0["hiddenWidths"] = ($0["hiddenWidths"] as! [Int]).map { _ in -7 } }),
        HostileEdit(name: "wider-hidden-layers", message: "the weights",
                    edit: architecture { $0["hiddenWidths"] = ($0["hiddenWidths"] as! [Int]).map { $0 + 1 } }),
        HostileEdit(name: "huge-cardinality", message: "(at most 16384 are supported)",
                    edit: architecture { $0["cardinalities"] = ($0["cardinalities"] as! [Int]).map { $0 * 1000 } }),
        HostileEdit(name: "decimals-16", message: "bad decimals", edit: encoding(1, "numeric") { $0["decimals"] = 16 }),
        HostileEdit(name: "decimals-20", message: "bad decimals", edit: encoding(1, "numeric") { $0["decimals"] = 20 }),
        HostileEdit(name: "decimals-negative", message: "bad decimals", edit: encoding(1, "numeric") { $0["decimals"] = -1 }),
        HostileEdit(name: "integer-with-decimals", message: "bad decimals", edit: encoding(0, "numeric") { $0["decimals"] = 2 }),
        HostileEdit(name: "no-buckets", message: "no numeric buckets", edit: encoding(0, "numeric") { $0["buckets"] = [Any]() }),
        HostileEdit(name: "unsorted-buckets", message: "bad numeric bucket", edit: buckets { $0.reverse() }),
        HostileEdit(name: "bucket-outside-range", message: "bad numeric bucket",
                    edit: buckets { $0[0]["lower"] = -1e300 }),
        HostileEdit(name: "inverted-bucket", message: "bad numeric bucket",
                    edit: buckets { $0[$0.count - 2]["lower"] = 1e9; $0[$0.count - 2]["upper"] = -1e9 }),
        HostileEdit(name: "empty-sub-ranges", message: "bad numeric sub-ranges",
                    edit: buckets { $0[0]["subRanges"] = [Any]() }),
        HostileEdit(name: "sub-range-outside-bucket", message: "bad numeric sub-ranges",
                    edit: buckets { $0[0]["subRanges"] = [["lower": -1e30, "upper": 1e30]] }),
        HostileEdit(name: "huge-sub-range-count", message: "bad sub-range count",
                    edit: encoding(0, "numeric") { $0["subRangeCount"] = Int.max }),
        HostileEdit(name: "negative-sub-range-count", message: "bad sub-range count",
                    edit: encoding(0, "numeric") { $0["subRangeCount"] = -2 }),
        HostileEdit(name: "numeric-null-token", message: "bad null token",
                    edit: encoding(1, "numeric") { $0["nullToken"] = 0 }),
        HostileEdit(name: "numeric-inverted-range", message: "bad numeric range",
                    edit: encoding(0, "numeric") { $0["minimum"] = 1e9 }),
        HostileEdit(name: "categorical-null-token", message: "bad null token",
                    edit: encoding(2, "categorical") { $0["nullToken"] = 99 }),
        HostileEdit(name: "categorical-rare-token", message: "bad rare token",
                    edit: encoding(2, "categorical") { $0["rareToken"] = -1 }),
        HostileEdit(name: "categorical-empty", message: "no categories",
                    edit: encoding(2, "categorical") { $0["values"] = [Any]() }),
        HostileEdit(name: "year-overflow", message: "bad datetime encoding",
                    edit: encoding(3, "datetime") { $0["minimumYear"] = Int.min; $0["maximumYear"] = Int.max }),
        HostileEdit(name: "years-inverted", message: "bad datetime encoding",
                    edit: encoding(3, "datetime") { $0["minimumYear"] = 3000 }),
        HostileEdit(name: "instants-outside-years", message: "instants outside its years",
                    edit: encoding(3, "datetime") { $0["maximumSeconds"] = Int64.max }),
        HostileEdit(name: "no-date-parts", message: "bad datetime encoding",
                    edit: encoding(3, "datetime") { $0["parts"] = [String]() }),
        HostileEdit(name: "repeated-date-parts", message: "bad datetime encoding",
                    edit: encoding(3, "datetime") { $0["parts"] = ["year", "year", "month"] }),
        HostileEdit(name: "bad-date-format", message: "bad datetime encoding",
                    edit: encoding(3, "datetime") { $0["format"] = "%Q" }),
        HostileEdit(name: "long-identifier-shape", message: "bad identifier shapes",
                    edit: encoding(4, "identifier") { $0["shapes"] = [String(repeating: "a", count: 100_000)] ; $0["cumulativeWeights"] = [1.0] }),
        HostileEdit(name: "identifier-weights-mismatch", message: "bad identifier shapes",
                    edit: encoding(4, "identifier") { $0["cumulativeWeights"] = [Double]() }),
        HostileEdit(name: "kind-mismatch", message: "a number encoding for a categorical column", edit: { metadata in
            var encoder = metadata["encoder"] as! [String: Any]
            var schema = encoder["schema"] as! [String: Any]
            var columns = schema["columns"] as! [[String: Any]]
            columns[0]["kind"] = "categorical"
            schema["columns"] = columns
            encoder["schema"] = schema
            metadata["encoder"] = encoder
        }),
    ]
}
