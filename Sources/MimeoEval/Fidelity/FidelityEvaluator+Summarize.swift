import Foundation
import MimeoData
import MimeoParquet
import MimeoTensor

extension FidelityEvaluator {
    /// An empty summary (of no rows), to merge others into.
    public func makeSummary() -> SyntheticSummary {
        var continuous: [ContinuousColumnSummary?] = []
        var discrete: [DiscreteColumnSummary?] = []
        for column in columns {
            switch column.role {
            case .continuous(let p):
                continuous.append(ContinuousColumnSummary(cellCount: p.cellCount))
                discrete.append(nil)
            case .discrete(let p):
                continuous.append(nil)
                discrete.append(DiscreteColumnSummary(width: p.width))
            }
        }
        let pairSummaries = pairs.map { pair -> PairSummary? in
            guard pair.isTracked else { return nil }
            switch pair.kind {
            case .correlation:
                return .correlation(CoMoments())
            case .discrete(let secondWidth):
                guard case .discrete(let a) = columns[pair.first].role else { return nil }
                let cells = a.width * secondWidth
                return .contingency(CountTable(denseCount: cells <= 1 << 20 ? cells : 0), categoryWidth: nil)
            case .mixed(let c, _, let width):
                guard case .continuous(let p) = columns[c].role else { return nil }
                // Groups 0 (missing) ... 2k - 1 (inner cells); outer buckets go to the dictionary.
                let cells = (p.cellCount - 1) * width
                let table = cells <= 1 << 16
                    ? CountTable(denseCount: cells)
                    : CountTable(denseCount: 0, coarsensAbove: options.maxPairCells)
                return .contingency(table, categoryWidth: width)
            }
        }
        return SyntheticSummary(profileID: profileID, continuousColumns: continuous, discreteColumns: discrete,
                                pairs: pairSummaries, maxUnseenCategories: options.maxUnseenCategories)
    }

    /// Summarises synthetic rows (every row of `synthetic`), using `options.threadCount` threads.
    ///
    /// - Parameter synthetic: A table with (at least) the schema's scored columns, matched by name.
    /// - Throws: `EvaluationError.missingColumn` when a scored column is absent.
    public func summarize(_ synthetic: Table) throws -> SyntheticSummary {
        let indices = try columns.map { column -> Int in
            guard let index = synthetic.columnIndex(named: column.schema.name) else {
                throw EvaluationError.missingColumn(column.schema.name, table: "synthetic")
            }
            return index
        }
        let rowCount = synthetic.rowCount
        let blockRows = max(1, options.blockRows)
        let threads = max(1, min(options.threadCount ?? ProcessInfo.processInfo.activeProcessorCount,
                                 (rowCount + blockRows - 1) / blockRows))
        if threads == 1 {
            var summary = makeSummary()
            accumulate(synthetic, columnIndices: indices, rows: 0 ..< rowCount, into: &summary)
            return summary
        }
        let parts = splitRows(rowCount, into: threads)
        let partials = concurrentMap(threads) { t in
            var summary = makeSummary()
            accumulate(synthetic, columnIndices: indices, rows: parts[t], into: &summary)
            return summary
        }
        var summary = partials[0]
        for partial in partials.dropFirst() { try summary.merge(partial) }
        return summary
    }

    /// Summarises a synthetic table file (CSV, gzip, Parquet or a folder of parts) chunk by chunk, so memory stays bounded by
    /// `chunkRows` whatever the file's length.
    ///
    /// ```swift
    /// let summary = try evaluator.summarize(csvAt: "synthetic.csv.gz")
    /// let report = evaluator.report(for: summary)
    /// ```
    ///
    /// - Parameters:
    ///   - path: The CSV file; its header must name the scored columns.
    ///   - chunkRows: Rows read and summarised at a time.
    ///   - delimiter: The field delimiter.
    ///   - missingValues: Cell spellings read as missing.
    /// - Throws: `DataError` for an unreadable or malformed file; `EvaluationError.missingColumn`.
    public func summarize(csvAt path: String, chunkRows: Int = 131_072, delimiter: UInt8 = UInt8(ascii: ","),
                          missingValues: [String] = Schema.defaultMissingValues) throws -> SyntheticSummary {
        try summarizeInChunks(csvAt: path, chunkRows: chunkRows, delimiter: delimiter, missingValues: missingValues,
                              empty: makeSummary(), merge: { try $0.merge($1) }) { chunk, _ in try summarize(chunk) }
    }

    /// Scores a synthetic table: `report(for: summarize(synthetic))`.
    public func evaluate(_ synthetic: Table) throws -> FidelityReport {
        report(for: try summarize(synthetic))
    }

