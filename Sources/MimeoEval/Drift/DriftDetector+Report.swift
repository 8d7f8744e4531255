import Foundation
import MimeoData

extension DriftDetector {
    /// The drift report of the current rows `summary` describes.
    ///
    /// - Throws: `EvaluationError.summaryMismatch` when `summary` comes from another detector.
    public func report(for summary: DriftSummary) throws -> DriftReport {
        guard summary.profileID == profileID else { throw EvaluationError.summaryMismatch }
        var results: [DriftReport.ColumnDrift] = []
        for (e, column) in columns.enumerated() {
            switch column.role {
            case .number(let reference):
                guard let current = summary.numbers[e] else { throw EvaluationError.summaryMismatch }
                results.append(numberDrift(column.schema, reference, current))
            case .category(let profile):
                guard let current = summary.categories[e] else { throw EvaluationError.summaryMismatch }
                results.append(categoryDrift(column.schema, profile, current))
            }
        }
        let drifted = results.filter(\.drifted).count
        let share = results.isEmpty ? 0 : Double(drifted) / Double(results.count)
        let dataset = DriftReport.DatasetDrift(columnCount: results.count, driftedColumns: drifted, share: share,
                                               threshold: options.driftShare,
                                               drifted: !results.isEmpty && share >= options.driftShare)
        return DriftReport(referenceRowCount: referenceRowCount, currentRowCount: summary.rowCount, columns: results,
                           skippedColumns: skippedColumns, dataset: dataset,
                           domainClassifier: try domainClassifier(currentSample: summary.sample.map(\.cells)),
                           concept: concept.map { conceptDrift($0, current: summary.concept, currentSample: summary.sample.map(\.cells)) },
                           options: options)
    }

    // MARK: - One column

    /// The column's comparison once both sides are reduced to counts per value (`keys` sorted).
    private struct Sides {
        /// Reference and current counts per key.
        var reference: [Double]
        var current: [Double]
        var distinct: Int
    }

