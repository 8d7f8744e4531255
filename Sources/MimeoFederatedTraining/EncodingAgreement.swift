import Crypto
import Foundation
import MimeoData
import MimeoTabular

// The encoding agreement of federated training (docs/federated.md, "Encoding agreement"): sites
// analyze their columns into summaries that hold no raw value, the coordinator learns from keyed-hash
// counts which values pass the rare threshold on the union, the sites reveal only those, and the
// coordinator reduces everything into the one `TableEncoder` all sites encode with.

/// Why the encoding agreement cannot go on.
public struct EncodingAgreementError: Error, CustomStringConvertible, Sendable, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A value's keyed hash: the first 16 bytes of HMAC-SHA256 under the job key, which the sites share and
/// the coordinator never holds. Encoded as base64.
public struct ValueHash: Hashable, Comparable, Codable, Sendable {
    public let bytes: Data

    public init(bytes: Data) throws {
        guard bytes.count == 16 else { throw EncodingAgreementError("a value hash has 16 bytes, got \(bytes.count)") }
        self.bytes = bytes
    }

    /// The hash of a category, a number or a year of column `column` under `key`.
    static func make(key: SymmetricKey, column: Int, text: String? = nil, number: Double? = nil, year: Int? = nil) -> ValueHash {
        var message = Array("mimeo-agreement-v1".utf8) + [0]
        withUnsafeBytes(of: UInt32(column).bigEndian) { message.append(contentsOf: $0) }
        if let year {
            message.append(2)
            withUnsafeBytes(of: Int64(year).bigEndian) { message.append(contentsOf: $0) }
        } else if let number {
            message.append(1)
            let canonical = number == 0 ? 0 : number  // -0 and 0 are one value, as in NumericStatistics
            withUnsafeBytes(of: canonical.bitPattern.bigEndian) { message.append(contentsOf: $0) }
        } else {
            message.append(0)
            message.append(contentsOf: Array((text ?? "").utf8))
        }
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: key)
        return try! ValueHash(bytes: Data(Array(mac).prefix(16)))  // 16 of SHA-256's 32 bytes: always valid
    }

    public static func < (a: ValueHash, b: ValueHash) -> Bool { a.bytes.lexicographicallyPrecedes(b.bytes) }

    public init(from decoder: any Decoder) throws {
        try self.init(bytes: try decoder.singleValueContainer().decode(Data.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(bytes)
    }
}

/// A keyed hash and how many rows of a site hold its value.
public struct HashedCount: Codable, Sendable, Equatable {
    public var hash: ValueHash
    public var count: Int
}

/// Round 1 of one column, site → coordinator. No variant holds a raw value.
public enum ColumnCountSummary: Codable, Sendable, Equatable {
    /// A categorical or boolean column: every value's keyed hash and count, and the missing values.
    case categorical(counts: [HashedCount], nullCount: Int)
    /// A number column: every value's keyed hash and count (to find the frequent exact values), the
    /// missing values, the most digits after the point, and the values' relative-error sketch.
    case numeric(counts: [HashedCount], nullCount: Int, decimals: Int, sketch: RelativeErrorSketch)
    /// An identifier or text column: the counts of value shapes, as single-machine training keeps them.
    case identifier(IdentifierStatistics)
    /// A datetime column: every year's keyed hash and count, the missing values (and values that do not
    /// parse with the format), and which time parts are ever non-zero. No instant is sent.
    case datetime(years: [HashedCount], nullCount: Int, hasHours: Bool, hasMinutes: Bool, hasSeconds: Bool)
}

/// Round 1, site → coordinator: one summary per column of the agreed schema.
public struct SiteCountsSummary: Codable, Sendable, Equatable {
    public var columnNames: [String]
    public var rowCount: Int
    public var columns: [ColumnCountSummary]
}

/// Coordinator → sites: for each column, the hashes whose union count passed the threshold (empty for
/// columns without hashes).
public struct ValueRequest: Codable, Sendable, Equatable {
    public var columns: [[ValueHash]]
    public init(columns: [[ValueHash]]) { self.columns = columns }
}

/// A value revealed in round 2: its hash and its text (a number in its shortest round-trip spelling).
public struct RevealedValue: Codable, Sendable, Equatable {
    public var hash: ValueHash
    public var value: String
    public init(hash: ValueHash, value: String) {
        self.hash = hash
        self.value = value
    }
}

/// Round 2, site → coordinator: the requested values the site holds, per column.
public struct SiteValuesSummary: Codable, Sendable, Equatable {
    public var columns: [[RevealedValue]]
    public init(columns: [[RevealedValue]]) { self.columns = columns }
}

/// A site's side of the agreement: analyzes its table once, answers round 1 with `countsSummary`, and
/// round 2 with `values(for:)`.
public struct SiteEncodingAnalyzer: Sendable {
    public let summary: SiteCountsSummary
    /// hash → spelling, per column, of the site's own values (never sent unless requested).
    private let spellings: [[ValueHash: String]]

    /// Analyzes `table`, whose columns must be `schema`'s in order.
    ///
    /// - Throws: `EncodingAgreementError` for a table whose columns differ from the schema, or a sketch
    ///   accuracy outside [10⁻⁴, 0.5].
    public init(table: Table, schema: Schema, key: SymmetricKey,
                sketchAccuracy: Double = RelativeErrorSketch.defaultRelativeAccuracy) throws {
        guard sketchAccuracy >= 1e-4 && sketchAccuracy <= 0.5 else {
            throw EncodingAgreementError("the sketch's relative accuracy must be in [0.0001, 0.5], got \(sketchAccuracy)")
        }
        let names = schema.columns.map(\.name)
        guard table.columnNames == names else {
            throw EncodingAgreementError("the site's columns (\(table.columnNames.joined(separator: ", "))) are not the "
                                         + "agreed schema's (\(names.joined(separator: ", ")))")
        }
        var columns: [ColumnCountSummary] = [], spellings: [[ValueHash: String]] = []
        for (index, column) in schema.columns.enumerated() {
            let values = column.invalidValues == nil ? table.columns[index] : column.nullingInvalidValues(table.columns[index])
            var spelling: [ValueHash: String] = [:]
            switch column.kind {
            case .boolean, .categorical:
                let statistics = CategoricalStatistics.analyze(values)
                var counts: [HashedCount] = []
                for (value, count) in statistics.counts {
                    let hash = ValueHash.make(key: key, column: index, text: value)
                    spelling[hash] = value
                    counts.append(HashedCount(hash: hash, count: count))
                }
                columns.append(.categorical(counts: counts.sorted { $0.hash < $1.hash }, nullCount: statistics.nullCount))
            case .integer, .decimal:
                let statistics = NumericStatistics.analyze(values)
                var sketch = RelativeErrorSketch(relativeAccuracy: sketchAccuracy)
                var counts: [HashedCount] = []
                var nullCount = statistics.nullCount
                for (value, count) in statistics.counts {
                    // A spelling that overflows a Double is no usable number: missing, as for non-numbers.
                    guard value.isFinite else { nullCount += count; continue }
                    let hash = ValueHash.make(key: key, column: index, number: value)
                    spelling[hash] = "\(value == 0 ? 0 : value)"
                    counts.append(HashedCount(hash: hash, count: count))
                    sketch.add(value, count: count)
                }
                columns.append(.numeric(counts: counts.sorted { $0.hash < $1.hash }, nullCount: nullCount,
                                        decimals: statistics.decimals, sketch: sketch))
            case .identifier, .text:
                columns.append(.identifier(IdentifierStatistics.analyze(values)))
            case .datetime:
                let format = column.format.flatMap { DateTimeFormat(pattern: $0) } ?? DateTimeFormat(pattern: "%Y-%m-%d")!
                let statistics = DatetimeStatistics.analyze(values, format: format)
                var years: [HashedCount] = []
                for (year, count) in statistics.yearCounts {
                    let hash = ValueHash.make(key: key, column: index, year: year)
                    spelling[hash] = String(year)
                    years.append(HashedCount(hash: hash, count: count))
                }
                columns.append(.datetime(years: years.sorted { $0.hash < $1.hash }, nullCount: statistics.nullCount,
                                         hasHours: statistics.hasHours, hasMinutes: statistics.hasMinutes,
                                         hasSeconds: statistics.hasSeconds))
            }
            spellings.append(spelling)
        }
        summary = SiteCountsSummary(columnNames: names, rowCount: table.rowCount, columns: columns)
        self.spellings = spellings
    }

    /// Round 2: the site's spellings of the requested hashes (hashes it does not hold are another site's).
    ///
    /// - Throws: `EncodingAgreementError` when the request does not have one list per column.
    public func values(for request: ValueRequest) throws -> SiteValuesSummary {
        guard request.columns.count == spellings.count else {
            throw EncodingAgreementError("the request names \(request.columns.count) columns, the schema has \(spellings.count)")
        }
        return SiteValuesSummary(columns: zip(request.columns, spellings).map { hashes, spelling in
            hashes.compactMap { hash in spelling[hash].map { RevealedValue(hash: hash, value: $0) } }
        })
    }
}

/// The coordinator's side: collects the sites' summaries, asks for the values that pass the rare
/// threshold on the union, and reduces everything into the global encoding. It never holds the key.
public struct EncodingAgreement: Sendable {
    public let schema: Schema
    public let options: EncodingOptions
    public let sketchAccuracy: Double
    /// The sites whose round-1 summary arrived, in arrival order.
    public private(set) var sites: [String] = []
    private var rowCount = 0
    private var unionCounts: [[ValueHash: Int]]
    private var nullCounts: [Int]
    private var decimals: [Int]
    private var sketches: [RelativeErrorSketch?]
    private var shapes: [IdentifierStatistics?]
    /// For datetime columns: whether hours, minutes, seconds are ever non-zero on some site.
    private var timeParts: [(hours: Bool, minutes: Bool, seconds: Bool)]
    private var revealed: [[ValueHash: String]]
    private var answered: Set<String> = []

    /// The largest count a summary may claim (2⁴⁰ rows).
    public static let maximumCount = 1 << 40

    public init(schema: Schema, options: EncodingOptions = EncodingOptions(),
                sketchAccuracy: Double = RelativeErrorSketch.defaultRelativeAccuracy) {
        self.schema = schema
        self.options = options
        self.sketchAccuracy = sketchAccuracy
        let n = schema.columns.count
        unionCounts = Array(repeating: [:], count: n)
        nullCounts = Array(repeating: 0, count: n)
        decimals = Array(repeating: 0, count: n)
        sketches = Array(repeating: nil, count: n)
        shapes = Array(repeating: nil, count: n)
        timeParts = Array(repeating: (false, false, false), count: n)
        revealed = Array(repeating: [:], count: n)
    }

    /// Adds a site's round-1 summary.
    ///
    /// - Throws: `EncodingAgreementError` for a second summary from `site`, other columns or column kinds
    ///   than the schema's, negative or huge counts, a hash listed twice, a sketch of another accuracy, or
    ///   counts that do not add up to the site's rows.
    public mutating func add(site: String, counts: SiteCountsSummary) throws {
        guard !sites.contains(site) else { throw EncodingAgreementError("site '\(site)' already sent its counts") }
        let names = schema.columns.map(\.name)
        guard counts.columnNames == names, counts.columns.count == names.count else {
            throw EncodingAgreementError("site '\(site)' summarised columns \(counts.columnNames), the schema has \(names)")
        }
        guard counts.rowCount >= 0 && counts.rowCount <= Self.maximumCount else {
            throw EncodingAgreementError("site '\(site)' claims \(counts.rowCount) rows")
        }
        func checked(_ list: [HashedCount], nullCount: Int, column: String) throws -> [ValueHash: Int] {
            var result: [ValueHash: Int] = [:]
            var total = nullCount
            guard nullCount >= 0 && nullCount <= counts.rowCount else {
                throw EncodingAgreementError("site '\(site)', column '\(column)': \(nullCount) missing values of \(counts.rowCount) rows")
            }
            for entry in list {
                guard entry.count >= 1 && entry.count <= counts.rowCount else {
                    throw EncodingAgreementError("site '\(site)', column '\(column)': a count of \(entry.count)")
                }
                guard result.updateValue(entry.count, forKey: entry.hash) == nil else {
                    throw EncodingAgreementError("site '\(site)', column '\(column)': a hash listed twice")
                }
                total += entry.count
            }
            guard total == counts.rowCount else {
                throw EncodingAgreementError("site '\(site)', column '\(column)': counts add up to \(total), not \(counts.rowCount) rows")
            }
            return result
        }
        // Check everything before changing anything.
        var staged: [(counts: [ValueHash: Int]?, nulls: Int, decimals: Int, sketch: RelativeErrorSketch?,
                      shapes: IdentifierStatistics?, parts: (Bool, Bool, Bool))] = []
        for (index, column) in schema.columns.enumerated() {
            switch (column.kind, counts.columns[index]) {
            case (.boolean, .categorical(let list, let nulls)), (.categorical, .categorical(let list, let nulls)):
                staged.append((try checked(list, nullCount: nulls, column: column.name), nulls, 0, nil, nil, (false, false, false)))
            case (.integer, .numeric(let list, let nulls, let places, let sketch)),
                 (.decimal, .numeric(let list, let nulls, let places, let sketch)):
                let map = try checked(list, nullCount: nulls, column: column.name)
                guard places >= 0 && places <= NumberParsing.maximumDecimals else {
                    throw EncodingAgreementError("site '\(site)', column '\(column.name)': \(places) decimals")
                }
                guard sketch.relativeAccuracy == sketchAccuracy else {
                    throw EncodingAgreementError("site '\(site)', column '\(column.name)': a sketch of accuracy "
                                                 + "\(sketch.relativeAccuracy), the agreement uses \(sketchAccuracy)")
                }
                guard sketch.count == counts.rowCount - nulls else {
                    throw EncodingAgreementError("site '\(site)', column '\(column.name)': the sketch holds \(sketch.count) "
                                                 + "values, the counts \(counts.rowCount - nulls)")
                }
                staged.append((map, nulls, places, sketch, nil, (false, false, false)))
            case (.identifier, .identifier(let statistics)), (.text, .identifier(let statistics)):
                guard statistics.count >= 0, statistics.nullCount >= 0,
                      statistics.count + statistics.nullCount == counts.rowCount,
                      statistics.shapeCounts.values.allSatisfy({ $0 >= 1 }),
                      statistics.shapeCounts.values.reduce(0, +) == statistics.count else {
                    throw EncodingAgreementError("site '\(site)', column '\(column.name)': inconsistent shape counts")
                }
                staged.append((nil, statistics.nullCount, 0, nil, statistics, (false, false, false)))
            case (.datetime, .datetime(let years, let nulls, let hours, let minutes, let seconds)):
                let map = try checked(years, nullCount: nulls, column: column.name)
                guard map.count <= ModelFile.Limits.years.count else {
                    throw EncodingAgreementError("site '\(site)', column '\(column.name)': \(map.count) distinct years")
                }
                staged.append((map, nulls, 0, nil, nil, (hours, minutes, seconds)))
            default:
                throw EncodingAgreementError("site '\(site)', column '\(column.name)': a summary of the wrong kind for a "
                                             + "\(column.kind) column")
            }
        }
        for (index, item) in staged.enumerated() {
            if let map = item.counts { unionCounts[index].merge(map, uniquingKeysWith: +) }
            nullCounts[index] += item.nulls
            decimals[index] = max(decimals[index], item.decimals)
            if let sketch = item.sketch {
                if sketches[index] == nil { sketches[index] = sketch } else { sketches[index]!.merge(sketch) }
            }
            if let statistics = item.shapes {
                if shapes[index] == nil { shapes[index] = statistics } else { shapes[index]!.reduce(statistics) }
            }
            timeParts[index] = (timeParts[index].hours || item.parts.0, timeParts[index].minutes || item.parts.1,
                                timeParts[index].seconds || item.parts.2)
        }
        rowCount += counts.rowCount
        sites.append(site)
    }

    /// The hashes whose value the sites must reveal: categories whose union count reaches the rare
    /// threshold, numbers whose union count reaches the exact-value threshold (`NumericEncoding
    /// .exactThreshold`, from the union's distinct and total counts). Sorted, so the request is the same
    /// whatever order the sites answered in.
    public func valueRequest() -> ValueRequest {
        ValueRequest(columns: schema.columns.indices.map { index in
            let threshold = revealThreshold(column: index)
            return unionCounts[index].filter { $0.value >= threshold }.map(\.key).sorted()
        })
    }

    private func revealThreshold(column index: Int) -> Int {
        switch schema.columns[index].kind {
        case .integer, .decimal:
            let total = unionCounts[index].values.reduce(0, +)
            return NumericEncoding.exactThreshold(distinctCount: unionCounts[index].count, total: total, options: options)
        default:
            return options.rareThreshold
        }
    }

    /// Adds a site's round-2 values.
    ///
    /// - Throws: `EncodingAgreementError` for a site that sent no counts or answers twice, a value for a
    ///   hash that was not requested, a number that does not parse, or a spelling that contradicts
    ///   another site's for the same hash.
    public mutating func add(site: String, values: SiteValuesSummary) throws {
        guard sites.contains(site) else { throw EncodingAgreementError("site '\(site)' sent values before its counts") }
        guard !answered.contains(site) else { throw EncodingAgreementError("site '\(site)' already sent its values") }
        guard values.columns.count == schema.columns.count else {
            throw EncodingAgreementError("site '\(site)' sent values for \(values.columns.count) columns, the schema has "
                                         + "\(schema.columns.count)")
        }
        let request = valueRequest().columns.map(Set.init)
        var staged = revealed
        for (index, list) in values.columns.enumerated() {
            let column = schema.columns[index]
            for item in list {
                guard request[index].contains(item.hash) else {
                    throw EncodingAgreementError("site '\(site)', column '\(column.name)': a value that was not requested")
                }
                if column.kind == .integer || column.kind == .decimal {
                    guard let number = Double(item.value), number.isFinite else {
                        throw EncodingAgreementError("site '\(site)', column '\(column.name)': '\(item.value)' is not a number")
                    }
                    _ = number
                }
                if column.kind == .datetime {
                    guard let year = Int(item.value), ModelFile.Limits.years.contains(year) else {
                        throw EncodingAgreementError("site '\(site)', column '\(column.name)': '\(item.value)' is not a year")
                    }
                }
                if let known = staged[index][item.hash], known != item.value {
                    throw EncodingAgreementError("site '\(site)', column '\(column.name)': two spellings for one hash")
                }
                staged[index][item.hash] = item.value
            }
        }
        revealed = staged
        answered.insert(site)
    }

    /// The global encoding.
    ///
    /// - Throws: `EncodingAgreementError` when no site took part, or a requested value was revealed by
    ///   no site.
    public func reduce() throws -> TableEncoder {
        guard !sites.isEmpty else { throw EncodingAgreementError("no site sent its counts") }
        let request = valueRequest()
        var encodings: [ColumnEncoding] = []
        for (index, column) in schema.columns.enumerated() {
            var known: [(value: String, count: Int)] = []
            for hash in request.columns[index] {
                guard let value = revealed[index][hash] else {
                    throw EncodingAgreementError("column '\(column.name)': a value that passed the threshold was revealed by no site")
                }
                known.append((value, unionCounts[index][hash]!))
            }
            switch column.kind {
            case .boolean, .categorical:
                let counts = Dictionary(known.map { ($0.value, $0.count) }, uniquingKeysWith: +)
                encodings.append(.categorical(CategoricalEncoding(valueCounts: counts, distinctCount: unionCounts[index].count,
                                                                  nullCount: nullCounts[index], options: options)))
            case .integer, .decimal:
                let isInteger = column.kind == .integer
                let exact = known.map { (value: Double($0.value)!, count: $0.count) }.sorted { $0.value < $1.value }
                var sketch = sketches[index] ?? RelativeErrorSketch(relativeAccuracy: sketchAccuracy)
                for (value, count) in exact {
                    do { try sketch.remove(value, count: count) } catch {
                        throw EncodingAgreementError("column '\(column.name)': the sites' sketches do not hold the value "
                                                     + "counts they reported")
                    }
                }
                let residual = sketch.buckets.map { bucket in
                    let (lower, upper) = Self.onGrid(bucket.lower, bucket.upper, isInteger: isInteger, decimals: decimals[index])
                    return (lower: lower, upper: upper, count: bucket.count)
                }
                let lows = exact.map(\.value) + residual.map(\.lower), highs = exact.map(\.value) + residual.map(\.upper)
                let distribution = NumericEncoding.Distribution(
                    exact: exact, residual: residual, distinctCount: unionCounts[index].count, nullCount: nullCounts[index],
                    decimals: decimals[index], minimum: lows.min() ?? 0, maximum: highs.max() ?? 0)
                encodings.append(.numeric(NumericEncoding(distribution: distribution, isInteger: isInteger, options: options)))
            case .identifier, .text:
                encodings.append(.identifier(IdentifierEncoding(statistics: shapes[index] ?? IdentifierStatistics(),
                                                                options: options)))
            case .datetime:
                encodings.append(.datetime(DatetimeEncoding(statistics: Self.datetimeStatistics(
                    format: column.format ?? "%Y-%m-%d", years: known, nullCount: nullCounts[index],
                    valueCount: unionCounts[index].values.reduce(0, +), parts: timeParts[index]), options: options)))
            }
        }
        return TableEncoder(schema: schema, encodings: encodings)
    }

    /// A datetime column's statistics from the years that passed the threshold: the range of those years,
    /// its instants widened to whole years (no instant is known), and only their counts. Rows of rarer
    /// years are encoded into the nearest known year; with no frequent year at all, every value counts as
    /// missing.
    static func datetimeStatistics(format: String, years known: [(value: String, count: Int)], nullCount: Int,
                                   valueCount: Int, parts: (hours: Bool, minutes: Bool, seconds: Bool)) -> DatetimeStatistics {
        var statistics = DatetimeStatistics(format: format)
        let years = known.map { (year: Int($0.value)!, count: $0.count) }
        guard let first = years.map(\.year).min(), let last = years.map(\.year).max() else {
            statistics.nullCount = nullCount + valueCount
            return statistics
        }
        statistics.nullCount = nullCount
        statistics.count = valueCount
        statistics.minimumYear = first
        statistics.maximumYear = last
        statistics.minimumSeconds = DateTimeParts(year: first, month: 1, day: 1).secondsSinceEpoch
        statistics.maximumSeconds = DateTimeParts(year: last, month: 12, day: 31, hour: 23, minute: 59, second: 59).secondsSinceEpoch
        statistics.hasHours = parts.hours
        statistics.hasMinutes = parts.minutes
        statistics.hasSeconds = parts.seconds
        statistics.yearCounts = Dictionary(years.map { ($0.year, $0.count) }, uniquingKeysWith: +)
        return statistics
    }

    /// A sketch bucket's bounds narrowed to the values the column can hold: whole numbers for an integer
    /// column, multiples of 10^−decimals otherwise (while those are exact in a Double). Every value of
    /// the bucket lies on that grid, so it stays inside.
    static func onGrid(_ lower: Double, _ upper: Double, isInteger: Bool, decimals: Int) -> (Double, Double) {
        let scale = pow(10.0, Double(isInteger ? 0 : decimals))
        guard max(abs(lower), abs(upper)) * scale < 0x1p52 else { return (lower, upper) }
        let low = (lower * scale).rounded(.up) / scale, high = (upper * scale).rounded(.down) / scale
        return low <= high ? (low, high) : (lower, upper)
    }

    /// Runs the whole agreement in one process (simulation and tests): round 1 from every analyzer, the
    /// request, round 2, the reduction.
    public static func run(sites: [(name: String, analyzer: SiteEncodingAnalyzer)], schema: Schema,
                           options: EncodingOptions = EncodingOptions(),
                           sketchAccuracy: Double = RelativeErrorSketch.defaultRelativeAccuracy) throws -> TableEncoder {
        var agreement = EncodingAgreement(schema: schema, options: options, sketchAccuracy: sketchAccuracy)
        for site in sites { try agreement.add(site: site.name, counts: site.analyzer.summary) }
        let request = agreement.valueRequest()
        for site in sites { try agreement.add(site: site.name, values: try site.analyzer.values(for: request)) }
        return try agreement.reduce()
    }
}
