extension FidelityEvaluator {
    /// The fidelity report of the synthetic rows `summary` describes.
    ///
    /// Column Shapes is the mean of the column scores that exist; Column Pair Trends the mean of
    /// the scores of pairs that meet the threshold; overall the mean of the two (SDMetrics'
    /// `nanmean`).
    ///
    /// Synthetic cells that do not parse as their number or datetime column's kind are mismatches
    /// (docs/metrics.md, "Unparseable values"): a column's KSComplement and a pair's
    /// CorrelationSimilarity are multiplied by the share of parseable values (rows), and in
    /// ContingencySimilarity they form a bin of their own that the real table never has.
    ///
    /// - Parameter summary: A summary made by this evaluator (`summary.profileID == profileID`;
    ///   check it for summaries received from elsewhere).
    public func report(for summary: SyntheticSummary) -> FidelityReport {
        precondition(summary.profileID == profileID, "a summary of this evaluator")
        var columnScores: [ColumnShapeScore] = []
        var binnings: [Int: SyntheticBinning] = [:]
        for (e, column) in columns.enumerated() {
            switch column.role {
            case .continuous(let profile):
                let s = summary.continuousColumns[e]!
                var score = KSComplement.compute(realCells: profile.realCellCounts, syntheticCells: s.cells)
                var note = score == nil ? "no values on the real or the synthetic side" : nil
                if s.unparseable > 0 {
                    let parsed = s.count
                    if let ks = score {
                        score = ks * Double(parsed) / Double(parsed + s.unparseable)
                    } else if profile.points.count > 0 {
                        score = 0
                        note = "no synthetic value parses as \(column.schema.kind.rawValue)"
                    }
                }
                columnScores.append(ColumnShapeScore(
                    column: column.schema.name, kind: column.schema.kind, metric: KSComplement.name, score: score,
                    note: note, syntheticUnparseable: s.unparseable, realUnparseable: profile.unparseableCount,
                    unparseableExample: s.firstUnparseable))
                binnings[e] = SyntheticBinning(summary: s, binCount: options.binCount)
            case .discrete(let profile):
                let s = summary.discreteColumns[e]!
                let categories = profile.vocabulary.count
                let unseen = Array(s.unseen.values) + (s.pooledUnseen > 0 ? [s.pooledUnseen] : [])
                let score = TVComplement.compute(realCounts: Array(profile.counts[0 ..< categories]),
                                                 syntheticCounts: Array(s.counts[0 ..< categories]),
                                                 unseenSyntheticCounts: unseen)
                columnScores.append(ColumnShapeScore(
                    column: column.schema.name, kind: column.schema.kind, metric: TVComplement.name, score: score,
                    note: score == nil ? "no values on the real or the synthetic side" : nil))
            }
        }

        var pairScores: [ColumnPairScore] = []
        for (p, pair) in pairs.enumerated() {
            var entry = ColumnPairScore(
                column1: columns[pair.first].schema.name, column2: columns[pair.second].schema.name,
                metric: pair.metricName, score: nil, realCorrelation: pair.realCorrelation, syntheticCorrelation: nil,
                realAssociation: pair.realAssociation, meetsThreshold: pair.meetsThreshold, binningUncertainty: nil,
                note: pair.realNote)
            if let pairSummary = summary.pairs[p] {
                score(pair, pairSummary, summary: summary, binnings: binnings, into: &entry)
                if case .correlation = pair.kind, summary.pairUnparseableRows[p] > 0 {
                    penalize(&entry, unparseableRows: summary.pairUnparseableRows[p], pairSummary)
                }
            } else if entry.note == nil {
                entry.note = "below the real-data threshold: not scored"
            }
            pairScores.append(entry)
        }

        let shapes = mean(columnScores.compactMap(\.score))
        let trends = mean(pairScores.filter(\.meetsThreshold).compactMap(\.score))
        return FidelityReport(
            overall: mean([shapes, trends].compactMap { $0 }), columnShapes: shapes, columnPairTrends: trends,
            columns: columnScores, pairs: pairScores, skippedColumns: skippedColumns, realRowCount: realRowCount,
            syntheticRowCount: summary.rowCount,
            maxBinningUncertainty: pairScores.compactMap(\.binningUncertainty).max() ?? 0, options: options)
    }

