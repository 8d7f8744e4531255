import Foundation
import MimeoData
import MimeoTensor

/// Compares a current table with a reference one column by column, with the tests Evidently 0.7's
/// `DataDriftPreset` picks by default, plus PSI, a domain classifier and, given a target, a concept
/// check; the current side is reduced to a mergeable `DriftSummary`.
///
/// ```swift
/// let detector = try DriftDetector(reference: train, schema: schema, target: "income")
/// let report = try detector.report(for: detector.summarize(csvAt: "this_week.csv"))
/// if report.drifted { … }
/// ```
///
/// Columns, by schema kind: `integer`, `decimal` and `datetime` are numbers (Evidently's numerical
/// columns; datetimes as epoch seconds, which Evidently does not test); `categorical` and `boolean`
/// are categories; `identifier` and `text` are skipped and listed. Missing and unparseable values
/// are left out of every statistic (Evidently drops NaN), and counted.
public struct DriftDetector: Sendable {
    /// The settings.
    public let options: DriftOptions
    /// Rows of the reference table.
    public let referenceRowCount: Int
    /// The target of the concept check, if any.
    public let target: String?
    /// Identifies this detector's reference data and options in the summaries it makes.
    public let profileID: UInt64

    let columns: [Column]
    let skippedColumns: [SkippedColumn]
    /// The reference table's sampled rows for the domain classifier (cells in `columns` order).
    let referenceSample: [[String?]]
    let concept: ConceptProfile?

    /// A compared column and its reference side.
    struct Column: Sendable {
        let schema: ColumnSchema
        let role: Role
    }

    enum Role: Sendable {
        case number(NumberReference)
        case category(DiscreteProfile)
    }

    /// The reference side of a number column.
    struct NumberReference: Sendable {
        let profile: ContinuousProfile
        /// Missing or unparseable reference cells.
        var missing: Int { profile.missingCount }
        /// Present values.
        var count: Int { profile.pointCounts.reduce(0, +) }
        /// Population standard deviation of the present values (NumPy's `std`).
        let standardDeviation: Double
        /// Seconds per unit of the parsed value (datetimes are parsed as nanoseconds).
        let scale: Double
    }

    /// Profiles the reference table.
    ///
    /// - Parameters:
    ///   - reference: The reference table (the model's training data, say); it must hold every column `schema` names.
    ///   - schema: The column kinds of both tables.
    ///   - target: A column whose relation to the others the concept check follows.
    ///   - options: Thresholds and limits; the defaults are Evidently's.
    /// - Throws: `EvaluationError` for a missing column, an unknown target or an unreadable datetime format.
    public init(reference: Table, schema: Schema, target: String? = nil, options: DriftOptions = DriftOptions()) throws {
        self.options = options
        referenceRowCount = reference.rowCount
        self.target = target
        var columns: [Column] = []
        var skipped: [SkippedColumn] = []
        var cellsByColumn: [[String?]] = []
        for column in schema.columns {
            guard let index = reference.columnIndex(named: column.name) else {
                throw EvaluationError.missingColumn(column.name, table: "reference")
            }
            let cells = reference.columns[index]
            switch column.kind {
            case .integer, .decimal, .datetime:
                let parser = try CellParser(kind: column.kind, format: column.format)
                let scale = column.kind == .datetime ? 1e-9 : 1
                let values = cells.map { parser.value($0) * scale }
                let unparseable = zip(cells, values).count { CellParser.isUnparseable($0, value: $1) }
                let profile = ContinuousProfile(values: values, parser: parser, binCount: 1, unparseable: unparseable)
                columns.append(Column(schema: column, role: .number(NumberReference(
                    profile: profile, standardDeviation: Self.standardDeviation(profile), scale: scale))))
            case .categorical, .boolean:
                columns.append(Column(schema: column, role: .category(DiscreteProfile(values: cells))))
            case .identifier, .text:
                skipped.append(SkippedColumn(
                    column: column.name, kind: column.kind,
                    reason: "\(column.kind.rawValue) columns have no distribution to compare (Evidently's default "
                        + "drift tests cover numerical and categorical columns)"))
                continue
            }
            cellsByColumn.append(cells)
        }
        if let target, !columns.contains(where: { $0.schema.name == target }) {
            throw EvaluationError.unknownColumns([target], available: columns.map(\.schema.name))
        }
        self.columns = columns
        skippedColumns = skipped
        let picked = SeededSelection.sample(count: reference.rowCount, take: options.domainSampleRows, seed: options.seed,
                                            stream: .driftReference).sorted()
        referenceSample = picked.map { row in cellsByColumn.map { $0[row] } }
        if let target, let t = columns.firstIndex(where: { $0.schema.name == target }) {
            concept = ConceptProfile(columns: columns, cells: cellsByColumn, target: t, options: options)
        } else {
            concept = nil
        }
        profileID = Self.fingerprint(columns: columns, concept: concept, options: options)
    }

