/// The concept check's layout: the target's classes and each other column's cells, cut on the
/// reference table, and the reference's counts per (cell, class).
///
/// The check asks whether `P(target | feature)` changed, one feature at a time: in each cell of the
/// feature (a category, or a bin between reference deciles; missing is a cell of its own) it
/// compares the target's distribution in the reference with the one in the current table. A
/// number target is cut at its reference quintiles. Counts are mergeable, so this streams too.
struct ConceptProfile: Sendable {
    /// How a column's cells map to indices.
    enum Cutter: Sendable {
        /// Reference quantile edges: index = number of edges below the value; `edges.count + 1` = missing.
        case bins(edges: [Double], parser: CellParser, scale: Double)
        /// Kept categories; `levels.count` = any other value, `levels.count + 1` = missing.
        case levels([String: Int])

        var width: Int {
            switch self {
            case .bins(let edges, _, _): edges.count + 2
            case .levels(let levels): levels.count + 2
            }
        }

        var missingIndex: Int { width - 1 }

        func index(of cell: String?) -> Int {
            switch self {
            case .bins(let edges, let parser, let scale):
                let x = parser.value(cell) * scale
                if x.isNaN { return edges.count + 1 }
                var low = 0, high = edges.count
                while low < high {
                    let mid = (low + high) >> 1
                    if edges[mid] < x { low = mid + 1 } else { high = mid }
                }
                return low
            case .levels(let levels):
                guard let cell else { return levels.count + 1 }
                return levels[cell] ?? levels.count
            }
        }

        /// A label of cell `index` for reports.
        func label(_ index: Int) -> String {
            switch self {
            case .bins(let edges, _, _):
                if index == edges.count + 1 { return "missing" }
                let low = index == 0 ? "-inf" : "\(edges[index - 1])"
                let high = index == edges.count ? "inf" : "\(edges[index])"
                return "(\(low), \(high)]"
            case .levels(let levels):
                if index == levels.count { return "other" }
                if index == levels.count + 1 { return "missing" }
                return levels.first { $0.value == index }?.key ?? "?"
            }
        }
    }

    /// The target column (index into the detector's columns) and its classes (missing is not a class).
    let target: Int
    let targetCutter: Cutter
    /// The other columns and their cells.
    let features: [(column: Int, cutter: Cutter)]
    /// Reference counts per feature, `[cell * classCount + class]`.
    let referenceTables: [[Int]]

    var classCount: Int { targetCutter.width - 1 }
    var tableSizes: [Int] { features.map { $0.cutter.width * classCount } }

    init(columns: [DriftDetector.Column], cells: [[String?]], target: Int, options: DriftOptions) {
        let targetCutter = Self.cutter(columns[target], bins: 5, maxLevels: options.maxLevels)
        let features = columns.indices.filter { $0 != target }.map {
            (column: $0, cutter: Self.cutter(columns[$0], bins: options.conceptBins, maxLevels: options.maxLevels))
        }
        var tables = features.map { [Int](repeating: 0, count: $0.cutter.width * (targetCutter.width - 1)) }
        Self.count(cells, rowCount: cells.first?.count ?? 0, target: target, targetCutter: targetCutter, features: features,
                   into: &tables)
        self.target = target
        self.targetCutter = targetCutter
        self.features = features
        referenceTables = tables
    }

    /// Reference quantile bins of a number column; the `maxLevels` most frequent categories of another.
    private static func cutter(_ column: DriftDetector.Column, bins: Int, maxLevels: Int) -> Cutter {
        switch column.role {
        case .number(let reference):
            return .bins(edges: quantileEdges(reference.profile, bins: bins), parser: reference.profile.parser,
                         scale: reference.scale)
        case .category(let profile):
            let ranked = zip(profile.vocabulary, profile.counts).sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
            let kept = ranked.prefix(maxLevels).map(\.0)
            return .levels(Dictionary(uniqueKeysWithValues: kept.enumerated().map { ($1, $0) }))
        }
    }

    /// Distinct reference values at the quantiles `i / bins`, `i = 1 ..< bins`.
    static func quantileEdges(_ profile: ContinuousProfile, bins: Int) -> [Double] {
        let total = profile.pointCounts.reduce(0, +)
        guard total > 0, bins > 1 else { return [] }
        var edges: [Double] = []
        var cumulative = 0, next = 1
        for (v, c) in zip(profile.points, profile.pointCounts) {
            cumulative += c
            while next < bins, cumulative * bins >= next * total {
                if edges.last != v { edges.append(v) }
                next += 1
            }
        }
        if edges.last == profile.points.last { edges.removeLast() }
        return edges
    }

    func emptyTables() -> [[Int]] { tableSizes.map { [Int](repeating: 0, count: $0) } }

    /// Counts `rowCount` rows whose cells are `cells` (in the detector's column order).
    func add(_ cells: [[String?]], rowCount: Int, into tables: inout [[Int]]) {
        Self.count(cells, rowCount: rowCount, target: target, targetCutter: targetCutter, features: features, into: &tables)
    }

    private static func count(_ cells: [[String?]], rowCount: Int, target: Int, targetCutter: Cutter,
                              features: [(column: Int, cutter: Cutter)], into tables: inout [[Int]]) {
        let classCount = targetCutter.width - 1
        let classes = cells[target].prefix(rowCount).map(targetCutter.index(of:))
        for (f, feature) in features.enumerated() {
            let column = cells[feature.column]
            for i in 0 ..< rowCount {
                let y = classes[i]
                if y == targetCutter.missingIndex { continue }
                tables[f][feature.cutter.index(of: column[i]) * classCount + y] += 1
            }
        }
    }
}
