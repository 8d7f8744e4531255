import Foundation

/// Gradient-boosted decision trees on histograms, in the manner of LightGBM: features cut into at
/// most `maxBins` bins, trees grown leaf-wise (always splitting the leaf with the largest gain) up
/// to `maxLeaves` leaves, Newton leaf values shrunk by the learning rate. Deterministic (no
/// sampling).
///
///     gain(split) = G_L²/(H_L + λ) + G_R²/(H_R + λ) − G²/(H + λ)       leaf value = −η G/(H + λ)
///
/// with `G`, `H` the sums of first and second derivatives of the loss over a node's rows: logistic
/// loss for two classes, softmax cross-entropy (one tree per class and round) for more, squared
/// error for numbers. The first score is the log-odds, class log-shares or mean of the targets.
///
/// Rows come as `SparseDesign` rows: a feature a row has no slot for is 0 (an unkept category
/// level); its histogram bin is filled by subtraction from the node totals, so a histogram costs
/// one pass over the non-zero slots of the node's rows, and the larger child of a split is its
/// parent minus the smaller child.
///
/// ```swift
/// let model = GradientBoostedTrees.fitClassifier(design, classes: y, classCount: 2, parameters: .init())
/// let p = model.probabilities(holdout)      // [rows][2]
/// ```
public enum GradientBoostedTrees {
    /// The settings (defaults: the referee's LightGBM settings and LightGBM's defaults).
    public struct Parameters: Codable, Sendable, Equatable {
        /// Boosting rounds.
        public var treeCount = 300
        /// The shrinkage `η` of each tree's values.
        public var learningRate = 0.05
        /// Leaves per tree at most.
        public var maxLeaves = 31
        /// Bins per feature at most.
        public var maxBins = 255
        /// Rows per leaf at least.
        public var minRowsInLeaf = 20
        /// Sum of second derivatives per leaf at least.
        public var minHessianInLeaf = 1e-3
        /// The L2 penalty `λ` on leaf values.
        public var l2 = 0.0

        public init() {}
    }

    /// A trained ensemble.
    struct Model: Sendable {
        enum Kind: Sendable { case binary, multiclass(Int), regression }

        let kind: Kind
        let binning: Binning
        let initialScores: [Double]
        /// `trees[round * outputs + output]`.
        let trees: [Tree]

        var outputs: Int {
            if case .multiclass(let k) = kind { return k }
            return 1
        }

        /// Raw scores `[rows][outputs]`.
        func rawScores(_ design: SparseDesign) -> [[Double]] {
            let binned = binning.bin(design)
            return (0 ..< design.rowCount).map { row in
                var scores = initialScores
                for (t, tree) in trees.enumerated() { scores[t % outputs] += tree.value(binned, row: row) }
                return scores
            }
        }

        /// Class probabilities `[rows][classes]` (classification).
        func probabilities(_ design: SparseDesign) -> [[Double]] {
            rawScores(design).map { scores in
                switch kind {
                case .binary:
                    let p = LogisticRegression.sigmoid(scores[0])
                    return [1 - p, p]
                case .multiclass:
                    return GradientBoostedTrees.softmax(scores)
                case .regression:
                    return scores
                }
            }
        }

        /// Predictions (regression).
        func predictions(_ design: SparseDesign) -> [Double] {
            rawScores(design).map { $0[0] }
        }
    }

    /// One tree: internal nodes test `bin(feature) <= threshold` (left) and leaves hold values.
    struct Tree: Sendable {
        struct Node: Sendable {
            var feature: Int32 = -1
            var threshold: UInt16 = 0
            var left: Int32 = -1
            var right: Int32 = -1
            var value = 0.0
        }

        var nodes: [Node]

        func value(_ binned: BinnedRows, row: Int) -> Double {
            var n = 0
            while nodes[n].feature >= 0 {
                let node = nodes[n]
                n = Int(binned.bin(row: row, feature: Int(node.feature)) <= node.threshold ? node.left : node.right)
            }
            return nodes[n].value
        }
    }

