import Foundation
import MimeoTensor

/// Exact nearest neighbours under the referee's Euclidean distance, by blocked matrix products.
///
/// ```swift
/// let search = NearestNeighborSearch(layout: layout)
/// let result = search.run(queries: synthetic, references: train, wantsSecond: true, wantsReverse: false)
/// result.nearest[i].squareRoot()        // DCR of synthetic row i
/// ```
///
/// Blocks of `Q` query rows and `R` reference rows are written as dense Float32 features
/// (`FeatureLayout.writeDense`), and one `BLAS.sgemm` gives the tile
///
///     d̃²[i, j] = ‖q_i‖² + ‖r_j‖² − 2 q_i·r_j            [Q, R]
///
/// In Float32 this value is only approximate: it differs from the true squared distance by at most
///
///     δ_ij = 1.25 (K + 8) 2⁻²⁴ (‖q_i‖² + ‖r_j‖²)          (K = feature count)
///
/// (the standard bound `γ_K Σ|q r|` for a dot product in any summation order, plus the roundings
/// of the norms and the two additions). So the tile only screens: a reference can beat the current
/// best of query `i` only when `d̃² ≤ best + δ`, and exactly those pairs are re-measured in `Double`
/// with `FeatureLayout.exactSquaredDistance`. The results are the exact minima, with ties resolved
/// to the lowest index, whatever the block sizes.
///
/// Optionally, from the same tiles, the reverse direction: for every reference row, its nearest
/// query row (used for membership inference, which needs both directions between two samples).
struct NearestNeighborSearch: Sendable {
    /// The dense features.
    let layout: FeatureLayout
    /// Query rows per block (`Q`).
    var queryBlockRows = 1024
    /// Reference rows per block (`R`).
    var referenceBlockRows = 2048
    /// Threads scanning each tile (BLAS uses its own); `nil` = one per active processor.
    var threadCount: Int?

    init(layout: FeatureLayout, queryBlockRows: Int = 1024, referenceBlockRows: Int = 2048, threadCount: Int? = nil) {
        self.layout = layout
        self.queryBlockRows = max(1, queryBlockRows)
        self.referenceBlockRows = max(1, referenceBlockRows)
        self.threadCount = threadCount
    }

    /// Exact squared distances to the nearest neighbours.
    struct Result: Sendable, Equatable {
        /// Per query: the squared distance to the nearest reference (`+inf` with no references).
        var nearest: [Double]
        /// Per query: the index of that reference (the lowest among ties; `-1` with no references).
        var nearestIndex: [Int32]
        /// Per query, when asked for: the second smallest squared distance (equal to `nearest` when
        /// two references tie; `+inf` with fewer than two references).
        var secondNearest: [Double]
        /// Per reference, when asked for: the squared distance to the nearest query row.
        var reverseNearest: [Double]
        /// Per reference, when asked for: the index of that query row.
        var reverseNearestIndex: [Int32]
    }

