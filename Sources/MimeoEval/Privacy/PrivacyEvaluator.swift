import Foundation
import MimeoData
import MimeoParquet
import MimeoTensor

/// Measures how much a synthetic table reveals about the rows it was trained on, as the referee's
/// privacy section does (`../shared/tools/eval_synth.py`), with exact nearest neighbours on the
/// native engine.
///
/// ```swift
/// var options = PrivacyOptions()
/// options.target = "income"
/// let evaluator = try PrivacyEvaluator(train: train, holdout: holdout, schema: schema, options: options)
/// let report = try evaluator.evaluate(synthetic)          // or, chunk by chunk:
/// var summary = evaluator.makeSummary()
/// try summary.merge(evaluator.summarize(chunk, firstRow: 0))
/// let same = try evaluator.report(for: summary)
/// let ceiling = try evaluator.evaluateReference()          // the holdout as "synthetic"
/// ```
///
/// - Exact matches count every synthetic row (`ExactMatchShare`).
/// - Distances use a seeded sample of synthetic rows and of holdout rows, each at most
///   `options.effectiveMaxRows(trainRowCount:)` (the referee's rule: 50,000, or fewer for a big train
///   table so that rows × train rows ≤ 2.5e9, never below 10,000); every train row is a reference.
///   Memory is bounded by the sample sizes and the train table, not by the synthetic row count.
/// - `DCRShare` and `MembershipInferenceAUC` compare the synthetic sample with a seeded train sample
///   `T'` and a holdout sample `H'` of equal size `n = min(holdout sample, train rows)`.
///
/// Samples are seeded (`SeededSelection`), so results are reproducible, but they are not the
/// referee's numpy samples: sampled statistics agree with the referee's up to sampling noise.
///
/// Real rows (train or holdout) with a number or datetime cell that does not parse are left out
/// of the holdout sample and of `T'`, so that a few bad cells cannot make the holdout look far
/// away (a false leak signal); they are counted in `rowsUsed`. A holdout (or train table) in which
/// no row parses is an error. Synthetic cells that do not parse are distance features like
/// missing ones (equally far from train and holdout), and exact-match keys by their text.
public struct PrivacyEvaluator: Sendable {
    /// The settings.
    public let options: PrivacyOptions
    /// Rows of the train table.
    public let trainRowCount: Int
    /// Rows of the holdout table.
    public let holdoutRowCount: Int
    /// The cap on synthetic and holdout rows used for distances.
    public let maxRows: Int
    /// Identifies this evaluator's data and options in the summaries it makes.
    public let profileID: UInt64

    let encoder: DistanceEncoder
    let exactMatches: ExactMatchIndex
    /// Every train row, encoded.
    let trainRows: EncodedRows
    /// The train rows without an unparseable cell, from which `T'` is drawn.
    let parseableTrainRows: [Int]
    /// Holdout rows left out of the sample because a cell does not parse.
    let unparseableHoldoutRows: Int
    /// The holdout sample (all holdout rows when they fit), encoded, in sample order.
    let holdoutRows: EncodedRows
    let holdoutMatchCount: Int
    /// Numeric columns with a missing value in train / in the holdout.
    let trainMissing: [Bool]
    let holdoutMissing: [Bool]
    /// The attacker's set-up, when asked for.
    let attack: Attack?
    /// Train and holdout-sample values of the sensitive column (empty without an attack).
    let trainSensitive: [SensitiveValue]
    let holdoutSensitive: [SensitiveValue]

    /// The attribute-inference set-up: quasi-identifier positions in the encoded rows.
    struct Attack: Sendable {
        let quasiIdentifiers: [String]
        let sensitive: String
        let numericColumns: [Int]
        let categoricalColumns: [Int]
        /// The sensitive column's position in `encoder.columns`.
        let sensitiveColumn: Int
        let isNumeric: Bool
        /// The majority (or median) guess.
        let baselineGuess: SensitiveValue
    }