    /// Bin edges per feature, from training values.
    struct Binning: Sendable {
        /// Upper edges: value `x` is in the first bin `b` with `x <= edges[f][b]` (the last bin is unbounded).
        let edges: [[Double]]
        /// The bin of 0 (the value of a feature a row has no slot for).
        let defaultBins: [UInt16]

        init(_ design: SparseDesign, maxBins: Int) {
            let p = design.featureCount, n = design.rowCount
            var values = [[Double]](repeating: [], count: p)
            var present = [Int](repeating: 0, count: p)
            for i in 0 ..< design.features.count where design.features[i] >= 0 {
                let f = Int(design.features[i])
                values[f].append(design.values[i])
                present[f] += 1
            }
            var edges: [[Double]] = [], defaults: [UInt16] = []
            for f in 0 ..< p {
                var column = values[f]
                column.append(contentsOf: repeatElement(0, count: n - present[f]))
                column.sort()
                var distinct: [(value: Double, count: Int)] = []
                for x in column {
                    if let last = distinct.last, last.value == x {
                        distinct[distinct.count - 1].count += 1
                    } else {
                        distinct.append((x, 1))
                    }
                }
                var cuts: [Double] = []
                if distinct.count <= maxBins {
                    for i in 0 ..< max(0, distinct.count - 1) { cuts.append((distinct[i].value + distinct[i + 1].value) / 2) }
                } else {
                    // Equal-count bins over the distinct values (a value never straddles two bins).
                    let perBin = Double(column.count) / Double(maxBins)
                    var cumulative = 0, next = perBin
                    for i in 0 ..< distinct.count - 1 {
                        cumulative += distinct[i].count
                        if Double(cumulative) >= next {
                            cuts.append((distinct[i].value + distinct[i + 1].value) / 2)
                            next = Double(cumulative) + perBin
                            if cuts.count == maxBins - 1 { break }
                        }
                    }
                }
                edges.append(cuts)
                defaults.append(Self.bin(0, cuts))
            }
            self.edges = edges
            defaultBins = defaults
        }

        @inline(__always)
        static func bin(_ x: Double, _ cuts: [Double]) -> UInt16 {
            var low = 0, high = cuts.count
            while low < high {
                let mid = (low + high) / 2
                if x <= cuts[mid] { high = mid } else { low = mid + 1 }
            }
            return UInt16(low)
        }

        func binCount(_ f: Int) -> Int { edges[f].count + 1 }

        func bin(_ design: SparseDesign) -> BinnedRows {
            var bins = [UInt16](repeating: 0, count: design.features.count)
            for i in 0 ..< design.features.count where design.features[i] >= 0 {
                bins[i] = Self.bin(design.values[i], edges[Int(design.features[i])])
            }
            return BinnedRows(width: design.width, features: design.features, bins: bins, defaultBins: defaultBins)
        }
    }

    /// Rows as `(feature, bin)` slots.
    struct BinnedRows: Sendable {
        let width: Int
        let features: [Int32]
        let bins: [UInt16]
        let defaultBins: [UInt16]
        /// The one slot a feature ever occupies (a number's slot, or its category's), or `-1` when it
        /// occupies several (then rows are searched).
        let slotOfFeature: [Int]

        init(width: Int, features: [Int32], bins: [UInt16], defaultBins: [UInt16]) {
            self.width = width
            self.features = features
            self.bins = bins
            self.defaultBins = defaultBins
            var slots = [Int](repeating: -2, count: defaultBins.count)  // -2: not seen yet
            for (i, f) in features.enumerated() where f >= 0 {
                let s = i % max(width, 1)
                if slots[Int(f)] == -2 { slots[Int(f)] = s } else if slots[Int(f)] != s { slots[Int(f)] = -1 }
            }
            slotOfFeature = slots.map { $0 == -2 ? 0 : $0 }  // a feature never present: any slot misses it
        }

        @inline(__always)
        func bin(row: Int, feature: Int) -> UInt16 {
            let base = row * width
            let slot = slotOfFeature[feature]
            if slot >= 0 {
                return features[base + slot] == Int32(feature) ? bins[base + slot] : defaultBins[feature]
            }
            for s in 0 ..< width where features[base + s] == Int32(feature) { return bins[base + s] }
            return defaultBins[feature]
        }
    }

