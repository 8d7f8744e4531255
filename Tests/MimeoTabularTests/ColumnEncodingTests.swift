import MimeoTestSupport
import MimeoData
@testable import MimeoTabular
import MimeoTensor
import Testing

@Suite struct ColumnEncodingTests {
    /// Every kind: decode(encode(x)) == x for values the encoding keeps exactly, and the null token.
    @Test(arguments: ColumnKind.allCases)
    func roundTripsEveryKind(kind: ColumnKind) throws {
        let values: [String?]
        var schema = ColumnSchema(name: "c", kind: kind)
        switch kind {
        case .integer: values = (0..<200).map { String($0 % 7 - 3) } + [nil, nil]
        case .decimal:
            values = (0..<200).map { ["1.25", "-0.50", "3.00"][$0 % 3] } + [nil]
            schema.decimals = 2
        case .boolean:
            values = (0..<100).map { $0 % 3 == 0 ? "yes" : "no" } + [nil]
            schema.booleanValues = ["no", "yes"]
        case .categorical: values = (0..<300).map { ["red", "green", "blue, dark", "\"quoted\""][$0 % 4] } + [nil]
        case .datetime:
            let dates: [String?] = (0..<100).map { (i: Int) -> String? in
                String(format: "2013-%02d-%02dT%02d:00:00Z", i % 12 + 1, i % 28 + 1, i % 24)
            }
            values = dates + [nil]
            schema.format = "%Y-%m-%dT%H:%M:%SZ"
        case .identifier, .text: values = (0..<200).map { "ID-\(1000 + $0)" } + [nil]
        }
        let statistics = ColumnStatistics.analyze(values, schema: schema)
        let encoding = ColumnEncoding(statistics: statistics, schema: schema, options: EncodingOptions())
        let encoder = TableEncoder(statistics: TableStatistics(schema: Schema(columns: [schema]), rowCount: values.count,
                                                               columns: [statistics]), options: EncodingOptions())
        let tokens = encoder.encode(Table(columnNames: ["c"], columns: [values]))
        let width = encoding.cardinalities.count
        let decoder = ColumnDecoder(encoding: encoding, delimiter: UInt8(ascii: ","))
        var random = RandomStream(seed: 1, stream: 0)
        for (row, value) in values.enumerated() {
            var bytes: [UInt8] = []
            tokens.withUnsafeBufferPointer { decoder.append(tokens: $0.baseAddress! + row * width, random: &random, to: &bytes) }
            let text = String(decoding: bytes, as: UTF8.self)
            switch kind {
            case .identifier, .text:
                // Not modelled: a fresh value of the same shape, never a copy.
                if let value { #expect(text.count == value.count && text != value || text.isEmpty) }
            default:
                let expected = value.map { CSVField.encoded($0, delimiter: UInt8(ascii: ",")) }.map {
                    String(decoding: $0, as: UTF8.self)
                } ?? ""
                #expect(text == expected, "row \(row): \(value ?? "nil") came back as \(text)")
            }
        }
    }

    /// Large vocabularies become two sub-columns (group, member) and join back to the same value.
    @Test func largeVocabulariesSplitIntoTwoSubColumns() throws {
        let values: [String?] = (0..<6000).map { "N\($0 % 1000)" } + [nil]
        let schema = ColumnSchema(name: "tail", kind: .categorical)
        let statistics = ColumnStatistics.analyze(values, schema: schema)
        let encoder = TableEncoder(statistics: TableStatistics(schema: Schema(columns: [schema]), rowCount: values.count,
                                                               columns: [statistics]), options: EncodingOptions())
        #expect(encoder.subColumnCardinalities == [16, 64])   // 1,001 tokens = 16 groups of 64
        let tokens = encoder.encode(Table(columnNames: ["tail"], columns: [values]))
        let decoder = ColumnDecoder(encoding: encoder.encodings[0], delimiter: UInt8(ascii: ","))
        var random = RandomStream(seed: 1, stream: 0)
        for (row, value) in values.enumerated() {
            var bytes: [UInt8] = []
            tokens.withUnsafeBufferPointer { decoder.append(tokens: $0.baseAddress! + 2 * row, random: &random, to: &bytes) }
            #expect(String(decoding: bytes, as: UTF8.self) == (value ?? ""))
        }
        #expect(try encoder.encode(value: "N999", column: 0).count == 2)
    }

    /// A category seen fewer than k times never appears verbatim.
    @Test func rareCategoriesBecomeRareToken() {
        let values: [String?] = Array(repeating: "common", count: 50) + ["secret-1", "secret-2", "secret-2"]
        let encoding = CategoricalEncoding(statistics: .analyze(values), options: EncodingOptions(rareThreshold: 5))
        #expect(!encoding.values.contains("secret-1") && !encoding.values.contains("secret-2"))
        let lookup = encoding.makeLookup()
        #expect(encoding.decode(encoding.encode("secret-1", lookup: lookup)) == ReservedTokens.rare)
        #expect(encoding.decode(encoding.encode("common", lookup: lookup)) == "common")
    }

    /// Numbers: frequent values exact, the rest in ranges of at least k rows, within [min, max],
    /// keeping integer-ness and precision.
    @Test func numericRangesKeepBoundsAndPrecision() {
        var values: [String?] = Array(repeating: "0.00", count: 500)
        for i in 0..<1000 { values.append(String(format: "%.2f", 10 + Double(i) * 0.37)) }
        let statistics = NumericStatistics.analyze(values)
        #expect(statistics.decimals == 2)
        let encoding = NumericEncoding(statistics: statistics, isInteger: false, options: EncodingOptions())
        #expect(encoding.buckets.contains { $0.isExact && $0.lower == 0 })
        #expect(encoding.buckets.count <= 100)
        var random = RandomStream(seed: 3, stream: 0)
        let lookup = encoding.makeLookup()
        var sawMinimum = false
        for value in values {
            let number = Double(value!)!
            let token = encoding.encode(number, lookup: lookup)
            let bucket = encoding.buckets[Int(token)]
            #expect(bucket.lower <= number && number <= bucket.upper)
            let decoded = encoding.decode(token, random: &random)!
            #expect(decoded >= encoding.minimum && decoded <= encoding.maximum)
            #expect(abs(decoded * 100 - (decoded * 100).rounded()) < 1e-6, "two decimals kept")
            if decoded == 0 { sawMinimum = true }
        }
        #expect(sawMinimum)
        #expect(encoding.minimum == 0 && encoding.maximum == 10 + 999 * 0.37)
        // No range holds fewer than k rows (no rare value can be reproduced through a tiny range).
        var counts = [Int](repeating: 0, count: encoding.cardinality)
        for value in values { counts[Int(encoding.encode(Double(value!)!, lookup: lookup))] += 1 }
        for (token, bucket) in encoding.buckets.enumerated() where !bucket.isExact {
            #expect(counts[token] >= 5)
        }
    }

    @Test func integerRangesDrawWholeNumbers() {
        let values: [String?] = (0..<5000).map { String(($0 * 7919) % 100_000) }
        let encoding = NumericEncoding(statistics: .analyze(values), isInteger: true, options: EncodingOptions())
        var random = RandomStream(seed: 5, stream: 1)
        for token in 0..<encoding.buckets.count {
            let value = encoding.decode(Int32(token), random: &random)!
            #expect(value == value.rounded())
        }
    }

    @Test func datetimeDecodingClampsInvalidDays() throws {
        let values: [String?] = ["2012-02-29", "2013-01-31", "2013-12-31", nil]
        let statistics = DatetimeStatistics.analyze(values, format: DateTimeFormat(pattern: "%Y-%m-%d")!)
        let encoding = DatetimeEncoding(statistics: statistics)
        #expect(encoding.parts == [.year, .month, .day])
        // year 2013 (token 1 + 1 for null), February (1 + 1), day 31 (30 + 1): clamped to the 28th.
        let tokens: [Int32] = [2, 2, 31]
        let parts = tokens.withUnsafeBufferPointer { encoding.decode($0.baseAddress!) }
        #expect(parts == DateTimeParts(year: 2013, month: 2, day: 28))
        let null: [Int32] = [0, 0, 0]
        #expect(null.withUnsafeBufferPointer { encoding.decode($0.baseAddress!) } == nil)
    }

    /// `reduce` over split chunks equals `analyze` on the whole table (adult sample, every column).
    @Test func reduceOverChunksEqualsAnalyzeOnWhole() {
        let (table, schema) = TestData.adultSample
        let whole = TableStatistics.analyze(table, schema: schema)
        var merged = TableStatistics.analyze(table.rows(0..<1234), schema: schema)
        for range in [1234..<1235, 1235..<3000, 3000..<table.rowCount] {
            merged.reduce(TableStatistics.analyze(table.rows(range), schema: schema))
        }
        #expect(merged == whole)
        #expect(TableEncoder(statistics: merged, options: EncodingOptions()).encodings
                == TableEncoder(statistics: whole, options: EncodingOptions()).encodings)
    }

    @Test(Datasets.required("flights/flights-train.csv.gz")) func reduceOverChunksEqualsWholeOnFlights() throws {
        let (table, schema) = try TestData.shared("flights/flights-train.csv.gz", rows: 20_000)
        let whole = TableStatistics.analyze(table, schema: schema)
        var merged = TableStatistics.analyze(table.rows(0..<7000), schema: schema)
        merged.reduce(TableStatistics.analyze(table.rows(7000..<table.rowCount), schema: schema))
        #expect(merged == whole)
        let time = try #require(schema.column(named: "time_hour"))
        #expect(time.kind == .datetime)
    }
}
