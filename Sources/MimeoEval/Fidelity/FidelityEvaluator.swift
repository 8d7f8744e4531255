import MimeoData

/// Scores synthetic tables against a real one as SDMetrics 0.32's single-table `QualityReport`
/// does, from mergeable summaries of the synthetic rows.
///
/// ```swift
/// let evaluator = try FidelityEvaluator(real: train, schema: schema)
/// let report = try evaluator.evaluate(synthetic)       // or, chunk by chunk:
/// var summary = evaluator.makeSummary()
/// for chunk in chunks { try summary.merge(evaluator.summarize(chunk)) }
/// let same = evaluator.report(for: summary)
/// ```
///
/// Columns, by schema kind: `integer`, `decimal` and `datetime` columns are numbers (SDMetrics
/// sdtypes `numerical`, `datetime`; datetimes as epoch nanoseconds); `categorical` and `boolean`
/// columns are categories; `identifier` and `text` columns are skipped and listed in the report.
///
/// Everything about the real table (its distinct values, bins, correlations, contingency tables
/// and which pairs pass SDMetrics' thresholds) is computed once, here. The synthetic side is
/// reduced to a `SyntheticSummary`; see docs/metrics.md for what it holds and how exact it is.
public struct FidelityEvaluator: Sendable {
    /// The settings.
    public let options: FidelityOptions
    /// Rows of the real table.
    public let realRowCount: Int
    /// Identifies this evaluator's real data and options in the summaries it makes.
    public let profileID: UInt64

    let columns: [EvaluatedColumn]
    let skippedColumns: [SkippedColumn]
    let pairs: [PairProfile]

    /// A scored column: its schema entry and the real side.
    struct EvaluatedColumn: Sendable {
        let schema: ColumnSchema
        let role: Role
    }

    enum Role: Sendable {
        case continuous(ContinuousProfile)
        case discrete(DiscreteProfile)
    }

    /// A pair of scored columns (`first < second`, indices into `columns`) and its real side.
    struct PairProfile: Sendable {
        enum Kind: Sendable {
            /// Two number columns: Pearson.
            case correlation
            /// Two category columns: key `firstCode * secondWidth + secondCode`.
            case discrete(secondWidth: Int)
            /// A number column (`continuous` index) and a category column (`discrete` index):
            /// real key `bin * width + code`, synthetic key `group * width + code`.
            case mixed(continuous: Int, discrete: Int, width: Int)
        }

        let first: Int
        let second: Int
        let kind: Kind
        let realCorrelation: Double?
        let realAssociation: Double?
        /// Why the real side cannot be scored (a constant column, too few rows).
        let realNote: String?
        let meetsThreshold: Bool
        /// Whether synthetic summaries keep this pair (it meets the threshold, or all are scored).
        let isTracked: Bool
        /// Real counts by key (contingency pairs that are tracked).
        let realTable: [Int: Int]

        var metricName: String {
            if case .correlation = kind { return CorrelationSimilarity.name }
            return ContingencySimilarity.name
        }
    }

    /// Profiles the real table.
    ///
    /// - Parameters:
    ///   - real: The real (training) table; it must hold every column `schema` names.
    ///   - schema: The column kinds (and datetime formats) of both real and synthetic tables.
    ///   - options: Thresholds and limits; the defaults are SDMetrics'.
    /// - Throws: `EvaluationError` for a missing column or an unreadable datetime format.
    public init(real: Table, schema: Schema, options: FidelityOptions = FidelityOptions()) throws {
        self.options = options
        realRowCount = real.rowCount
        var columns: [EvaluatedColumn] = []
        var skipped: [SkippedColumn] = []
        var realValues: [[Double]] = []
        var realCodes: [[Int]] = []
        for column in schema.columns {
            guard let index = real.columnIndex(named: column.name) else {
                throw EvaluationError.missingColumn(column.name, table: "real")
            }
            let cells = real.columns[index]
            switch column.kind {
            case .integer, .decimal, .datetime:
                let parser = try CellParser(kind: column.kind, format: column.format)
                let values = cells.map(parser.value)
                let unparseable = zip(cells, values).count { CellParser.isUnparseable($0, value: $1) }
                let profile = ContinuousProfile(values: values, parser: parser, binCount: options.binCount,
                                                unparseable: unparseable)
                columns.append(EvaluatedColumn(schema: column, role: .continuous(profile)))
                realValues.append(values)
                realCodes.append(values.map(profile.edges.bin(of:)))
            case .categorical, .boolean:
                let profile = DiscreteProfile(values: cells)
                columns.append(EvaluatedColumn(schema: column, role: .discrete(profile)))
                realValues.append([])
                realCodes.append(cells.map(profile.code(of:)))
            case .identifier, .text:
                skipped.append(SkippedColumn(
                    column: column.name, kind: column.kind,
                    reason: "\(column.kind.rawValue) columns have no distribution to compare (SDMetrics ignores "
                        + "id and text sdtypes)"))
            }
        }
        self.columns = columns
        skippedColumns = skipped
        var pairs: [PairProfile] = []
        for first in columns.indices {
            for second in columns.indices where second > first {
                pairs.append(Self.makePair(first, second, columns, realValues, realCodes, options))
            }
        }
        self.pairs = pairs
        profileID = Self.fingerprint(columns: columns, pairs: pairs, options: options)
    }