    // MARK: - Fitting

    /// Fits a classifier of `classes` (indices `0..<classCount`).
    static func fitClassifier(_ design: SparseDesign, classes: [Int], classCount: Int, parameters: Parameters) -> Model {
        let n = design.rowCount
        if classCount == 2 {
            let y = classes.map { Double($0) }
            let mean = min(max(y.reduce(0, +) / Double(max(n, 1)), 1e-12), 1 - 1e-12)
            return boost(design, kind: .binary, initial: [log(mean / (1 - mean))], parameters: parameters) {
                scores, output, g, h in
                for i in 0 ..< n {
                    let p = LogisticRegression.sigmoid(scores[i])
                    g[i] = p - y[i]
                    h[i] = max(p * (1 - p), 1e-16)
                }
            }
        }
        let k = classCount
        var counts = [Double](repeating: 0, count: k)
        for c in classes { counts[c] += 1 }
        let initial = counts.map { log(max($0, 1e-12) / Double(max(n, 1))) }
        let factor = Double(k) / Double(max(k - 1, 1))
        return boost(design, kind: .multiclass(k), initial: initial, parameters: parameters) { scores, output, g, h in
            // scores holds all outputs: scores[i * k + c].
            for i in 0 ..< n {
                let p = softmax(Array(scores[i * k ..< (i + 1) * k]))[output]
                g[i] = p - (classes[i] == output ? 1 : 0)
                h[i] = max(factor * p * (1 - p), 1e-16)
            }
        }
    }

    /// Fits a regressor of `targets` (squared error).
    static func fitRegressor(_ design: SparseDesign, targets: [Double], parameters: Parameters) -> Model {
        let n = design.rowCount
        let mean = targets.reduce(0, +) / Double(max(n, 1))
        return boost(design, kind: .regression, initial: [mean], parameters: parameters) { scores, _, g, h in
            for i in 0 ..< n {
                g[i] = scores[i] - targets[i]
                h[i] = 1
            }
        }
    }

    static func softmax(_ scores: [Double]) -> [Double] {
        let top = scores.max() ?? 0
        let e = scores.map { exp($0 - top) }
        let sum = e.reduce(0, +)
        return e.map { $0 / sum }
    }

    /// The boosting loop. `derivatives(scores, output, &g, &h)` fills the first and second
    /// derivatives of the loss for `output` from the current raw scores (`scores[i * outputs + o]`).
    private static func boost(_ design: SparseDesign, kind: Model.Kind, initial: [Double], parameters: Parameters,
                              derivatives: ([Double], Int, inout [Double], inout [Double]) -> Void) -> Model {
        let n = design.rowCount, outputs = initial.count
        let binning = Binning(design, maxBins: max(2, min(parameters.maxBins, Int(UInt16.max))))
        let binned = binning.bin(design)
        var scores = [Double](repeating: 0, count: n * outputs)
        for i in 0 ..< n { for o in 0 ..< outputs { scores[i * outputs + o] = initial[o] } }
        var g = [Double](repeating: 0, count: n), h = [Double](repeating: 0, count: n)
        var trees: [Tree] = []
        let grower = TreeGrower(binning: binning, binned: binned, parameters: parameters)
        for _ in 0 ..< parameters.treeCount {
            // Derivatives of every output from the scores before this round.
            var roundG: [[Double]] = [], roundH: [[Double]] = []
            for o in 0 ..< outputs {
                derivatives(scores, o, &g, &h)
                roundG.append(g)
                roundH.append(h)
            }
            for o in 0 ..< outputs {
                let (tree, leafOfRow) = grower.grow(g: roundG[o], h: roundH[o])
                for i in 0 ..< n { scores[i * outputs + o] += tree.nodes[leafOfRow[i]].value }
                trees.append(tree)
            }
        }
        return Model(kind: kind, binning: binning, initialScores: initial, trees: trees)
    }

    /// Grows one tree leaf-wise on histograms.
    private struct TreeGrower {
        let binning: Binning
        let binned: BinnedRows
        let parameters: Parameters
        /// The first histogram slot of each feature.
        let offsets: [Int]
        let totalBins: Int

