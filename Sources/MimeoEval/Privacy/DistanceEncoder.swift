import MimeoData

/// The referee's privacy encoding, analysed on the train table: min-max numbers (datetimes as
/// epoch seconds) and one-hot categories over the most frequent train levels.
///
/// ```swift
/// let encoder = try DistanceEncoder(train: train, schema: schema, target: "income", maxLevels: 200)
/// var rows = encoder.makeRows()
/// var missing = encoder.noMissingNumbers
/// try encoder.encode(holdout, rows: 0 ..< holdout.rowCount, into: &rows, missing: &missing)
/// let layout = encoder.layout(missing: missing)      // dense features for the distances
/// ```
///
/// - Numbers: `x' = (x - min) / span`, `span = max - min` (1 when the column is constant), with
///   train's `min` and `max` over non-missing values. A missing number is 0 plus an indicator
///   slot, when any table has a missing value in that column (`layout(missing:)`).
/// - Categories: the missing value is the level `__NA__`; levels ranked by train count, ties in
///   order of first appearance, the first `maxLevels` kept. (pandas' `value_counts` orders ties by
///   numpy's quicksort, which is neither stable nor the same on every CPU; when equal counts straddle
///   the cut, the kept levels can differ from the referee's: `hasTiedCutoff` flags those columns.)
///
/// `rowKey` gives the exact-match key of a row: numbers rounded to 6 decimals, categories as text,
/// as the referee's `_row_keys`.
struct DistanceEncoder: Sendable {
    /// The referee's token for a missing category.
    static let missingToken = "__NA__"

    /// Every column, in schema order.
    let columns: [PrivacyColumn]
    /// Indices into `columns` of the numeric columns, and their train minimum and span.
    let numericColumns: [Int]
    let minimums: [Double]
    let spans: [Double]
    /// Whether the train table has no value at all in a numeric column (every cell then encodes as missing).
    let isEmptyInTrain: [Bool]
    /// Indices into `columns` of the categorical columns, and their kept levels (code = index).
    let categoricalColumns: [Int]
    let levels: [[String]]
    let levelCodes: [[String: Int32]]
    /// Per categorical column: whether the last kept level and the first dropped one have the same
    /// train count (which of the tied levels are kept then depends on tie order; see `init`).
    let hasTiedCutoff: [Bool]

    /// Analyses the train table.
    ///
    /// - Parameters:
    ///   - train: The real train table.
    ///   - schema: The column kinds; every schema column must be in `train`.
    ///   - target: The utility target (a number target with ≤ 20 values is a category).
    ///   - maxLevels: Kept levels per categorical column.
    init(train: Table, schema: Schema, target: String?, maxLevels: Int) throws {
        columns = try PrivacyColumn.columns(schema: schema, train: train, target: target)
        var numericColumns: [Int] = [], minimums: [Double] = [], spans: [Double] = [], empty: [Bool] = []
        var categoricalColumns: [Int] = [], levels: [[String]] = [], levelCodes: [[String: Int32]] = []
        var tiedCutoff: [Bool] = []
        for (c, column) in columns.enumerated() {
            let cells = train.columns[train.columnIndex(named: column.name)!]
            if column.kind == .numeric {
                var low = Double.infinity, high = -Double.infinity
                for cell in cells {
                    let x = column.number(cell)
                    if x < low { low = x }
                    if x > high { high = x }
                }
                numericColumns.append(c)
                let hasValues = low <= high
                minimums.append(hasValues ? low : 0)
                spans.append(hasValues && high > low ? high - low : 1)
                empty.append(!hasValues)
            } else {
                let ranking = LevelRanking(cells.lazy.map { column.category($0) ?? Self.missingToken })
                let ranked = ranking.ranked, counts = ranking.counts
                let kept = ranking.top(maxLevels)
                tiedCutoff.append(kept.count < ranked.count && !kept.isEmpty
                                  && counts[kept.last!] == counts[ranked[kept.count]])
                categoricalColumns.append(c)
                levels.append(kept)
                levelCodes.append(Dictionary(uniqueKeysWithValues: kept.enumerated().map { ($1, Int32($0)) }))
            }
        }
        self.numericColumns = numericColumns
        self.minimums = minimums
        self.spans = spans
        isEmptyInTrain = empty
        self.categoricalColumns = categoricalColumns
        self.levels = levels
        self.levelCodes = levelCodes
        hasTiedCutoff = tiedCutoff
    }

    /// Empty rows of this encoder's widths.
    func makeRows() -> EncodedRows {
        EncodedRows(numericWidth: numericColumns.count, categoricalWidth: categoricalColumns.count)
    }

    /// One `false` per numeric column: the start of a missing-value scan.
    var noMissingNumbers: [Bool] { Array(repeating: false, count: numericColumns.count) }

    /// The dense layout, with an indicator for each numeric column where `missing` is set.
    func layout(missing: [Bool]) -> FeatureLayout {
        FeatureLayout(hasIndicator: missing, levelCounts: levels.map(\.count))
    }

