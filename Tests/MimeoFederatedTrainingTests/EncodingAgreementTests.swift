import Crypto
import Foundation
import MimeoData
@testable import MimeoFederatedTraining
import MimeoTabular
import MimeoTestSupport
import Testing

/// The encoding agreement against the encoding of the pooled table (issue 8, item 1).
@Suite struct EncodingAgreementTests {
    struct Fixture {
        var pooled: Table
        var sites: [Table]
        var schema: Schema
    }

    /// The bundled adult sample split into 3 sites skewed by `relationship` (scripts/split-sites.py).
    static func adultSample() throws -> Fixture {
        let table = try TableLoader().load(path: Datasets.adultSample)
        let schema = TrainingPipeline.resolvingDatetimeFormats(SchemaInference().inferSchema(from: table), table: table)
        return Fixture(pooled: table, sites: SiteSplit.split(table, column: "relationship"), schema: schema)
    }

    static func agree(_ fixture: Fixture, options: EncodingOptions = EncodingOptions(),
                      key: SymmetricKey = SymmetricKey(size: .bits256)) throws -> (encoder: TableEncoder, analyzers: [SiteEncodingAnalyzer]) {
        let analyzers = try fixture.sites.map { try SiteEncodingAnalyzer(table: $0, schema: fixture.schema, key: key) }
        let encoder = try EncodingAgreement.run(sites: analyzers.enumerated().map { ("site-\($0.offset)", $0.element) },
                                                schema: fixture.schema, options: options)
        return (encoder, analyzers)
    }

    static func pooledEncoder(_ fixture: Fixture, options: EncodingOptions = EncodingOptions()) -> TableEncoder {
        TableEncoder(statistics: TrainingPipeline.analyze(fixture.pooled, schema: fixture.schema), options: options)
    }

    /// Categorical (and identifier) encodings equal the pooled table's exactly: same vocabulary in the
    /// same order, same rare and null tokens; for several rare thresholds.
    @Test(arguments: [5, 20, 200])
    func categoriesEqualThePooledEncoding(rareThreshold: Int) throws {
        let fixture = try Self.adultSample()
        var options = EncodingOptions()
        options.rareThreshold = rareThreshold
        let federated = try Self.agree(fixture, options: options).encoder
        let pooled = Self.pooledEncoder(fixture, options: options)
        var compared = 0
        for (index, column) in fixture.schema.columns.enumerated() {
            switch (federated.encodings[index], pooled.encodings[index]) {
            case (.categorical(let a), .categorical(let b)):
                #expect(a == b, "column \(column.name)")
                compared += 1
            case (.identifier(let a), .identifier(let b)):
                #expect(a == b, "column \(column.name)")
            default:
                break
            }
        }
        #expect(compared == 9, "adult has 9 categorical columns")
        // Rare values exist on the union, so the rare token must be there.
        if case .categorical(let country) = federated.encodings[fixture.schema.columns.firstIndex { $0.name == "native-country" }!] {
            #expect(country.rareToken != nil)
        }
    }