        /// `columnBins[f * rows + row]`: every row's bin of every feature (column-major, for the
        /// partition of a node's rows), when that fits in `maxColumnBins`; else empty.
        let columnBins: [UInt16]
        let rowCount: Int
        static let maxColumnBins = 1 << 28

        init(binning: Binning, binned: BinnedRows, parameters: Parameters) {
            self.binning = binning
            self.binned = binned
            self.parameters = parameters
            var offsets: [Int] = [], total = 0
            for f in binning.edges.indices {
                offsets.append(total)
                total += binning.binCount(f)
            }
            self.offsets = offsets
            totalBins = total
            let p = binning.edges.count, n = binned.width == 0 ? 0 : binned.features.count / binned.width
            rowCount = n
            if p * n <= Self.maxColumnBins {
                var columns = [UInt16](repeating: 0, count: p * n)
                for f in 0 ..< p { for row in 0 ..< n { columns[f * n + row] = binning.defaultBins[f] } }
                for i in 0 ..< binned.features.count where binned.features[i] >= 0 {
                    columns[Int(binned.features[i]) * n + i / binned.width] = binned.bins[i]
                }
                columnBins = columns
            } else {
                columnBins = []
            }
        }

        struct Histogram {
            var g: [Double]
            var h: [Double]
            var count: [Int]
        }

        struct Split {
            var gain = 0.0
            var feature = -1
            var threshold = 0
        }

        struct Leaf {
            var node: Int
            var rows: [Int]
            var sumG: Double
            var sumH: Double
            var histogram: Histogram
            var split: Split
        }

        func histogram(_ rows: [Int], g: [Double], h: [Double], sumG: Double, sumH: Double) -> Histogram {
            var hist = Histogram(g: Array(repeating: 0, count: totalBins), h: Array(repeating: 0, count: totalBins),
                                 count: Array(repeating: 0, count: totalBins))
            let width = binned.width
            binned.features.withUnsafeBufferPointer { features in
            binned.bins.withUnsafeBufferPointer { bins in
            offsets.withUnsafeBufferPointer { offsets in
            g.withUnsafeBufferPointer { g in
            h.withUnsafeBufferPointer { h in
            hist.g.withUnsafeMutableBufferPointer { hg in
            hist.h.withUnsafeMutableBufferPointer { hh in
            hist.count.withUnsafeMutableBufferPointer { hc in
                for row in rows {
                    let gi = g[row], hi = h[row]
                    let base = row * width
                    for s in 0 ..< width {
                        let f = Int(features[base + s])
                        if f < 0 { continue }
                        let slot = offsets[f] + Int(bins[base + s])
                        hg[slot] += gi
                        hh[slot] += hi
                        hc[slot] += 1
                    }
                }
            }}}}}}}}
            // Rows without a slot for a feature are in its default bin.
            for f in offsets.indices {
                var sg = 0.0, sh = 0.0, sc = 0
                for b in offsets[f] ..< offsets[f] + binning.binCount(f) {
                    sg += hist.g[b]
                    sh += hist.h[b]
                    sc += hist.count[b]
                }
                let d = offsets[f] + Int(binning.defaultBins[f])
                hist.g[d] += sumG - sg
                hist.h[d] += sumH - sh
                hist.count[d] += rows.count - sc
            }
            return hist
        }

        func bestSplit(_ hist: Histogram, sumG: Double, sumH: Double, count: Int) -> Split {
            let lambda = parameters.l2, minRows = parameters.minRowsInLeaf, minH = parameters.minHessianInLeaf
            let parentScore = sumG * sumG / (sumH + lambda)
            var best = Split()
            for f in offsets.indices {
                var gl = 0.0, hl = 0.0, cl = 0
                let start = offsets[f], bins = binning.binCount(f)
                for b in 0 ..< bins - 1 {
                    gl += hist.g[start + b]
                    hl += hist.h[start + b]
                    cl += hist.count[start + b]
                    let cr = count - cl
                    if cl < minRows || hl < minH { continue }
                    if cr < minRows { break }
                    let gr = sumG - gl, hr = sumH - hl
                    if hr < minH { continue }
                    let gain = gl * gl / (hl + lambda) + gr * gr / (hr + lambda) - parentScore
                    if gain > best.gain + 1e-12 { best = Split(gain: gain, feature: f, threshold: b) }
                }
            }
            return best
        }