    private static func standardDeviation(_ profile: ContinuousProfile) -> Double {
        let n = Double(profile.pointCounts.reduce(0, +))
        guard n > 0 else { return 0 }
        var sum = 0.0
        for (v, c) in zip(profile.points, profile.pointCounts) { sum += v * Double(c) }
        let mean = sum / n
        var squares = 0.0
        for (v, c) in zip(profile.points, profile.pointCounts) { squares += (v - mean) * (v - mean) * Double(c) }
        return (squares / n).squareRoot()
    }

    /// The names of the compared columns, in schema order.
    public var columnNames: [String] { columns.map(\.schema.name) }

    /// An empty summary (of no rows), to merge others into.
    public func makeSummary() -> DriftSummary {
        var numbers: [DriftSummary.NumberColumnSummary?] = []
        var categories: [DiscreteColumnSummary?] = []
        for column in columns {
            switch column.role {
            case .number(let reference):
                numbers.append(DriftSummary.NumberColumnSummary(
                    cells: ContinuousColumnSummary(cellCount: reference.profile.cellCount), values: []))
                categories.append(nil)
            case .category(let profile):
                numbers.append(nil)
                categories.append(DiscreteColumnSummary(width: profile.width))
            }
        }
        return DriftSummary(profileID: profileID, numbers: numbers, categories: categories,
                            concept: concept?.emptyTables() ?? [], sampleLimit: options.domainSampleRows,
                            exactValueLimit: options.exactValueLimit, maxUnseenCategories: options.maxUnseenCategories)
    }

    /// Summarises rows of the current table.
    ///
    /// - Parameters:
    ///   - current: A table with (at least) the compared columns, matched by name.
    ///   - firstRow: The position of `current`'s first row in the whole current table (it seeds the
    ///     domain classifier's sample, so chunks must be numbered as in the whole table).
    /// - Throws: `EvaluationError.missingColumn` when a compared column is absent.
    public func summarize(_ current: Table, firstRow: Int = 0) throws -> DriftSummary {
        let indices = try columns.map { column -> Int in
            guard let index = current.columnIndex(named: column.schema.name) else {
                throw EvaluationError.missingColumn(column.schema.name, table: "current")
            }
            return index
        }
        let n = current.rowCount
        let threads = max(1, min(options.threadCount ?? ProcessInfo.processInfo.activeProcessorCount,
                                 n / max(1, options.blockRows)))
        if threads == 1 { return summarize(current, columnIndices: indices, rows: 0 ..< n, firstRow: firstRow) }
        let parts = splitRows(n, into: threads)
        let partials = concurrentMap(threads) { t in
            summarize(current, columnIndices: indices, rows: parts[t], firstRow: firstRow)
        }
        var summary = partials[0]
        for partial in partials.dropFirst() { try summary.merge(partial) }
        return summary
    }