    /// Encodes the train table and samples the holdout.
    ///
    /// - Parameters:
    ///   - train: The real rows the generator was trained on.
    ///   - holdout: Real rows of the same population the generator never saw.
    ///   - schema: The column kinds of all three tables (every schema column is compared).
    ///   - options: Sample sizes, seed, target, attacker; the defaults are the referee's.
    /// - Throws: `EvaluationError.missingColumn` for a column absent from a table;
    ///   `EvaluationError.invalidAttack` for quasi-identifiers and a sensitive column that do not make
    ///   an attack; `EvaluationError.noParseableRows` when no train or no holdout row parses;
    ///   `EvaluationError.unsupportedDateTimeFormat`.
    public init(train: Table, holdout: Table, schema: Schema, options: PrivacyOptions = PrivacyOptions()) throws {
        self.options = options
        trainRowCount = train.rowCount
        holdoutRowCount = holdout.rowCount
        maxRows = max(1, options.effectiveMaxRows(trainRowCount: train.rowCount))
        let encoder = try DistanceEncoder(train: train, schema: schema, target: options.target,
                                          maxLevels: options.maxLevels)
        self.encoder = encoder
        exactMatches = try ExactMatchIndex(train: train, encoder: encoder)

        let trainIndices = try encoder.columnIndices(in: train, tableName: "train")
        var trainMissing = encoder.noMissingNumbers
        var trainRows = encoder.makeRows()
        trainRows.reserveCapacity(train.rowCount)
        encoder.encode(train, indices: trainIndices, rows: 0 ..< train.rowCount, into: &trainRows, missing: &trainMissing)
        self.trainRows = trainRows
        self.trainMissing = trainMissing
        let parseableTrainRows = (0 ..< train.rowCount).filter {
            !encoder.hasUnparseableCell(train, indices: trainIndices, row: $0)
        }
        if train.rowCount > 0 && parseableTrainRows.isEmpty {
            throw Self.noParseableRows(train, indices: trainIndices, encoder: encoder, table: "train")
        }
        self.parseableTrainRows = parseableTrainRows

        let holdoutIndices = try encoder.columnIndices(in: holdout, tableName: "holdout")
        holdoutMatchCount = exactMatches.countMatches(holdout, indices: holdoutIndices, rows: 0 ..< holdout.rowCount)
        var holdoutMissing = encoder.noMissingNumbers
        encoder.scanMissing(holdout, indices: holdoutIndices, rows: 0 ..< holdout.rowCount, into: &holdoutMissing)
        self.holdoutMissing = holdoutMissing
        let parseableHoldoutRows = (0 ..< holdout.rowCount).filter {
            !encoder.hasUnparseableCell(holdout, indices: holdoutIndices, row: $0)
        }
        if holdout.rowCount > 0 && parseableHoldoutRows.isEmpty {
            throw Self.noParseableRows(holdout, indices: holdoutIndices, encoder: encoder, table: "holdout")
        }
        unparseableHoldoutRows = holdout.rowCount - parseableHoldoutRows.count
        let holdoutSample = parseableHoldoutRows.count > maxRows
            ? SeededSelection.sample(count: parseableHoldoutRows.count, take: maxRows, seed: options.seed,
                                     stream: .holdout).map { parseableHoldoutRows[$0] }
            : parseableHoldoutRows
        var holdoutRows = encoder.makeRows()
        var unused = encoder.noMissingNumbers
        encoder.encode(holdout, indices: holdoutIndices, rows: holdoutSample, into: &holdoutRows, missing: &unused)
        self.holdoutRows = holdoutRows

        let attack = try Self.makeAttack(options: options, encoder: encoder, train: train, trainIndices: trainIndices)
        self.attack = attack
        if let attack {
            let column = encoder.columns[attack.sensitiveColumn]
            let trainCells = train.columns[trainIndices[attack.sensitiveColumn]]
            let holdoutCells = holdout.columns[holdoutIndices[attack.sensitiveColumn]]
            trainSensitive = trainCells.map { Self.sensitiveValue(column, $0) }
            holdoutSensitive = holdoutSample.map { Self.sensitiveValue(column, holdoutCells[$0]) }
        } else {
            trainSensitive = []
            holdoutSensitive = []
        }
        profileID = Self.fingerprint(encoder: encoder, train: train.rowCount, holdout: holdout.rowCount,
                                     maxRows: maxRows, options: options)
    }