        /// The tree, and the node index of each training row's leaf.
        func grow(g: [Double], h: [Double]) -> (Tree, [Int]) {
            let n = g.count
            var nodes = [Tree.Node()]
            let all = Array(0 ..< n)
            let sumG = g.reduce(0, +), sumH = h.reduce(0, +)
            let rootHistogram = histogram(all, g: g, h: h, sumG: sumG, sumH: sumH)
            var leaves = [Leaf(node: 0, rows: all, sumG: sumG, sumH: sumH, histogram: rootHistogram,
                               split: bestSplit(rootHistogram, sumG: sumG, sumH: sumH, count: n))]
            while leaves.count < parameters.maxLeaves {
                guard let index = leaves.indices.max(by: { leaves[$0].split.gain < leaves[$1].split.gain }),
                      leaves[index].split.feature >= 0, leaves[index].split.gain > 0 else { break }
                let leaf = leaves.remove(at: index)
                let f = leaf.split.feature, threshold = UInt16(leaf.split.threshold)
                var leftRows: [Int] = [], rightRows: [Int] = []
                leftRows.reserveCapacity(leaf.rows.count)
                rightRows.reserveCapacity(leaf.rows.count)
                if columnBins.isEmpty {
                    for row in leaf.rows {
                        if binned.bin(row: row, feature: f) <= threshold { leftRows.append(row) } else { rightRows.append(row) }
                    }
                } else {
                    columnBins.withUnsafeBufferPointer { bins in
                        let column = bins.baseAddress! + f * rowCount
                        for row in leaf.rows {
                            if column[row] <= threshold { leftRows.append(row) } else { rightRows.append(row) }
                        }
                    }
                }
                var lg = 0.0, lh = 0.0
                for row in leftRows {
                    lg += g[row]
                    lh += h[row]
                }
                let rg = leaf.sumG - lg, rh = leaf.sumH - lh
                // The smaller child by a pass over its rows; the larger by subtraction.
                let leftIsSmaller = leftRows.count <= rightRows.count
                let small = leftIsSmaller
                    ? histogram(leftRows, g: g, h: h, sumG: lg, sumH: lh)
                    : histogram(rightRows, g: g, h: h, sumG: rg, sumH: rh)
                var large = leaf.histogram
                for b in 0 ..< totalBins {
                    large.g[b] -= small.g[b]
                    large.h[b] -= small.h[b]
                    large.count[b] -= small.count[b]
                }
                let leftHistogram = leftIsSmaller ? small : large, rightHistogram = leftIsSmaller ? large : small
                let leftNode = nodes.count, rightNode = nodes.count + 1
                nodes.append(Tree.Node())
                nodes.append(Tree.Node())
                nodes[leaf.node].feature = Int32(f)
                nodes[leaf.node].threshold = threshold
                nodes[leaf.node].left = Int32(leftNode)
                nodes[leaf.node].right = Int32(rightNode)
                leaves.append(Leaf(node: leftNode, rows: leftRows, sumG: lg, sumH: lh, histogram: leftHistogram,
                                   split: bestSplit(leftHistogram, sumG: lg, sumH: lh, count: leftRows.count)))
                leaves.append(Leaf(node: rightNode, rows: rightRows, sumG: rg, sumH: rh, histogram: rightHistogram,
                                   split: bestSplit(rightHistogram, sumG: rg, sumH: rh, count: rightRows.count)))
            }
            var leafOfRow = [Int](repeating: 0, count: n)
            for leaf in leaves {
                nodes[leaf.node].value = -parameters.learningRate * leaf.sumG / (leaf.sumH + parameters.l2)
                for row in leaf.rows { leafOfRow[row] = leaf.node }
            }
            return (Tree(nodes: nodes), leafOfRow)
        }
    }
}