    private func numberDrift(_ schema: ColumnSchema, _ reference: NumberReference,
                             _ current: DriftSummary.NumberColumnSummary) -> DriftReport.ColumnDrift {
        let profile = reference.profile
        let atoms = Self.currentAtoms(profile, current)
        let exactAtoms = atoms.allSatisfy { $0.low == $0.high }
        let nRef = reference.count
        let nCur = Int(atoms.reduce(0) { $0 + $1.count })
        var result = DriftReport.ColumnDrift(
            column: schema.name, kind: schema.kind, type: "numerical", referenceRows: nRef, currentRows: nCur,
            referenceMissing: profile.missingCount, currentMissing: current.cells.missing + current.cells.unparseable,
            distinctValues: 0, test: "", score: nil, threshold: 0, drifted: false, psi: nil, psiDrifted: false,
            exact: true, scoreErrorBound: nil, note: nil)
        guard nRef > 0, nCur > 0 else {
            result.note = "no present value in the \(nRef == 0 ? "reference" : "current") column: not tested"
            return result
        }
        // Counts per distinct value; a cell whose values were not kept (low < high) counts as one key
        // at its midpoint, but as two distinct values.
        var counts: [Double: (Double, Double)] = [:]
        for (v, c) in zip(profile.points, profile.pointCounts) { counts[v] = (Double(c), 0) }
        var unresolved = 0
        for atom in atoms {
            let key = atom.low == atom.high ? atom.low : (atom.low + atom.high) / 2
            if atom.low != atom.high { unresolved += 1 }
            counts[key, default: (0, 0)].1 += atom.count
        }
        let keys = counts.keys.sorted()
        let sides = Sides(reference: keys.map { counts[$0]!.0 }, current: keys.map { counts[$0]!.1 },
                          distinct: keys.count + unresolved)
        result.distinctValues = sides.distinct
        let referenceAtoms = zip(profile.points, profile.pointCounts).map { (value: $0, weight: Double($1)) }
        let currentAtoms = atoms.map { (value: $0.low == $0.high ? $0.low : ($0.low + $0.high) / 2, weight: $0.count) }
        if sides.distinct <= options.fewValues {
            applyFewValuesTest(sides, small: nRef <= options.smallReferenceRows, to: &result)
        } else if nRef <= options.smallReferenceRows {
            let (d, _) = DriftStatistics.ecdfDistances(reference: referenceAtoms, current: currentAtoms)
            let (p, exactP) = DriftStatistics.ksPValue(d, nRef, nCur)
            result.test = "ks"
            result.score = p
            result.threshold = options.pValueThreshold
            result.drifted = p <= options.pValueThreshold
            // The statistic is exact even from cells (see `KSComplement`); the p-value is SciPy's up to 10,000 values.
            if !exactP { result.note = "KS p-value from the asymptotic distribution (a side has over 10,000 values)" }
        } else {
            let (_, w) = DriftStatistics.ecdfDistances(reference: referenceAtoms, current: currentAtoms)
            let norm = max(reference.standardDeviation, 0.001)
            result.test = "wasserstein"
            result.score = w / norm
            result.threshold = options.distanceThreshold
            result.drifted = w / norm >= options.distanceThreshold
            result.exact = exactAtoms
            if !exactAtoms {
                // Each value of a cell is at most half the cell's width from its midpoint.
                let moved = atoms.reduce(0.0) { $0 + $1.count * ($1.high - $1.low) / 2 }
                result.scoreErrorBound = moved / Double(nCur) / norm
            }
        }
        // PSI: Sturges bins over both sides when the reference has over 20 values, else value by value.
        if profile.points.count > 20 {
            let low = min(profile.points[0], atoms.map(\.low).min()!)
            let high = max(profile.points[profile.points.count - 1], atoms.map(\.high).max()!)
            var edges = DriftStatistics.sturgesEdges(minimum: low, maximum: high, count: nRef + nCur)
            if schema.kind == .integer, edges.count > 2, edges[1] - edges[0] < 1 {
                // NumPy widens Sturges bins of integer data to 1.
                edges = DriftStatistics.equalEdges(minimum: low, maximum: high, bins: Int((high - low).rounded(.up)))
            }
            var r = [Double](repeating: 0, count: edges.count - 1), c = r
            for (v, n) in zip(profile.points, profile.pointCounts) { r[DriftStatistics.bin(of: v, edges: edges)!] += Double(n) }
            var apportioned = false
            for atom in atoms {
                let first = DriftStatistics.bin(of: atom.low, edges: edges)!, last = DriftStatistics.bin(of: atom.high, edges: edges)!
                if first == last {
                    c[first] += atom.count
                    continue
                }
                apportioned = true
                for b in first ... last {
                    let overlap = min(atom.high, edges[b + 1]) - max(atom.low, edges[b])
                    if overlap > 0 { c[b] += atom.count * overlap / (atom.high - atom.low) }
                }
            }
            if apportioned { result.exact = false }
            result.psi = DriftStatistics.populationStabilityIndex(reference: r.map { $0 / Double(nRef) },
                                                                  current: c.map { $0 / Double(nCur) })
        } else {
            result.psi = DriftStatistics.populationStabilityIndex(reference: sides.reference.map { $0 / Double(nRef) },
                                                                  current: sides.current.map { $0 / Double(nCur) })
            if unresolved > 0 { result.exact = false }
        }
        result.psiDrifted = (result.psi ?? 0) >= options.psiThreshold
        if sides.distinct <= options.fewValues && unresolved > 0 { result.exact = false }
        if !result.exact {
            let cells = "current values summarised in cells (over \(options.exactValueLimit) values): "
                + (result.test == "wasserstein" ? "Wasserstein within the error bound" : "PSI bins apportioned")
            result.note = result.note.map { "\($0); \(cells)" } ?? cells
        }
        return result
    }