    /// Finds, for every query row, its nearest (and optionally second-nearest) reference row, and
    /// optionally for every reference row its nearest query row.
    ///
    /// - Parameters:
    ///   - queries: The query rows (widths as `layout`).
    ///   - references: The reference rows.
    ///   - wantsSecond: Also find each query's second-nearest distance (for NNDR).
    ///   - wantsReverse: Also find each reference's nearest query.
    func run(queries: EncodedRows, references: EncodedRows, wantsSecond: Bool = false,
             wantsReverse: Bool = false) -> Result {
        let nq = queries.count, nr = references.count
        var result = Result(nearest: Array(repeating: .infinity, count: nq),
                            nearestIndex: Array(repeating: -1, count: nq),
                            secondNearest: wantsSecond ? Array(repeating: .infinity, count: nq) : [],
                            reverseNearest: wantsReverse ? Array(repeating: .infinity, count: nr) : [],
                            reverseNearestIndex: wantsReverse ? Array(repeating: -1, count: nr) : [])
        guard nq > 0, nr > 0 else { return result }
        precondition(queries.numericWidth == layout.hasIndicator.count
                     && queries.categoricalWidth == layout.levelCounts.count, "query widths")
        precondition(references.numericWidth == queries.numericWidth
                     && references.categoricalWidth == queries.categoricalWidth, "reference widths")

        // Dense rows carry two extra slots so that one product gives the whole squared distance:
        // [q, ‖q‖², 1] · [−2r, 1, ‖r‖²] = ‖q‖² + ‖r‖² − 2 q·r.
        let features = layout.featureCount
        let k = features + 2
        let queryNorms = layout.squaredNorms(queries)
        let referenceNorms = layout.squaredNorms(references)
        let maxQueryNorm = queryNorms.max() ?? 0, maxReferenceNorm = referenceNorms.max() ?? 0
        // |fl(a·b) − a·b| ≤ γ_k Σ|a_i b_i| ≤ γ_k (2‖q‖‖r‖ + ‖q‖² + ‖r‖²) ≤ 2 γ_k (‖q‖² + ‖r‖²), plus the
        // rounding of the norms to Float32 (2⁻²⁴ each); with margin.
        let factor = 1.25 * (2 * Double(k) + 4) * 0x1p-24
        let queryMargin = queryNorms.map { factor * ($0 + maxReferenceNorm) + 1e-30 }
        let referenceMargin = referenceNorms.map { factor * ($0 + maxQueryNorm) + 1e-30 }
        // Screening thresholds: a tile value above them cannot improve the current best.
        var queryThreshold = [Float](repeating: .infinity, count: nq)
        var referenceThreshold = [Float](repeating: wantsReverse ? .infinity : -.infinity, count: nr)

        let qb = min(queryBlockRows, nq), rb = min(referenceBlockRows, nr)
        let queryBlock = UnsafeMutablePointer<Float>.allocate(capacity: qb * k)
        let referenceBlock = UnsafeMutablePointer<Float>.allocate(capacity: rb * k)
        let tile = UnsafeMutablePointer<Float>.allocate(capacity: qb * rb)
        defer {
            queryBlock.deallocate()
            referenceBlock.deallocate()
            tile.deallocate()
        }
        /// Writes rows `range` of `rows` as augmented dense rows (`isReference`: [−2r, 1, ‖r‖²]).
        func writeAugmented(_ rows: EncodedRows, _ range: Range<Int>, norms: [Double], isReference: Bool,
                            into out: UnsafeMutablePointer<Float>) {
            let plain = UnsafeMutablePointer<Float>.allocate(capacity: max(1, range.count * features))
            defer { plain.deallocate() }
            layout.writeDense(rows, range, into: plain)
            for (i, row) in range.enumerated() {
                let source = plain + i * features, target = out + i * k
                if isReference {
                    for f in 0 ..< features { target[f] = -2 * source[f] }
                    target[features] = 1
                    target[features + 1] = Float(norms[row])
                } else {
                    target.update(from: source, count: features)
                    target[features] = Float(norms[row])
                    target[features + 1] = 1
                }
            }
        }
        let nw = queries.numericWidth, cw = queries.categoricalWidth
        let threads = max(1, threadCount ?? ProcessInfo.processInfo.activeProcessorCount)
        // Reverse state of one block's columns for each extra scanning thread.
        let spareBest = UnsafeMutablePointer<Double>.allocate(capacity: max(1, (threads - 1) * rb))
        let spareIndex = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, (threads - 1) * rb))
        let spareLimit = UnsafeMutablePointer<Float>.allocate(capacity: max(1, (threads - 1) * rb))
        defer {
            spareBest.deallocate()
            spareIndex.deallocate()
            spareLimit.deallocate()
        }

        queries.numbers.withUnsafeBufferPointer { qNumbers in
        queries.codes.withUnsafeBufferPointer { qCodes in
        references.numbers.withUnsafeBufferPointer { rNumbers in
        references.codes.withUnsafeBufferPointer { rCodes in
        result.nearest.withUnsafeMutableBufferPointer { nearest in
        result.nearestIndex.withUnsafeMutableBufferPointer { nearestIndex in
        result.secondNearest.withUnsafeMutableBufferPointer { second in
        result.reverseNearest.withUnsafeMutableBufferPointer { reverse in
        result.reverseNearestIndex.withUnsafeMutableBufferPointer { reverseIndex in
        queryThreshold.withUnsafeMutableBufferPointer { qThreshold in
        referenceThreshold.withUnsafeMutableBufferPointer { rThreshold in
        queryMargin.withUnsafeBufferPointer { qMargin in
        referenceMargin.withUnsafeBufferPointer { rMargin in
            let placeholder = UnsafeMutablePointer<Double>(bitPattern: 8)!
            let kernel = Kernel(
                layout: layout, numericWidth: nw, categoricalWidth: cw,
                queryNumbers: qNumbers.baseAddress ?? UnsafePointer(bitPattern: 8)!,
                queryCodes: qCodes.baseAddress ?? UnsafePointer(bitPattern: 8)!,
                referenceNumbers: rNumbers.baseAddress ?? UnsafePointer(bitPattern: 8)!,
                referenceCodes: rCodes.baseAddress ?? UnsafePointer(bitPattern: 8)!,
                nearest: nearest.baseAddress!, nearestIndex: nearestIndex.baseAddress!,
                second: second.baseAddress ?? placeholder, queryThreshold: qThreshold.baseAddress!,
                queryMargin: qMargin.baseAddress!, referenceMargin: rMargin.baseAddress!,
                wantsSecond: wantsSecond, wantsReverse: wantsReverse)
            let reverseBest = reverse.baseAddress ?? placeholder
            let reverseBestIndex = reverseIndex.baseAddress ?? UnsafeMutablePointer<Int32>(bitPattern: 8)!
            let reverseLimit = rThreshold.baseAddress!

            var rStart = 0
            while rStart < nr {
                let rCount = min(rb, nr - rStart)
                writeAugmented(references, rStart ..< rStart + rCount, norms: referenceNorms, isReference: true,
                               into: referenceBlock)
                var qStart = 0
                while qStart < nq {
                    let qCount = min(qb, nq - qStart)
                    writeAugmented(queries, qStart ..< qStart + qCount, norms: queryNorms, isReference: false,
                                   into: queryBlock)
                    // tile[i, j] = ‖q_i‖² + ‖r_j‖² − 2 q_i·r_j        [Q, K+2] x [R, K+2]^T -> [Q, R]
                    BLAS.sgemm(transposeB: true, m: qCount, n: rCount, k: k, alpha: 1,
                               a: queryBlock, lda: k, b: referenceBlock, ldb: k, beta: 0, c: tile, ldc: rCount)
                    let parts = min(threads, max(1, qCount / 32))
                    if parts == 1 {
                        kernel.scan(tile: tile, columns: rCount, firstReference: rStart, firstQuery: qStart,
                                    rows: 0 ..< qCount, reverseBest: reverseBest + rStart,
                                    reverseIndex: reverseBestIndex + rStart, reverseLimit: reverseLimit + rStart)
                    } else {
                        // Query rows split between threads (forward state is per row); each extra thread
                        // keeps its own reverse state for this block's columns, merged after.
                        if wantsReverse {
                            for t in 1 ..< parts {
                                let offset = (t - 1) * rb
                                (spareBest + offset).update(from: reverseBest + rStart, count: rCount)
                                (spareIndex + offset).update(from: reverseBestIndex + rStart, count: rCount)
                                (spareLimit + offset).update(from: reverseLimit + rStart, count: rCount)
                            }
                        }
                        let shared = SharedPointers(tile: tile, spareBest: spareBest, spareIndex: spareIndex,
                                                    spareLimit: spareLimit, reverseBest: reverseBest,
                                                    reverseIndex: reverseBestIndex, reverseLimit: reverseLimit)
                        let firstReference = rStart, firstQuery = qStart
                        DispatchQueue.concurrentPerform(iterations: parts) { t in
                            let rows = (qCount * t / parts) ..< (qCount * (t + 1) / parts)
                            let offset = (t - 1) * rb
                            kernel.scan(tile: shared.tile, columns: rCount, firstReference: firstReference,
                                        firstQuery: firstQuery, rows: rows,
                                        reverseBest: t == 0 ? shared.reverseBest + firstReference : shared.spareBest + offset,
                                        reverseIndex: t == 0 ? shared.reverseIndex + firstReference
                                            : shared.spareIndex + offset,
                                        reverseLimit: t == 0 ? shared.reverseLimit + firstReference
                                            : shared.spareLimit + offset)
                        }
                        if wantsReverse {
                            // Later threads hold later query rows: they win only when strictly closer.
                            for t in 1 ..< parts {
                                let offset = (t - 1) * rb
                                for j in 0 ..< rCount where spareBest[offset + j] < reverseBest[rStart + j] {
                                    reverseBest[rStart + j] = spareBest[offset + j]
                                    reverseBestIndex[rStart + j] = spareIndex[offset + j]
                                    reverseLimit[rStart + j] = spareLimit[offset + j]
                                }
                            }
                        }
                    }
                    qStart += qCount
                }
                rStart += rCount
            }
        }}}}}}}}}}}}}
        return result
    }

    /// The pointers the scanning threads share (each thread touches its own rows and spare columns).
    private struct SharedPointers: @unchecked Sendable {
        let tile: UnsafeMutablePointer<Float>
        let spareBest: UnsafeMutablePointer<Double>
        let spareIndex: UnsafeMutablePointer<Int32>
        let spareLimit: UnsafeMutablePointer<Float>
        let reverseBest: UnsafeMutablePointer<Double>
        let reverseIndex: UnsafeMutablePointer<Int32>
        let reverseLimit: UnsafeMutablePointer<Float>
    }

    /// The screening and exact re-measuring of one tile's rows.
    private struct Kernel: @unchecked Sendable {
        let layout: FeatureLayout
        let numericWidth: Int
        let categoricalWidth: Int
        let queryNumbers: UnsafePointer<Float>
        let queryCodes: UnsafePointer<Int32>
        let referenceNumbers: UnsafePointer<Float>
        let referenceCodes: UnsafePointer<Int32>
        let nearest: UnsafeMutablePointer<Double>
        let nearestIndex: UnsafeMutablePointer<Int32>
        let second: UnsafeMutablePointer<Double>
        let queryThreshold: UnsafeMutablePointer<Float>
        let queryMargin: UnsafePointer<Double>
        let referenceMargin: UnsafePointer<Double>
        let wantsSecond: Bool
        let wantsReverse: Bool

        /// Scans tile rows `rows` (query `firstQuery + i`, reference `firstReference + j`); the reverse
        /// state of this block's columns is at `reverseBest[j]`, `reverseIndex[j]`, `reverseLimit[j]`.
        func scan(tile: UnsafeMutablePointer<Float>, columns: Int, firstReference: Int, firstQuery: Int,
                  rows: Range<Int>, reverseBest: UnsafeMutablePointer<Double>, reverseIndex: UnsafeMutablePointer<Int32>,
                  reverseLimit: UnsafeMutablePointer<Float>) {
            let nw = numericWidth, cw = categoricalWidth
            for i in rows {
                let q = firstQuery + i
                let row = UnsafePointer(tile + i * columns)
                /// Re-measures pair (q, j) exactly and updates both directions; returns q's new limit.
                let visit = { (j: Int) -> Float in
                    let r = firstReference + j
                    let exact = layout.exactSquaredDistance(
                        queryNumbers + q * nw, queryCodes + q * cw, referenceNumbers + r * nw,
                        referenceCodes + r * cw, numericWidth: nw, categoricalWidth: cw)
                    if exact < nearest[q] {
                        if wantsSecond { second[q] = nearest[q] }
                        nearest[q] = exact
                        nearestIndex[q] = Int32(r)
                    } else if wantsSecond, exact < second[q] {
                        second[q] = exact
                    }
                    let bound = wantsSecond ? second[q] : nearest[q]
                    if bound.isFinite { queryThreshold[q] = NearestNeighborSearch.roundedUp(bound + queryMargin[q]) }
                    if wantsReverse, exact < reverseBest[j] {
                        reverseBest[j] = exact
                        reverseIndex[j] = Int32(q)
                        reverseLimit[j] = NearestNeighborSearch.roundedUp(exact + referenceMargin[r])
                    }
                    return queryThreshold[q]
                }
                NearestNeighborSearch.scan(row, count: columns, limit: queryThreshold[q],
                                           columnLimits: wantsReverse ? UnsafePointer(reverseLimit) : nil, visit: visit)
            }
        }
    }

    /// Calls `visit(j)` for every `j < count` with `row[j] <= limit` or `row[j] <= columnLimits[j]`,
    /// in increasing `j`; `visit` returns the new (lower or equal) `limit`.
    ///
    /// Runs of 256 values are first counted without branches (a loop the compiler vectorises); only
    /// a run with a candidate is walked one value at a time.
    @inline(__always)
    static func scan(_ row: UnsafePointer<Float>, count: Int, limit: Float, columnLimits: UnsafePointer<Float>?,
                     visit: (Int) -> Float) {
        var limit = limit
        var start = 0
        while start < count {
            let end = min(start + 256, count)
            var hits = 0
            if let columnLimits {
                for j in start ..< end {
                    hits &+= (row[j] <= limit ? 1 : 0) | (row[j] <= columnLimits[j] ? 1 : 0)
                }
                if hits > 0 {
                    for j in start ..< end where row[j] <= limit || row[j] <= columnLimits[j] { limit = visit(j) }
                }
            } else {
                for j in start ..< end { hits &+= row[j] <= limit ? 1 : 0 }
                if hits > 0 {
                    for j in start ..< end where row[j] <= limit { limit = visit(j) }
                }
            }
            start = end
        }
    }

    /// The smallest Float32 at or above `x`.
    @inline(__always)
    static func roundedUp(_ x: Double) -> Float {
        let f = Float(x)
        return Double(f) >= x ? f : f.nextUp
    }
}