    /// The error for a table none of whose rows parses: names the column with the most
    /// unparseable cells, their count and the first one.
    private static func noParseableRows(_ table: Table, indices: [Int], encoder: DistanceEncoder,
                                        table name: String) -> EvaluationError {
        var worst: (column: String, count: Int, example: String)?
        for (c, column) in encoder.columns.enumerated() where column.parser != nil {
            let bad = table.columns[indices[c]].filter { column.isUnparseable($0) }
            if let first = bad.first, bad.count > worst?.count ?? 0 { worst = (column.name, bad.count, first!) }
        }
        return .noParseableRows(table: name, column: worst?.column ?? "", unparseable: worst?.count ?? 0,
                                rows: table.rowCount, example: worst?.example ?? "")
    }

    private static func makeAttack(options: PrivacyOptions, encoder: DistanceEncoder, train: Table,
                                   trainIndices: [Int]) throws -> Attack? {
        try options.validateAttack(columns: encoder.columns.map(\.name))
        guard let sensitive = options.sensitive else { return nil }
        func position(_ name: String) -> Int { encoder.columns.firstIndex { $0.name == name }! }
        let sensitiveColumn = position(sensitive)
        var numeric: [Int] = [], categorical: [Int] = []
        for name in options.quasiIdentifiers {
            let c = position(name)
            if let n = encoder.numericColumns.firstIndex(of: c) { numeric.append(n) }
            if let k = encoder.categoricalColumns.firstIndex(of: c) { categorical.append(k) }
        }
        let column = encoder.columns[sensitiveColumn]
        let values = train.columns[trainIndices[sensitiveColumn]].map { sensitiveValue(column, $0) }
        let isNumeric = column.kind == .numeric
        let baseline: SensitiveValue
        if isNumeric {
            let numbers = values.compactMap { value -> Double? in
                if case .number(let x) = value, !x.isNaN { return x }
                return nil
            }.sorted()
            baseline = .number(DistanceToClosestRecord.quantile(numbers, 0.5) ?? .nan)
        } else {
            // The most frequent value; among equals, the first to appear.
            var counts: [SensitiveValue: Int] = [:]
            var order: [SensitiveValue] = []
            for value in values {
                if counts[value] == nil { order.append(value) }
                counts[value, default: 0] += 1
            }
            var best: SensitiveValue = .category(nil), bestCount = -1
            for value in order where counts[value]! > bestCount {
                best = value
                bestCount = counts[value]!
            }
            baseline = best
        }
        return Attack(quasiIdentifiers: options.quasiIdentifiers, sensitive: sensitive,
                      numericColumns: numeric, categoricalColumns: categorical, sensitiveColumn: sensitiveColumn,
                      isNumeric: isNumeric, baselineGuess: baseline)
    }

    static func sensitiveValue(_ column: PrivacyColumn, _ cell: String?) -> SensitiveValue {
        column.kind == .numeric ? .number(column.number(cell)) : .category(column.category(cell))
    }

    /// FNV-1a over what a summary's layout depends on.
    private static func fingerprint(encoder: DistanceEncoder, train: Int, holdout: Int, maxRows: Int,
                                    options: PrivacyOptions) -> UInt64 {
        var fingerprint = Fingerprint()
        func mix(_ text: String) { fingerprint.mix(text.utf8) }
        for column in encoder.columns { mix("\(column.name):\(column.kind)") }
        for (n, c) in encoder.numericColumns.enumerated() { mix("\(c):\(encoder.minimums[n]):\(encoder.spans[n])") }
        for levels in encoder.levels { mix(levels.joined(separator: "\u{1f}")) }
        mix("\(train):\(holdout):\(maxRows):\(options.seed):\(options.quasiIdentifiers):\(options.sensitive ?? "")")
        return fingerprint.value
    }

