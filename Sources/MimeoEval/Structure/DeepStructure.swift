import Foundation
import MimeoData
import MimeoTensor

/// The result of `DeepStructure.compute`.
public struct DeepStructureReport: Codable, Sendable, Equatable {
    /// `exp(-1.6 · mean JS distance)`: 1 when the synthetic rows spread along the real table's main
    /// directions exactly as the real rows do, towards 0 as the projections stop overlapping; nil
    /// when nothing could be compared (no feature, or fewer than two rows on a side: `note`).
    public var score: Double?
    /// Why there is no score, when there is none.
    public var note: String?
    /// The Jensen–Shannon distance (base 2, in 0...1) of real vs synthetic along each component.
    public var componentDistances: [Double]
    /// The share of the joint variance each component explains.
    public var explainedVariance: [Double]
    /// The number of encoded features the PCA ran on.
    public var featureCount: Int
    /// Rows of each table used (sampled).
    public var realRows: Int
    public var syntheticRows: Int
    /// Rows used with a number or datetime cell that does not parse: left out of the PCA, and
    /// counted in a histogram bin of their own on every component (so that on the synthetic side
    /// they are mismatches).
    public var realUnparseableRows: Int = 0
    public var syntheticUnparseableRows: Int = 0
}

/// Deep structure similarity, after Gretel's "deep structure stability": a principal component analysis
/// of the real and synthetic rows together, then, along each of the first components, how much the
/// distribution of real projections differs from that of synthetic ones (Jensen–Shannon distance on
/// 20 shared bins). Column-by-column scores miss a table whose columns are each right but combine
/// wrongly; the main components of the joint table do not.
///
/// Encoding (fitted on the real sample): numbers and datetimes (epoch seconds) standardised by the
/// real mean and standard deviation, missing values at the mean plus an indicator feature; categories
/// one-hot over their 20 most frequent real levels (others share one feature), each feature
/// standardised too. Identifier and text columns are left out. Rows beyond `maxRows` per table are
/// sampled with a seeded generator. A row with a number or datetime cell that does not parse is
/// left out of the PCA and put in a histogram bin of its own on every component.
public enum DeepStructure {
    public static let name = "DeepStructureSimilarity"
    public static let goal = MetricGoal.maximize
    /// `exp(-1.6 · d)` with the distance `d` in 0...1.
    public static let range: ClosedRange<Double> = exp(-1.6)...1