    /// The positions in `table` of this encoder's columns (schema order).
    ///
    /// - Throws: `EvaluationError.missingColumn` naming `tableName`.
    func columnIndices(in table: Table, tableName: String) throws -> [Int] {
        try columns.map { column in
            guard let index = table.columnIndex(named: column.name) else {
                throw EvaluationError.missingColumn(column.name, table: tableName)
            }
            return index
        }
    }

    /// The scaled value of numeric column `n` (an index into `numericColumns`) in `cell`; NaN if missing.
    @inline(__always)
    func scaledNumber(_ n: Int, _ cell: String?) -> Float {
        if isEmptyInTrain[n] { return .nan }
        let x = columns[numericColumns[n]].number(cell)
        return x.isNaN ? .nan : Float((x - minimums[n]) / spans[n])
    }

    /// The level code of categorical column `k` (an index into `categoricalColumns`) in `cell`.
    @inline(__always)
    func levelCode(_ k: Int, _ cell: String?) -> Int32 {
        let text = columns[categoricalColumns[k]].category(cell) ?? Self.missingToken
        return levelCodes[k][text] ?? -1
    }

    /// Appends rows `rows` of `table` to `out`, and marks in `missing` the numeric columns with a
    /// missing value among them.
    ///
    /// - Parameter indices: `columnIndices(in: table, ...)`.
    func encode(_ table: Table, indices: [Int], rows: some Sequence<Int>, into out: inout EncodedRows,
                missing: inout [Bool]) {
        var numbers = [Float](repeating: 0, count: numericColumns.count)
        var codes = [Int32](repeating: 0, count: categoricalColumns.count)
        for row in rows {
            for n in numericColumns.indices {
                let x = scaledNumber(n, table.columns[indices[numericColumns[n]]][row])
                if x.isNaN { missing[n] = true }
                numbers[n] = x
            }
            for k in categoricalColumns.indices {
                codes[k] = levelCode(k, table.columns[indices[categoricalColumns[k]]][row])
            }
            out.append(numbers: numbers, codes: codes)
        }
    }

    /// Marks in `missing` the numeric columns with a missing (or unparseable) value in rows `rows`.
    func scanMissing(_ table: Table, indices: [Int], rows: Range<Int>, into missing: inout [Bool]) {
        for n in numericColumns.indices where !missing[n] {
            let cells = table.columns[indices[numericColumns[n]]]
            for row in rows where scaledNumber(n, cells[row]).isNaN {
                missing[n] = true
                break
            }
        }
    }

    /// The number columns (including a number target read as categories) and whether any of them
    /// has a cell in row `row` that is present but does not parse.
    func hasUnparseableCell(_ table: Table, indices: [Int], row: Int) -> Bool {
        for (c, column) in columns.enumerated() where column.parser != nil {
            if column.isUnparseable(table.columns[indices[c]][row]) { return true }
        }
        return false
    }

    /// Writes the exact-match key of row `row` into `key` (cleared first): the referee's
    /// `_row_keys` (numbers rounded to 6 decimals as numpy does, `-0.0` apart from `0.0`;
    /// categories as text; missing cells as one token), as bytes. A number cell that does not
    /// parse is keyed by its text (the referee would key it as missing), so it matches only the
    /// same text, never a missing cell.
    func rowKey(_ table: Table, indices: [Int], row: Int, into key: inout [UInt8]) {
        key.removeAll(keepingCapacity: true)
        for (c, column) in columns.enumerated() {
            let cell = table.columns[indices[c]][row]
            if column.isUnparseable(cell), let text = cell {
                key.append(3)
                Self.appendText(PrivacyColumn.trimmed(text), to: &key)
                continue
            }
            switch column.kind {
            case .numeric:
                let x = column.number(cell)
                if x.isNaN {
                    key.append(0)
                } else {
                    key.append(1)
                    var bits = Self.roundedToMicro(x).bitPattern
                    for _ in 0 ..< 8 {
                        key.append(UInt8(truncatingIfNeeded: bits))
                        bits >>= 8
                    }
                }
            case .categorical, .categoricalNumber:
                if let text = column.category(cell) {
                    key.append(2)
                    Self.appendText(text, to: &key)
                } else {
                    key.append(0)
                }
            }
        }
    }

    /// Appends `text`'s length (4 bytes) and UTF-8 bytes.
    private static func appendText(_ text: String, to key: inout [UInt8]) {
        let bytes = text.utf8
        var length = UInt32(bytes.count)
        for _ in 0 ..< 4 {
            key.append(UInt8(truncatingIfNeeded: length))
            length >>= 8
        }
        key.append(contentsOf: bytes)
    }

    /// numpy's `round(x, 6)`: `rint(x * 1e6) / 1e6`.
    @inline(__always)
    static func roundedToMicro(_ x: Double) -> Double {
        (x * 1e6).rounded(.toNearestOrEven) / 1e6
    }
}