    /// The real side of one pair, and whether it passes SDMetrics' threshold.
    private static func makePair(_ first: Int, _ second: Int, _ columns: [EvaluatedColumn],
                                 _ values: [[Double]], _ codes: [[Int]], _ options: FidelityOptions) -> PairProfile {
        switch (columns[first].role, columns[second].role) {
        case (.continuous(let a), .continuous(let b)):
            var note: String?
            var r: Double?
            if a.isConstant || b.isConstant {
                let name = columns[a.isConstant ? first : second].schema.name
                note = "the real column '\(name)' is constant: correlation is undefined"
            } else {
                var moments = CoMoments()
                moments.add(values[first], values[second])
                r = moments.correlation
                if r == nil { note = "fewer than two real rows with both values, or a constant column among them" }
            }
            let threshold = options.realCorrelationThreshold
            let meets = note == nil && (threshold <= 0 || abs(r ?? 0) > threshold)
            return PairProfile(first: first, second: second, kind: .correlation, realCorrelation: r,
                               realAssociation: nil, realNote: note, meetsThreshold: meets,
                               isTracked: note == nil && (meets || options.scoresAllPairs), realTable: [:])
        case (.discrete(_), .discrete(let b)):
            let table = realTable(codes[first], codes[second], width: b.width)
            return contingencyPair(first, second, .discrete(secondWidth: b.width), table, width: b.width, options)
        case (.continuous, .discrete(let d)):
            let table = realTable(codes[first], codes[second], width: d.width)
            return contingencyPair(first, second, .mixed(continuous: first, discrete: second, width: d.width),
                                   table, width: d.width, options)
        case (.discrete(let d), .continuous):
            let table = realTable(codes[second], codes[first], width: d.width)
            return contingencyPair(first, second, .mixed(continuous: second, discrete: first, width: d.width),
                                   table, width: d.width, options)
        }
    }

    private static func realTable(_ rows: [Int], _ columns: [Int], width: Int) -> [Int: Int] {
        var table: [Int: Int] = [:]
        for (r, c) in zip(rows, columns) { table[r * width + c, default: 0] += 1 }
        return table
    }

    private static func contingencyPair(_ first: Int, _ second: Int, _ kind: PairProfile.Kind, _ table: [Int: Int],
                                        width: Int, _ options: FidelityOptions) -> PairProfile {
        let association = cramersV(table, width: width)
        let threshold = options.realAssociationThreshold
        let meets = threshold <= 0 || (association.map { $0 > threshold } ?? false)
        let tracked = meets || options.scoresAllPairs
        return PairProfile(first: first, second: second, kind: kind, realCorrelation: nil,
                           realAssociation: association,
                           realNote: association == nil ? "the real pair has fewer than two rows or columns" : nil,
                           meetsThreshold: meets, isTracked: tracked, realTable: tracked ? table : [:])
    }

    /// Cramér's V of a table keyed `row * width + column`.
    private static func cramersV(_ table: [Int: Int], width: Int) -> Double? {
        let rowKeys = Set(table.keys.map { $0 / width }).sorted()
        let columnKeys = Set(table.keys.map { $0 % width }).sorted()
        let rowIndex = Dictionary(uniqueKeysWithValues: rowKeys.enumerated().map { ($1, $0) })
        let columnIndex = Dictionary(uniqueKeysWithValues: columnKeys.enumerated().map { ($1, $0) })
        var matrix = Array(repeating: Array(repeating: 0, count: columnKeys.count), count: rowKeys.count)
        for (key, count) in table { matrix[rowIndex[key / width]!][columnIndex[key % width]!] += count }
        return ContingencySimilarity.cramersV(matrix)
    }

    /// FNV-1a over everything a summary's layout depends on.
    private static func fingerprint(columns: [EvaluatedColumn], pairs: [PairProfile],
                                    options: FidelityOptions) -> UInt64 {
        var fingerprint = Fingerprint()
        func mix(_ bytes: some Sequence<UInt8>) { fingerprint.mix(bytes) }
        func mix(_ value: UInt64) { fingerprint.mix(value) }
        for column in columns {
            switch column.role {
            case .continuous(let p): fingerprint.mix(column.schema, points: p.points, counts: p.pointCounts)
            case .discrete(let p): fingerprint.mix(column.schema, vocabulary: p.vocabulary)
            }
        }
        for pair in pairs { mix(pair.isTracked ? 1 : 0) }
        mix(UInt64(options.binCount))
        mix(UInt64(options.maxPairCells))
        mix(UInt64(options.maxUnseenCategories))
        return fingerprint.value
    }

    /// The names of the scored columns, in schema order.
    public var scoredColumnNames: [String] { columns.map(\.schema.name) }
}