    /// The summary of rows `rows` of `current` (row `r` is row `firstRow + r` of the whole table).
    private func summarize(_ current: Table, columnIndices indices: [Int], rows: Range<Int>, firstRow: Int) -> DriftSummary {
        var summary = makeSummary()
        let n = rows.count
        for (e, column) in columns.enumerated() {
            let cells = current.columns[indices[e]][rows]
            switch column.role {
            case .number(let reference):
                var columnSummary = summary.numbers[e]!
                summary.numbers[e] = nil
                var values: [Double] = []
                values.reserveCapacity(n)
                for cell in cells {
                    let x = reference.profile.parser.value(cell) * reference.scale
                    columnSummary.cells.add(x, code: reference.profile.code(of: x, cell: cell), cell: cell)
                    if !x.isNaN { values.append(x) }
                }
                columnSummary.values = values.count <= options.exactValueLimit ? values : nil
                summary.numbers[e] = columnSummary
            case .category(let profile):
                var columnSummary = summary.categories[e]!
                summary.categories[e] = nil
                for cell in cells {
                    let code = profile.code(of: cell)
                    if code == profile.unseenCode, let cell { columnSummary.addUnseen(cell, limit: options.maxUnseenCategories) }
                    columnSummary.counts[code] += 1
                }
                summary.categories[e] = columnSummary
            }
        }
        if let concept {
            let columnCells = indices.map { Array(current.columns[$0][rows]) }
            concept.add(columnCells, rowCount: n, into: &summary.concept)
        }
        // The domain classifier's sample: this chunk's bottom-k.
        var keyed = rows.map { i in (key: SeededSelection.key(seed: options.seed, stream: .driftCurrent, row: firstRow + i), row: i) }
        if keyed.count > options.domainSampleRows {
            keyed.sort { $0.key != $1.key ? $0.key < $1.key : $0.row < $1.row }
            keyed.removeLast(keyed.count - options.domainSampleRows)
        }
        summary.sample = keyed.map { entry in
            DriftSummary.SampledRow(key: entry.key, row: firstRow + entry.row,
                                    cells: indices.map { current.columns[$0][entry.row] })
        }
        summary.trimSample()
        summary.addRows(n)
        return summary
    }

    /// Summarises a current table file (CSV, gzip, Parquet or a folder of parts) chunk by chunk, so memory stays bounded by
    /// `chunkRows` whatever the file's length.
    ///
    /// - Throws: `DataError` for an unreadable or malformed file; `EvaluationError.missingColumn`.
    public func summarize(csvAt path: String, chunkRows: Int = 131_072, delimiter: UInt8 = UInt8(ascii: ","),
                          missingValues: [String] = Schema.defaultMissingValues) throws -> DriftSummary {
        try summarizeInChunks(csvAt: path, chunkRows: chunkRows, delimiter: delimiter, missingValues: missingValues,
                              empty: makeSummary(), merge: { try $0.merge($1) }) { try summarize($0, firstRow: $1) }
    }

    /// Compares a whole current table: `report(for: summarize(current))`.
    public func compare(_ current: Table) throws -> DriftReport {
        try report(for: summarize(current))
    }

    /// FNV-1a over everything a summary's layout depends on.
    private static func fingerprint(columns: [Column], concept: ConceptProfile?, options: DriftOptions) -> UInt64 {
        var fingerprint = Fingerprint()
        func mix(_ bytes: some Sequence<UInt8>) { fingerprint.mix(bytes) }
        func mix(_ value: UInt64) { fingerprint.mix(value) }
        for column in columns {
            switch column.role {
            case .number(let reference):
                fingerprint.mix(column.schema, points: reference.profile.points, counts: reference.profile.pointCounts)
            case .category(let profile): fingerprint.mix(column.schema, vocabulary: profile.vocabulary)
            }
        }
        if let concept { for width in concept.tableSizes { mix(UInt64(width)) } }
        mix(UInt64(options.exactValueLimit))
        mix(UInt64(options.domainSampleRows))
        mix(UInt64(options.maxUnseenCategories))
        mix(options.seed)
        return fingerprint.value
    }
}