    /// The current values as `(low, high, count)` sorted by `low`: each distinct value (`low == high`)
    /// while the values are kept; else one entry per non-empty cell or outer bucket with the extremes met
    /// there (no reference value lies strictly inside one).
    static func currentAtoms(_ profile: ContinuousProfile, _ current: DriftSummary.NumberColumnSummary)
        -> [(low: Double, high: Double, count: Double)] {
        var atoms: [(low: Double, high: Double, count: Double)] = []
        if let values = current.values {
            for v in values.sorted() {
                if let last = atoms.last, last.low == v {
                    atoms[atoms.count - 1].count += 1
                } else {
                    atoms.append((v, v, 1))
                }
            }
            return atoms
        }
        let cells = current.cells
        for c in 1 ..< max(1, cells.cells.count - 1) where cells.cells[c] > 0 {
            atoms.append((cells.cellMinimum[c], cells.cellMaximum[c], Double(cells.cells[c])))
        }
        for (_, atom) in cells.outer where atom.count > 0 {
            atoms.append((atom.minimum, atom.maximum, Double(atom.count)))
        }
        return atoms.sorted { $0.low < $1.low }
    }

    private func categoryDrift(_ schema: ColumnSchema, _ profile: DiscreteProfile,
                               _ current: DiscreteColumnSummary) -> DriftReport.ColumnDrift {
        let vocabularyCount = profile.vocabulary.count
        var reference = profile.counts[0 ..< vocabularyCount].map(Double.init)
        var currentCounts = current.counts[0 ..< vocabularyCount].map(Double.init)
        for (_, n) in current.unseen.sorted(by: { $0.key < $1.key }) {
            reference.append(0)
            currentCounts.append(Double(n))
        }
        if current.pooledUnseen > 0 {
            reference.append(0)
            currentCounts.append(Double(current.pooledUnseen))
        }
        let nRef = Int(reference.reduce(0, +)), nCur = Int(currentCounts.reduce(0, +))
        var result = DriftReport.ColumnDrift(
            column: schema.name, kind: schema.kind, type: "categorical", referenceRows: nRef, currentRows: nCur,
            referenceMissing: profile.counts[vocabularyCount], currentMissing: current.counts[profile.missingCode],
            distinctValues: reference.count, test: "", score: nil, threshold: 0, drifted: false, psi: nil,
            psiDrifted: false, exact: current.pooledUnseen == 0, scoreErrorBound: nil, note: nil)
        guard nRef > 0, nCur > 0 else {
            result.note = "no present value in the \(nRef == 0 ? "reference" : "current") column: not tested"
            return result
        }
        let sides = Sides(reference: reference, current: currentCounts, distinct: reference.count)
        applyFewValuesTest(sides, small: nRef <= options.smallReferenceRows, to: &result)
        result.psi = DriftStatistics.populationStabilityIndex(reference: reference.map { $0 / Double(nRef) },
                                                              current: currentCounts.map { $0 / Double(nCur) })
        result.psiDrifted = (result.psi ?? 0) >= options.psiThreshold
        if current.pooledUnseen > 0 {
            result.note = "\(current.pooledUnseen) current values of categories beyond the first "
                + "\(options.maxUnseenCategories) unseen ones are pooled as one value"
        }
        return result
    }

    /// Value-by-value comparison: chi-square (more than two values) or Z-test on a small reference,
    /// Jensen–Shannon on a large one.
    private func applyFewValuesTest(_ sides: Sides, small: Bool, to result: inout DriftReport.ColumnDrift) {
        if small {
            let p: Double
            if sides.distinct > 2 {
                result.test = "chisquare"
                p = DriftStatistics.chiSquarePValue(reference: sides.reference, current: sides.current)
            } else {
                result.test = "z"
                p = DriftStatistics.zTestPValue(reference: sides.reference, current: sides.current)
            }
            result.score = p
            result.threshold = options.pValueThreshold
            result.drifted = p < options.pValueThreshold
        } else {
            let d = DriftStatistics.jensenShannon(sides.reference, sides.current)
            result.test = "jensenshannon"
            result.score = d
            result.threshold = options.distanceThreshold
            result.drifted = d >= options.distanceThreshold
        }
    }
}