    /// Adds rows `rows` of `table` to `summary`, a block of `options.blockRows` at a time.
    func accumulate(_ table: Table, columnIndices: [Int], rows: Range<Int>, into summary: inout SyntheticSummary) {
        let blockRows = max(1, options.blockRows)
        let blockSize = min(blockRows, rows.count)
        var codes = Array(repeating: [Int](repeating: 0, count: blockSize), count: columns.count)
        var values = Array(repeating: [Double](), count: columns.count)
        var needsValues = Array(repeating: false, count: columns.count)
        for pair in pairs where pair.isTracked {
            if case .correlation = pair.kind {
                needsValues[pair.first] = true
                needsValues[pair.second] = true
            }
        }
        for e in columns.indices where needsValues[e] { values[e] = Array(repeating: .nan, count: blockSize) }

        var start = rows.lowerBound
        while start < rows.upperBound {
            let end = min(start + blockRows, rows.upperBound)
            let n = end - start
            for (e, column) in columns.enumerated() {
                let cells = table.columns[columnIndices[e]]
                switch column.role {
                case .continuous(let profile):
                    var columnSummary = summary.continuousColumns[e]!
                    summary.continuousColumns[e] = nil  // so that `columnSummary` owns its arrays
                    let keepValues = needsValues[e]
                    codes[e].withUnsafeMutableBufferPointer { codeBuffer in
                        values[e].withUnsafeMutableBufferPointer { valueBuffer in
                            for i in 0 ..< n {
                                let cell = cells[start + i]
                                let x = profile.parser.value(cell)
                                let code = profile.code(of: x, cell: cell)
                                columnSummary.add(x, code: code, cell: cell)
                                codeBuffer[i] = code
                                if keepValues { valueBuffer[i] = x }
                            }
                        }
                    }
                    summary.continuousColumns[e] = columnSummary
                case .discrete(let profile):
                    var columnSummary = summary.discreteColumns[e]!
                    summary.discreteColumns[e] = nil
                    let limit = options.maxUnseenCategories
                    codes[e].withUnsafeMutableBufferPointer { codeBuffer in
                        for i in 0 ..< n {
                            let code: Int
                            if let value = cells[start + i] {
                                if let known = profile.index[value] {
                                    code = known
                                } else {
                                    code = profile.unseenCode
                                    columnSummary.addUnseen(value, limit: limit)
                                }
                            } else {
                                code = profile.missingCode
                            }
                            columnSummary.counts[code] += 1
                            codeBuffer[i] = code
                        }
                    }
                    summary.discreteColumns[e] = columnSummary
                }
            }
            for (p, pair) in pairs.enumerated() where pair.isTracked {
                guard var pairSummary = summary.pairs[p] else { continue }
                if case .correlation = pair.kind {
                    summary.pairUnparseableRows[p] += Self.unparseableRows(codes[pair.first], codes[pair.second], n)
                }
                summary.pairs[p] = nil
                addPairRows(pair, count: n, codes: codes, values: values, into: &pairSummary)
                summary.pairs[p] = pairSummary
            }
            summary.addRows(n)
            start = end
        }
    }

    /// Rows among the first `n` where neither code is missing (0) and at least one is unparseable.
    private static func unparseableRows(_ a: [Int], _ b: [Int], _ n: Int) -> Int {
        let u = ContinuousProfile.unparseableCode
        var count = 0
        for i in 0 ..< n where a[i] != 0 && b[i] != 0 && (a[i] == u || b[i] == u) { count += 1 }
        return count
    }

    /// Adds one block's rows to a pair's summary.
    private func addPairRows(_ pair: PairProfile, count n: Int, codes: [[Int]], values: [[Double]],
                             into summary: inout PairSummary) {
        switch (pair.kind, summary) {
        case (.correlation, .correlation(var moments)):
            values[pair.first].withUnsafeBufferPointer { x in
                values[pair.second].withUnsafeBufferPointer { y in
                    moments.add(UnsafeBufferPointer(rebasing: x[0 ..< n]), UnsafeBufferPointer(rebasing: y[0 ..< n]))
                }
            }
            summary = .correlation(moments)
        case (.discrete(let width), .contingency(var table, let categoryWidth)):
            summary = .correlation(CoMoments())
            codes[pair.first].withUnsafeBufferPointer { a in
                codes[pair.second].withUnsafeBufferPointer { b in
                    for i in 0 ..< n { table.add(a[i] * width + b[i]) }
                }
            }
            summary = .contingency(table, categoryWidth: categoryWidth)
        case (.mixed(let c, let d, let width), .contingency(var table, let categoryWidth)):
            summary = .correlation(CoMoments())
            let shift = table.shift
            codes[c].withUnsafeBufferPointer { valueCodes in
                codes[d].withUnsafeBufferPointer { categoryCodes in
                    for i in 0 ..< n {
                        let group = PairSummary.group(ofCode: valueCodes[i], shift: shift)
                        table.add(group * width + categoryCodes[i])
                    }
                }
            }
            table.enforceBound { key, _ in PairSummary.coarsen(key, categoryWidth: width) }
            summary = .contingency(table, categoryWidth: categoryWidth)
        default:
            preconditionFailure("pair summary does not match its pair")
        }
    }
}