    /// Computes the score.
    ///
    /// - Parameters:
    ///   - components: How many principal components to compare (fewer if there are fewer features).
    ///   - maxRows: At most this many rows of each table are used.
    /// - Throws: `EvaluationError.missingColumn` when a schema column is absent from a table.
    public static func compute(real: Table, synthetic: Table, schema: Schema, components: Int = 5,
                               maxRows: Int = 5000, seed: UInt64 = 0) throws -> DeepStructureReport {
        let columns = schema.columns.filter { $0.kind != .identifier && $0.kind != .text }
        let sampledReal = sampleRows(real.rowCount, maxRows: maxRows, seed: seed, stream: 1)
        let sampledSynthetic = sampleRows(synthetic.rowCount, maxRows: maxRows, seed: seed, stream: 2)
        var positions: [(real: Int, synthetic: Int, parser: CellParser?)] = []
        for column in columns {
            guard let r = real.columnIndex(named: column.name) else {
                throw EvaluationError.missingColumn(column.name, table: "real")
            }
            guard let s = synthetic.columnIndex(named: column.name) else {
                throw EvaluationError.missingColumn(column.name, table: "synthetic")
            }
            let parser = column.kind == .integer || column.kind == .decimal || column.kind == .datetime
                ? try CellParser(kind: column.kind, format: column.format) : nil
            positions.append((r, s, parser))
        }
        // Rows with an unparseable number or datetime cell stay out of the PCA.
        func parseable(_ table: Table, _ row: Int, isReal: Bool) -> Bool {
            positions.allSatisfy { position in
                guard let parser = position.parser else { return true }
                let cell = table.columns[isReal ? position.real : position.synthetic][row]
                return !CellParser.isUnparseable(cell, value: parser.value(cell))
            }
        }
        let realRows = sampledReal.filter { parseable(real, $0, isReal: true) }
        let syntheticRows = sampledSynthetic.filter { parseable(synthetic, $0, isReal: false) }
        let realUnparseable = sampledReal.count - realRows.count
        let syntheticUnparseable = sampledSynthetic.count - syntheticRows.count
        var realFeatures: [[Double]] = []       // per feature, values of the real sample
        var syntheticFeatures: [[Double]] = []
        for (column, position) in zip(columns, positions) {
            let realCells = realRows.map { real.columns[position.real][$0] }
            let syntheticCells = syntheticRows.map { synthetic.columns[position.synthetic][$0] }
            switch column.kind {
            case .integer, .decimal, .datetime:
                let parser = position.parser!
                let scale = parser.isDateTime ? 1e-9 : 1  // datetimes in seconds
                func number(_ cell: String?) -> Double? {
                    let value = parser.value(cell)
                    return value.isNaN ? nil : value * scale
                }
                let realValues = realCells.map(number), syntheticValues = syntheticCells.map(number)
                let present = realValues.compactMap { $0 }
                let mean = present.isEmpty ? 0 : present.reduce(0, +) / Double(present.count)
                realFeatures.append(realValues.map { $0 ?? mean })
                syntheticFeatures.append(syntheticValues.map { $0 ?? mean })
                if realValues.contains(where: { $0 == nil }) || syntheticValues.contains(where: { $0 == nil }) {
                    realFeatures.append(realValues.map { $0 == nil ? 1 : 0 })
                    syntheticFeatures.append(syntheticValues.map { $0 == nil ? 1 : 0 })
                }
            case .boolean, .categorical:
                var counts: [String: Int] = [:]
                for cell in realCells { counts[cell ?? "\u{0}missing", default: 0] += 1 }
                let levels = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
                    .prefix(20).map(\.key)
                for level in levels {
                    realFeatures.append(realCells.map { ($0 ?? "\u{0}missing") == level ? 1 : 0 })
                    syntheticFeatures.append(syntheticCells.map { ($0 ?? "\u{0}missing") == level ? 1 : 0 })
                }
                if counts.count > levels.count {
                    let kept = Set(levels)
                    realFeatures.append(realCells.map { kept.contains($0 ?? "\u{0}missing") ? 0 : 1 })
                    syntheticFeatures.append(syntheticCells.map { kept.contains($0 ?? "\u{0}missing") ? 0 : 1 })
                }
            case .identifier, .text:
                break
            }
        }
        // Standardise by the real sample; drop constant features.
        var kept: [Int] = []
        for f in realFeatures.indices {
            let values = realFeatures[f]
            let mean = values.reduce(0, +) / Double(max(values.count, 1))
            let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(values.count, 1))
            guard variance > 1e-12 else { continue }
            let deviation = variance.squareRoot()
            realFeatures[f] = values.map { ($0 - mean) / deviation }
            syntheticFeatures[f] = syntheticFeatures[f].map { ($0 - mean) / deviation }
            kept.append(f)
        }
        let F = kept.count, nR = realRows.count, nS = syntheticRows.count, n = nR + nS
        func notMeasured(_ note: String) -> DeepStructureReport {
            DeepStructureReport(score: nil, note: note, componentDistances: [], explainedVariance: [], featureCount: F,
                                realRows: sampledReal.count, syntheticRows: sampledSynthetic.count,
                                realUnparseableRows: realUnparseable, syntheticUnparseableRows: syntheticUnparseable)
        }
        guard sampledReal.count > 1, sampledSynthetic.count > 1 else {
            return notMeasured("not measured: fewer than two rows in the real or the synthetic table")
        }
        guard !columns.isEmpty else {
            return notMeasured("not measured: no number, datetime, categorical or boolean column to compare")
        }
        guard nR > 1 else { return notMeasured("not measured: fewer than two real rows parse in every column") }
        guard F > 0 else { return notMeasured("not measured: every feature is constant in the real rows") }
        // Joint matrix Z [n, F], centred by the joint mean.
        var Z = [Float](repeating: 0, count: n * F)
        for (j, f) in kept.enumerated() {
            let mean = (realFeatures[f].reduce(0, +) + syntheticFeatures[f].reduce(0, +)) / Double(n)
            for i in 0..<nR { Z[i * F + j] = Float(realFeatures[f][i] - mean) }
            for i in 0..<nS { Z[(nR + i) * F + j] = Float(syntheticFeatures[f][i] - mean) }
        }
        // Covariance C = Zᵀ Z / n  [F, F].
        var C = [Float](repeating: 0, count: F * F)
        Z.withUnsafeBufferPointer { z in
            C.withUnsafeMutableBufferPointer { c in
                BLAS.sgemm(transposeA: true, m: F, n: F, k: n, alpha: 1 / Float(n), a: z.baseAddress!, lda: F,
                           b: z.baseAddress!, ldb: F, c: c.baseAddress!, ldc: F)
            }
        }
        let covariance = C.map(Double.init)
        let total = (0..<F).reduce(0.0) { $0 + covariance[$1 * F + $1] }
        let (vectors, values) = topEigenvectors(covariance, size: F, count: min(components, F), seed: seed)
        var distances: [Double] = []
        for vector in vectors {
            var projections = [Double](repeating: 0, count: n)
            for i in 0..<n {
                var sum = 0.0
                for j in 0..<F { sum += Double(Z[i * F + j]) * vector[j] }
                projections[i] = sum
            }
            distances.append(jensenShannonDistance(Array(projections[0..<nR]), Array(projections[nR...]), bins: 20,
                                                   pOutside: realUnparseable, qOutside: syntheticUnparseable))
        }
        let meanDistance = distances.isEmpty ? 0 : distances.reduce(0, +) / Double(distances.count)
        return DeepStructureReport(score: exp(-1.6 * meanDistance), componentDistances: distances,
                                   explainedVariance: values.map { total > 0 ? $0 / total : 0 }, featureCount: F,
                                   realRows: sampledReal.count, syntheticRows: sampledSynthetic.count,
                                   realUnparseableRows: realUnparseable, syntheticUnparseableRows: syntheticUnparseable)
    }

    /// Row indices: all rows, or `maxRows` drawn without replacement (seeded), in ascending order.
    static func sampleRows(_ count: Int, maxRows: Int, seed: UInt64, stream: UInt64) -> [Int] {
        guard count > maxRows else { return Array(0..<count) }
        var random = RandomStream(seed: seed, stream: stream)
        var indices = Array(0..<count)
        for i in 0..<maxRows { indices.swapAt(i, i + random.nextInt(below: count - i)) }
        return indices.prefix(maxRows).sorted()
    }

    /// The `count` leading eigenvectors of a symmetric matrix, by power iteration with deflation.
    static func topEigenvectors(_ matrix: [Double], size F: Int, count: Int, seed: UInt64) -> ([[Double]], [Double]) {
        var a = matrix
        var vectors: [[Double]] = [], values: [Double] = []
        var random = RandomStream(seed: seed, stream: 3)
        for _ in 0..<count {
            var v = (0..<F).map { _ in Double(random.nextNormal()) }
            var eigenvalue = 0.0
            for _ in 0..<500 {
                var w = [Double](repeating: 0, count: F)
                for i in 0..<F {
                    var sum = 0.0
                    for j in 0..<F { sum += a[i * F + j] * v[j] }
                    w[i] = sum
                }
                let norm = w.reduce(0) { $0 + $1 * $1 }.squareRoot()
                guard norm > 1e-12 else { break }
                let next = w.map { $0 / norm }
                let change = zip(next, v).reduce(0) { $0 + abs($1.0 - $1.1) }
                v = next
                eigenvalue = norm
                if change < 1e-10 { break }
            }
            vectors.append(v)
            values.append(eigenvalue)
            for i in 0..<F { for j in 0..<F { a[i * F + j] -= eigenvalue * v[i] * v[j] } }
        }
        return (vectors, values)
    }

    /// The Jensen–Shannon distance (square root of the base-2 divergence, in 0...1) of two samples'
    /// histograms on `bins` equal-width bins over their joint range, plus one more bin holding
    /// `pOutside` and `qOutside` values that have no position (rows that do not parse).
    public static func jensenShannonDistance(_ p: [Double], _ q: [Double], bins: Int, pOutside: Int = 0,
                                             qOutside: Int = 0) -> Double {
        let low = min(p.min() ?? 0, q.min() ?? 0), high = max(p.max() ?? 0, q.max() ?? 0)
        let pTotal = p.count + pOutside, qTotal = q.count + qOutside
        guard pTotal > 0, qTotal > 0 else { return 0 }
        func histogram(_ values: [Double], outside: Int, total: Int) -> [Double] {
            var counts = [Double](repeating: 0, count: bins + 1)
            for value in values {
                counts[high > low ? min(bins - 1, Int((value - low) / (high - low) * Double(bins))) : 0] += 1
            }
            counts[bins] = Double(outside)
            return counts.map { $0 / Double(total) }
        }
        let hp = histogram(p, outside: pOutside, total: pTotal), hq = histogram(q, outside: qOutside, total: qTotal)
        var divergence = 0.0
        for b in 0...bins {
            let m = (hp[b] + hq[b]) / 2
            if hp[b] > 0 { divergence += 0.5 * hp[b] * log2(hp[b] / m) }
            if hq[b] > 0 { divergence += 0.5 * hq[b] * log2(hq[b] / m) }
        }
        return max(0, min(1, divergence)).squareRoot()
    }
}