    /// Number columns: the same exact values, null token and precision as the pooled encoding; minimum
    /// and maximum within the sketch's bound error; every range of the federated encoding ending within
    /// twice the bound error (one sketch bucket either way) of where a pooled range ends, with both bounds
    /// within the bound error of the pooled values they hold. Ranges can only be cut at bucket bounds, so
    /// where one bucket holds more than one range's mass the federated encoding has fewer ranges (never
    /// more, and at most a few fewer).
    @Test func numericRangesAgreeWithinTheSketchError() throws {
        let fixture = try Self.adultSample()
        let federated = try Self.agree(fixture).encoder
        let pooled = Self.pooledEncoder(fixture)
        let error = RelativeErrorSketch().boundError
        func close(_ a: Double, _ b: Double, _ tolerance: Double) -> Bool { abs(a - b) <= tolerance * abs(b) + 1e-9 }
        var compared = 0, boundsCompared = 0
        for (index, column) in fixture.schema.columns.enumerated() {
            guard case .numeric(let a) = federated.encodings[index], case .numeric(let b) = pooled.encodings[index] else { continue }
            compared += 1
            #expect(a.buckets.filter(\.isExact).map(\.lower) == b.buckets.filter(\.isExact).map(\.lower), "\(column.name) exact values")
            #expect((a.nullToken == nil) == (b.nullToken == nil))
            #expect(a.decimals == b.decimals && a.isInteger == b.isInteger)
            #expect(close(a.minimum, b.minimum, error) && close(a.maximum, b.maximum, error),
                    "\(column.name): [\(a.minimum), \(a.maximum)] vs [\(b.minimum), \(b.maximum)]")
            let ranges = a.buckets.filter { !$0.isExact }, pooledRanges = b.buckets.filter { !$0.isExact }
            #expect(ranges.count <= pooledRanges.count && ranges.count >= pooledRanges.count - 3,
                    "\(column.name): \(ranges.count) ranges, pooled \(pooledRanges.count)")
            let values = fixture.pooled.columns[index].compactMap { $0.flatMap(Double.init) }.sorted()
            for range in ranges {
                // The cut points: each range ends within one sketch bucket of where a pooled range ends.
                #expect(pooledRanges.contains { close(range.upper, $0.upper, 2 * error) },
                        "\(column.name): range upper bound \(range.upper) far from every pooled one")
                // Both bounds are tight to the data: the nearest pooled value inside the range lies within the
                // bound error of each bound (a range starting after a gap starts at the gap's far side).
                let first = values.first { $0 >= range.lower }!, last = values.last { $0 <= range.upper }!
                #expect(close(range.lower, first, error) && close(range.upper, last, error),
                        "\(column.name): range [\(range.lower), \(range.upper)] holds values [\(first), \(last)]")
                boundsCompared += 2
            }
        }
        #expect(compared == 6, "adult has 6 number columns")
        #expect(boundsCompared > 150, "range bounds compared: \(boundsCompared)")
    }

    /// The shared bank_marketing training split (36,168 rows) split into 3 sites by `job`, as
    /// docs/federated.md measures it: categorical encodings equal the pooled ones, number columns keep
    /// the same exact values and their extremes within the sketch's bound error.
    @Test(Datasets.required(Datasets.bankTrain))
    func bankMarketingAgreesWithThePooledEncoding() throws {
        let table = try TableLoader().load(path: Datasets.bankTrain)
        let schema = TrainingPipeline.resolvingDatetimeFormats(SchemaInference().inferSchema(from: table), table: table)
        let fixture = Fixture(pooled: table, sites: SiteSplit.split(table, column: "job"), schema: schema)
        #expect(fixture.sites.map(\.rowCount) == [12_137, 11_850, 12_181], "the split of scripts/split-sites.py --column job")
        let federated = try Self.agree(fixture).encoder
        let pooled = Self.pooledEncoder(fixture)
        let error = RelativeErrorSketch().boundError
        var categorical = 0, numeric = 0
        for (index, column) in schema.columns.enumerated() {
            switch (federated.encodings[index], pooled.encodings[index]) {
            case (.categorical(let a), .categorical(let b)):
                #expect(a == b, "column \(column.name)")
                categorical += 1
            case (.numeric(let a), .numeric(let b)):
                #expect(a.buckets.filter(\.isExact).map(\.lower) == b.buckets.filter(\.isExact).map(\.lower), "\(column.name)")
                #expect(abs(a.minimum - b.minimum) <= error * abs(b.minimum) + 1e-9
                        && abs(a.maximum - b.maximum) <= error * abs(b.maximum) + 1e-9,
                        "\(column.name): [\(a.minimum), \(a.maximum)] vs [\(b.minimum), \(b.maximum)]")
                numeric += 1
            default:
                Issue.record("column \(column.name): the encodings are of different kinds")
            }
        }
        #expect(categorical >= 9 && numeric >= 6, "\(categorical) categorical and \(numeric) number columns")
    }

    /// Merging the sites' sketches gives exactly the pooled sketch, and its quantiles are within α of
    /// the pooled table's exact quantiles.
    @Test func sketchesMergeExactlyAndMeetTheirError() throws {
        let fixture = try Self.adultSample()
        for name in ["fnlwgt", "age", "hours-per-week"] {
            let column = fixture.pooled.columnIndex(named: name)!
            func sketch(_ table: Table) -> RelativeErrorSketch {
                var sketch = RelativeErrorSketch()
                for value in table.columns[column] { if let value, let number = Double(value) { sketch.add(number) } }
                return sketch
            }
            var merged = RelativeErrorSketch()
            for site in fixture.sites.reversed() { merged.merge(sketch(site)) }
            #expect(merged == sketch(fixture.pooled))
            let sorted = fixture.pooled.columns[column].compactMap { $0.flatMap(Double.init) }.sorted()
            for q in stride(from: 0.0, through: 1.0, by: 0.01) {
                let exact = sorted[Int((q * Double(sorted.count - 1)).rounded(.down))]
                let estimate = merged.quantile(q)!
                #expect(abs(estimate - exact) <= merged.relativeAccuracy * abs(exact) * (1 + 1e-9), "\(name) q=\(q)")
            }
        }
    }

    /// No category value below the rare threshold on the union appears in any byte a site sends (round 1
    /// and round 2, serialised as JSON), nor does any number that was not revealed; the frequent values
    /// do appear in round 2 (so the search would find them).
    @Test func rareValuesNeverLeaveASite() throws {
        let fixture = try Self.adultSample()
        let options = EncodingOptions()
        let (encoder, analyzers) = try Self.agree(fixture, options: options)
        var agreement = EncodingAgreement(schema: fixture.schema, options: options)
        for (index, analyzer) in analyzers.enumerated() { try agreement.add(site: "site-\(index)", counts: analyzer.summary) }
        let request = agreement.valueRequest()
        let json = JSONEncoder()
        json.outputFormatting = .sortedKeys
        var rareChecked = 0, frequentFound = 0, numbersChecked = 0
        for (siteIndex, analyzer) in analyzers.enumerated() {
            let sent = String(decoding: try json.encode(analyzer.summary) + json.encode(try analyzer.values(for: request)),
                              as: UTF8.self)
            // Every number the JSON holds (counts, sketch indices, revealed values), as written.
            let numbers = Set(sent.split { !("0"..."9").contains($0) && $0 != "." }.map(String.init))
            let site = fixture.sites[siteIndex]
            for (index, column) in fixture.schema.columns.enumerated() {
                let pooledCounts = Dictionary(fixture.pooled.columns[index].compactMap { $0 }.map { ($0, 1) }, uniquingKeysWith: +)
                let siteValues = Set(site.columns[index].compactMap { $0 })
                switch column.kind {
                case .categorical, .boolean:
                    for value in siteValues {
                        let needle = String(decoding: try json.encode(value).dropFirst().dropLast(), as: UTF8.self)
                        let found = sent.contains(needle)
                        if pooledCounts[value]! < options.rareThreshold {
                            #expect(!found, "rare value '\(value)' of \(column.name) left site \(siteIndex)")
                            rareChecked += 1
                        } else if found {
                            frequentFound += 1
                        }
                    }
                case .integer where column.name == "fnlwgt" || column.name == "capital-gain":
                    // Values of 5 digits and more: counts (at most 5,000 here) and sketch indices (below
                    // 2,000) cannot spell them.
                    guard case .numeric(let encoding) = encoder.encodings[index] else { continue }
                    let revealed = Set(encoding.buckets.filter(\.isExact).map(\.lower))
                    for value in siteValues where value.count >= 5 {
                        guard let number = Double(value), !revealed.contains(number) else { continue }
                        let found = numbers.contains(value) || numbers.contains("\(number)")
                        #expect(!found, "\(column.name) value \(value) left site \(siteIndex)")
                        numbersChecked += 1
                    }
                default:
                    break
                }
            }
        }
        #expect(rareChecked > 20, "rare values checked: \(rareChecked)")
        #expect(frequentFound > 50, "frequent values found: \(frequentFound)")
        #expect(numbersChecked > 1000, "numbers checked: \(numbersChecked)")
    }

    /// A coordinator refuses malformed or inconsistent summaries with errors, and changes nothing.
    @Test func hostileSummariesAreRefused() throws {
        let fixture = try Self.adultSample()
        let key = SymmetricKey(size: .bits256)
        let analyzer = try SiteEncodingAnalyzer(table: fixture.sites[0], schema: fixture.schema, key: key)
        var agreement = EncodingAgreement(schema: fixture.schema)
        try agreement.add(site: "a", counts: analyzer.summary)
        #expect(throws: EncodingAgreementError.self) { try agreement.add(site: "a", counts: analyzer.summary) }
        var wrongNames = analyzer.summary
        wrongNames.columnNames[0] = "something"
        #expect(throws: EncodingAgreementError.self) { try agreement.add(site: "b", counts: wrongNames) }
        var negative = analyzer.summary
        let workclass = fixture.schema.columns.firstIndex { $0.name == "workclass" }!
        if case .categorical(var counts, let nulls) = negative.columns[workclass] {
            counts[0].count = -counts[0].count
            negative.columns[workclass] = .categorical(counts: counts, nullCount: nulls)
        }
        #expect(throws: EncodingAgreementError.self) { try agreement.add(site: "b", counts: negative) }
        var inflated = analyzer.summary
        inflated.rowCount += 1
        #expect(throws: EncodingAgreementError.self) { try agreement.add(site: "b", counts: inflated) }
        var wrongKind = analyzer.summary
        wrongKind.columns[0] = wrongKind.columns[workclass]
        #expect(throws: EncodingAgreementError.self) { try agreement.add(site: "b", counts: wrongKind) }
        #expect(agreement.sites == ["a"])
        // Round 2: values nobody asked for, and a contradicting spelling.
        let request = agreement.valueRequest()
        var values = try analyzer.values(for: request)
        let column = values.columns.firstIndex { !$0.isEmpty }!
        var unrequested = values
        unrequested.columns[column].append(RevealedValue(hash: try ValueHash(bytes: Data(repeating: 7, count: 16)), value: "x"))
        #expect(throws: EncodingAgreementError.self) { try agreement.add(site: "a", values: unrequested) }
        #expect(throws: EncodingAgreementError.self) { try agreement.add(site: "zz", values: values) }
        try agreement.add(site: "a", values: values)
        #expect(throws: EncodingAgreementError.self) { try agreement.add(site: "a", values: values) }
        _ = try agreement.reduce()
        values.columns[column][0].value += "-changed"
        let other = try SiteEncodingAnalyzer(table: fixture.sites[0], schema: fixture.schema, key: key)
        var second = EncodingAgreement(schema: fixture.schema)
        try second.add(site: "a", counts: other.summary)
        try second.add(site: "b", counts: other.summary)
        let honest = try other.values(for: second.valueRequest())
        try second.add(site: "a", values: honest)
        var lying = honest
        lying.columns[column][0].value += "-changed"
        #expect(throws: EncodingAgreementError.self) { try second.add(site: "b", values: lying) }
        // A site whose columns differ from the schema cannot analyze.
        var renamed = fixture.sites[0]
        renamed.columnNames[1] = "other"
        #expect(throws: EncodingAgreementError.self) { try SiteEncodingAnalyzer(table: renamed, schema: fixture.schema, key: key) }
    }

    /// Summaries survive JSON, and a decoded sketch with a bad bucket is refused.
    @Test func summariesRoundTripThroughJSON() throws {
        let fixture = try Self.adultSample()
        let analyzer = try SiteEncodingAnalyzer(table: fixture.sites[1], schema: fixture.schema, key: SymmetricKey(size: .bits256))
        let bytes = try JSONEncoder().encode(analyzer.summary)
        #expect(try JSONDecoder().decode(SiteCountsSummary.self, from: bytes) == analyzer.summary)
        let bad = Data(#"{"relativeAccuracy":0.005,"positive":[[1,-3]],"negative":[],"zeroCount":0}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(RelativeErrorSketch.self, from: bad) }
        let infinite = Data(#"{"relativeAccuracy":0.005,"positive":[[99999999,1]],"negative":[],"zeroCount":0}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(RelativeErrorSketch.self, from: infinite) }
        let short = Data(#""AAAA""#.utf8)
        #expect(throws: (any Error).self) { try JSONDecoder().decode(ValueHash.self, from: short) }
    }
}

/// The agreement on a datetime column: only years travel, by keyed hash, and only frequent ones verbatim.
@Suite struct DatetimeAgreementTests {
    static let schema = Schema(columns: [ColumnSchema(name: "when", kind: .datetime, format: "%Y-%m-%d %H:%M:%S"),
                                         ColumnSchema(name: "kind", kind: .categorical)])

    /// Three sites of 2000–2010 timestamps (only site 1 has non-zero hours, minutes or seconds), some
    /// missing; with `rare`, site 0 also holds two rows of 1955 and site 2 one row of 2030.
    static func sites(rare: Bool) -> [Table] {
        var random = SplitMix64(seed: 3)
        return (0..<3).map { site in
            var when: [String?] = [], kind: [String?] = []
            for year in 2000...2010 {
                for _ in 0..<(10 + site * 3) {
                    let month = Int(random.next() % 12) + 1, day = Int(random.next() % 28) + 1
                    let hour = site == 1 ? Int(random.next() % 24) : 0, minute = site == 1 ? Int(random.next() % 60) : 0
                    when.append(String(format: "%04d-%02d-%02d %02d:%02d:%02d", year, month, day, hour, minute, site == 1 ? 7 : 0))
                    kind.append(["a", "b", "c"][Int(random.next() % 3)])
                }
            }
            when.append(nil); kind.append("a")
            if rare && site == 0 { when += ["1955-03-04 00:00:00", "1955-07-08 00:00:00"]; kind += ["b", "c"] }
            if rare && site == 2 { when.append("2030-01-02 00:00:00"); kind.append("a") }
            return Table(columnNames: ["when", "kind"], columns: [when, kind])
        }
    }

    static func pooled(_ sites: [Table]) -> Table {
        Table(columnNames: sites[0].columnNames, columns: [0, 1].map { c in sites.flatMap { $0.columns[c] } })
    }

    static func encodings(_ sites: [Table]) throws -> (federated: DatetimeEncoding, pooled: DatetimeEncoding, analyzers: [SiteEncodingAnalyzer]) {
        let key = SymmetricKey(size: .bits256)
        let analyzers = try sites.map { try SiteEncodingAnalyzer(table: $0, schema: schema, key: key) }
        let federated = try EncodingAgreement.run(sites: analyzers.enumerated().map { ("s\($0.offset)", $0.element) }, schema: schema)
        let pooled = TableEncoder(statistics: TrainingPipeline.analyze(Self.pooled(sites), schema: schema), options: EncodingOptions())
        guard case .datetime(let a) = federated.encodings[0], case .datetime(let b) = pooled.encodings[0] else {
            throw EncodingAgreementError("not datetime encodings")
        }
        return (a, b, analyzers)
    }

    /// Without rare years the federated encoding has the pooled parts, years and null token; its instants
    /// are widened to whole years and enclose the pooled ones.
    @Test func frequentYearsGiveThePooledEncoding() throws {
        let (federated, pooled, _) = try Self.encodings(Self.sites(rare: false))
        #expect(federated.parts == pooled.parts && federated.parts.contains(.hour))
        #expect(federated.minimumYear == pooled.minimumYear && federated.maximumYear == pooled.maximumYear)
        #expect(federated.hasNull == pooled.hasNull && federated.years == pooled.years)
        #expect(federated.cardinalities == pooled.cardinalities)
        #expect(federated.minimumSeconds <= pooled.minimumSeconds && federated.maximumSeconds >= pooled.maximumSeconds)
        #expect(federated.minimumSeconds == DateTimeParts(year: 2000, month: 1, day: 1).secondsSinceEpoch)
    }

    /// Rare years never leave a site, are left out of the year range, and the model file accepts the
    /// encoding (a one-round federated model round-trips).
    @Test func rareYearsStayHome() throws {
        let sites = Self.sites(rare: true)
        let (federated, pooled, analyzers) = try Self.encodings(sites)
        #expect(pooled.minimumYear == 1955 && pooled.maximumYear == 2030)
        #expect(federated.minimumYear == 2000 && federated.maximumYear == 2010)
        var agreement = EncodingAgreement(schema: Self.schema)
        for (index, analyzer) in analyzers.enumerated() { try agreement.add(site: "s\(index)", counts: analyzer.summary) }
        let request = agreement.valueRequest()
        for analyzer in analyzers {
            let sent = String(decoding: try JSONEncoder().encode(analyzer.summary) + JSONEncoder().encode(try analyzer.values(for: request)),
                              as: UTF8.self)
            #expect(!sent.contains("1955") && !sent.contains("2030"))
            #expect(!sent.contains("2000-") && !sent.contains(":07"), "no instant is sent")
        }
        var options = FederatedTrainingOptions()
        options.rounds = 1
        options.widthFactor = 1
        options.local.training.threads = 1
        let result = try FederatedSimulation.train(sites: sites.enumerated().map { FederatedSite(name: "s\($0.offset)", table: $0.element) },
                                                   schema: Self.schema, sourceName: "dates", options: options)
        let decoded = try ModelFile.decode(try ModelFile.encode(result.trained))
        #expect(decoded.metadata.encoder.encodings.count == 2)
    }
}
