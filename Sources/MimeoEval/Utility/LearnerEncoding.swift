import MimeoData

/// The features the utility learners see, analysed on the real train table and applied unchanged
/// to synthetic, train and holdout rows (so TSTR and TRTR differ only in the training rows):
///
/// - numbers (integers, decimals; datetimes as epoch seconds): standardised with the train mean and
///   standard deviation; a missing or unparseable value is 0 (the mean), plus an indicator feature
///   when the train column has missing values;
/// - every other column: one-hot over its most frequent train levels (`maxLevels`; the missing value
///   is a level of its own), other values all zero;
/// - the target is left out.
///
/// Rows become `SparseDesign` rows: one slot per number (two with an indicator) and one per category.
struct LearnerEncoding: Sendable {
    struct NumberFeature: Sendable {
        let column: String
        let parser: CellParser
        let isDateTime: Bool
        let mean: Double
        let scale: Double
        /// The feature index of the value; the indicator, when present, follows.
        let feature: Int
        let hasIndicator: Bool
    }

    struct CategoryFeature: Sendable {
        let column: String
        let levels: [String: Int32]
        /// The feature index of level 0.
        let firstFeature: Int
    }

    static let missingLevel = "\u{0}missing"

    let numbers: [NumberFeature]
    let categories: [CategoryFeature]
    let featureCount: Int

    /// Slots per row.
    var width: Int { numbers.reduce(0) { $0 + ($1.hasIndicator ? 2 : 1) } + categories.count }

    /// Analyses the feature columns (every schema column but `target`) on `train`.
    init(train: Table, schema: Schema, target: String, maxLevels: Int) throws {
        var numbers: [NumberFeature] = [], categories: [CategoryFeature] = []
        var feature = 0
        for column in schema.columns where column.name != target {
            guard let index = train.columnIndex(named: column.name) else {
                throw EvaluationError.missingColumn(column.name, table: "train")
            }
            let cells = train.columns[index]
            switch column.kind {
            case .integer, .decimal, .datetime:
                let parser = try CellParser(kind: column.kind, format: column.format)
                let isDateTime = column.kind == .datetime
                var sum = 0.0, count = 0, hasMissing = false
                var values: [Double] = []
                values.reserveCapacity(cells.count)
                for cell in cells {
                    var x = parser.value(cell)
                    if isDateTime { x /= 1e9 }
                    if x.isNaN { hasMissing = true } else { sum += x; count += 1; values.append(x) }
                }
                let mean = count > 0 ? sum / Double(count) : 0
                var squares = 0.0
                for x in values { squares += (x - mean) * (x - mean) }
                let deviation = count > 0 ? (squares / Double(count)).squareRoot() : 0
                numbers.append(NumberFeature(column: column.name, parser: parser, isDateTime: isDateTime, mean: mean,
                                             scale: deviation > 0 ? deviation : 1, feature: feature,
                                             hasIndicator: hasMissing))
                feature += hasMissing ? 2 : 1
            case .categorical, .boolean, .identifier, .text:
                let kept = LevelRanking(cells.lazy.map { $0.map(PrivacyColumn.trimmed) ?? Self.missingLevel }).top(maxLevels)
                categories.append(CategoryFeature(
                    column: column.name,
                    levels: Dictionary(uniqueKeysWithValues: kept.enumerated().map { ($1, Int32($0)) }),
                    firstFeature: feature))
                feature += kept.count
            }
        }
        self.numbers = numbers
        self.categories = categories
        featureCount = feature
    }

    /// The design rows of `rows` of `table`.
    ///
    /// - Throws: `EvaluationError.missingColumn` naming `tableName`.
    func encode(_ table: Table, rows: [Int], tableName: String) throws -> SparseDesign {
        func index(_ name: String) throws -> Int {
            guard let i = table.columnIndex(named: name) else { throw EvaluationError.missingColumn(name, table: tableName) }
            return i
        }
        let numberColumns = try numbers.map { try table.columns[index($0.column)] }
        let categoryColumns = try categories.map { try table.columns[index($0.column)] }
        var design = SparseDesign(featureCount: featureCount, width: width)
        design.features.reserveCapacity(rows.count * width)
        design.values.reserveCapacity(rows.count * width)
        for row in rows {
            for (n, number) in numbers.enumerated() {
                var x = number.parser.value(numberColumns[n][row])
                if number.isDateTime { x /= 1e9 }
                design.features.append(Int32(number.feature))
                design.values.append(x.isNaN ? 0 : (x - number.mean) / number.scale)
                if number.hasIndicator {
                    design.features.append(Int32(number.feature + 1))
                    design.values.append(x.isNaN ? 1 : 0)
                }
            }
            for (k, category) in categories.enumerated() {
                let level = categoryColumns[k][row].map(PrivacyColumn.trimmed) ?? Self.missingLevel
                if let code = category.levels[level] {
                    design.features.append(Int32(category.firstFeature) + code)
                    design.values.append(1)
                } else {
                    design.features.append(-1)
                    design.values.append(0)
                }
            }
        }
        return design
    }
}