    // MARK: - Summaries

    /// An empty summary (of no rows), to merge others into.
    public func makeSummary() -> PrivacySummary {
        PrivacySummary(profileID: profileID, missing: encoder.noMissingNumbers, capacity: maxRows,
                       rows: encoder.makeRows())
    }

    /// Summarises synthetic rows: rows `0..<synthetic.rowCount` of the chunk are rows
    /// `firstRow...` of the whole synthetic table (the sample depends on those positions).
    ///
    /// - Parameters:
    ///   - synthetic: A chunk with (at least) the schema's columns, matched by name.
    ///   - firstRow: The position of the chunk's first row in the whole table.
    /// - Throws: `EvaluationError.missingColumn`.
    public func summarize(_ synthetic: Table, firstRow: Int = 0) throws -> PrivacySummary {
        let indices = try encoder.columnIndices(in: synthetic, tableName: "synthetic")
        let rowCount = synthetic.rowCount
        let threads = max(1, min(options.threadCount ?? ProcessInfo.processInfo.activeProcessorCount,
                                 rowCount / 16_384))
        if threads == 1 {
            var summary = makeSummary()
            accumulate(synthetic, indices: indices, rows: 0 ..< rowCount, firstRow: firstRow, into: &summary)
            return summary
        }
        let parts = splitRows(rowCount, into: threads)
        let partials = concurrentMap(threads) { t in
            var summary = makeSummary()
            accumulate(synthetic, indices: indices, rows: parts[t], firstRow: firstRow, into: &summary)
            return summary
        }
        var summary = partials[0]
        for partial in partials.dropFirst() { try summary.merge(partial) }
        return summary
    }

    /// Summarises a synthetic table file (CSV, gzip, Parquet or a folder of parts) chunk by chunk, so memory stays bounded by
    /// `chunkRows` and the sample size whatever the file's length.
    ///
    /// - Parameters:
    ///   - path: The CSV file; its header must name the schema's columns.
    ///   - chunkRows: Rows read at a time.
    ///   - delimiter: The field delimiter.
    ///   - missingValues: Cell spellings read as missing.
    public func summarize(csvAt path: String, chunkRows: Int = 131_072, delimiter: UInt8 = UInt8(ascii: ","),
                          missingValues: [String] = Schema.defaultMissingValues) throws -> PrivacySummary {
        try summarizeInChunks(csvAt: path, chunkRows: chunkRows, delimiter: delimiter, missingValues: missingValues,
                              empty: makeSummary(), merge: { try $0.merge($1) }) { try summarize($0, firstRow: $1) }
    }

    /// Scores a synthetic table: `report(for: summarize(synthetic))`.
    public func evaluate(_ synthetic: Table) throws -> PrivacyReport {
        try report(for: summarize(synthetic))
    }

    /// Adds rows `rows` of `table` (positions `firstRow + row` in the whole table) to `summary`.
    func accumulate(_ table: Table, indices: [Int], rows: Range<Int>, firstRow: Int,
                    into summary: inout PrivacySummary) {
        var key: [UInt8] = []
        var matches = 0
        var missing = summary.missing
        let sensitiveColumn = attack?.sensitiveColumn
        for row in rows {
            if exactMatches.contains(table, indices: indices, row: row, key: &key) { matches += 1 }
            let samplingKey = SeededSelection.key(seed: options.seed, stream: .synthetic, row: firstRow + row)
            summary.offer(key: samplingKey) {
                var encoded = encoder.makeRows()
                var unused = encoder.noMissingNumbers
                encoder.encode(table, indices: indices, rows: CollectionOfOne(row), into: &encoded, missing: &unused)
                let value = sensitiveColumn.map {
                    Self.sensitiveValue(encoder.columns[$0], table.columns[indices[$0]][row])
                } ?? .none
                return (encoded, value)
            }
        }
        encoder.scanMissing(table, indices: indices, rows: rows, into: &missing)
        summary.missing = missing
        summary.addCounts(rows: rows.count, matches: matches)
    }
}