    /// A correlation pair with unparseable synthetic rows: its score times the share of parseable
    /// rows (0 when no row has two parseable values).
    private func penalize(_ entry: inout ColumnPairScore, unparseableRows: Int, _ pairSummary: PairSummary) {
        guard case .correlation(let moments) = pairSummary else { return }
        entry.syntheticUnparseableRows = unparseableRows
        if let score = entry.score {
            entry.score = score * Double(moments.count) / Double(moments.count + unparseableRows)
        } else if moments.count == 0, entry.realCorrelation != nil {
            entry.score = 0
            entry.note = "no synthetic row has two values that parse"
        }
    }

    private func mean(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }

    private func score(_ pair: PairProfile, _ pairSummary: PairSummary, summary: SyntheticSummary,
                       binnings: [Int: SyntheticBinning], into entry: inout ColumnPairScore) {
        let rows = Double(summary.rowCount)
        switch (pair.kind, pairSummary) {
        case (.correlation, .correlation(let moments)):
            for e in [pair.first, pair.second] {
                if let s = summary.continuousColumns[e], s.count > 0, s.minimum == s.maximum {
                    let name = columns[e].schema.name
                    entry.note = "the synthetic column '\(name)' is constant: correlation is undefined"
                    return
                }
            }
            entry.syntheticCorrelation = moments.correlation
            guard let r = pair.realCorrelation, let s = moments.correlation else {
                entry.note = "fewer than two synthetic rows with both values, or a constant column among them"
                return
            }
            entry.score = CorrelationSimilarity.score(real: r, synthetic: s)
        case (.discrete, .contingency(let table, _)):
            var synthetic: [Int: Double] = [:]
            table.forEach { key, count in synthetic[key, default: 0] += Double(count) }
            entry.score = contingencyScore(real: pair.realTable, synthetic: synthetic, syntheticRows: rows)
        case (.mixed(let c, _, let width), .contingency(let table, _)):
            guard case .continuous(let profile) = columns[c].role, let binning = binnings[c],
                  let cells = summary.continuousColumns[c]?.cells else { return }
            var synthetic: [Int: Double] = [:]
            var apportioned = 0.0
            var groupWeights: [Int: [Double]?] = [:]
            let missingBin = binning.edges.missingBin
            let lastInner = profile.cellCount - 2
            table.forEach { key, count in
                let (group, code) = PairSummary.split(key, categoryWidth: width)
                let n = Double(count)
                if group == 0 {
                    synthetic[missingBin * width + code, default: 0] += n
                } else if group == ContinuousProfile.unparseableCode {
                    // A bin of its own, which no real value has: a mismatch.
                    synthetic[(missingBin + 1) * width + code, default: 0] += n
                } else if group < 0 || table.shift == 0 {
                    apportioned += binning.distribute(cell: group, count: n) { bin, amount in
                        synthetic[bin * width + code, default: 0] += amount
                    }
                } else {
                    let low = ((group - 1) << table.shift) + 1
                    let high = min(group << table.shift, lastInner)
                    if groupWeights[group] == nil {
                        groupWeights[group] = binning.weights(ofCells: low ... high, counts: cells)
                    }
                    guard let weights = groupWeights[group]! else { return }
                    for (bin, w) in weights.enumerated() where w > 0 {
                        synthetic[bin * width + code, default: 0] += n * w
                    }
                    if weights.filter({ $0 > 0 }).count > 1 { apportioned += n }
                }
            }
            entry.score = contingencyScore(real: pair.realTable, synthetic: synthetic, syntheticRows: rows)
            entry.binningUncertainty = rows > 0 ? apportioned / rows : 0
        default:
            preconditionFailure("pair summary does not match its pair")
        }
    }

    /// `1 - 1/2 Σ |p_real - p_synthetic|` over the union of the two tables' keys.
    private func contingencyScore(real: [Int: Int], synthetic: [Int: Double], syntheticRows: Double) -> Double? {
        let realRows = Double(realRowCount)
        guard realRows > 0, syntheticRows > 0 else { return nil }
        // Keys in sorted order, so the floating-point sum (and the report) is the same in every process.
        var variation = 0.0
        for key in real.keys.sorted() {
            variation += abs(Double(real[key]!) / realRows - (synthetic[key] ?? 0) / syntheticRows)
        }
        for key in synthetic.keys.sorted() where real[key] == nil { variation += synthetic[key]! / syntheticRows }
        return 1 - variation / 2
    }
}
