import MimeoData
import MimeoEval

/// Everything the HTML report draws, as numbers: the evaluation reports, plus per-column
/// distributions and correlation matrices computed here for the charts.
///
/// ```swift
/// let fidelity = try FidelityEvaluator(real: train, schema: schema).evaluate(synthetic)
/// let data = try ReportData(real: train, synthetic: synthetic, schema: schema, fidelity: fidelity,
///                           realName: "train.csv", syntheticName: "synthetic.csv")
/// let html = HTMLReport.render(data)
/// ```
///
/// The charts come from the real table and a synthetic *sample* (the CLI passes every k-th
/// synthetic row, at most 100,000: `RowSample`); the scores come from the reports, which may cover more synthetic rows
/// (`syntheticRowCount`). `ReportData` is `Codable`, so a report can be re-rendered from saved
/// numbers (as mostlyai-qa's `reporting_from_statistics` does).
public struct ReportData: Codable, Sendable, Equatable {
    /// What the real table is called in the report (a file name, say).
    public var realName: String
    /// What the synthetic table is called in the report.
    public var syntheticName: String
    /// Rows of the real table.
    public var realRowCount: Int
    /// Synthetic rows the scores cover.
    public var syntheticRowCount: Int
    /// Synthetic rows behind the charts (the sample).
    public var syntheticSampleRowCount: Int
    /// The fidelity scores.
    public var fidelity: FidelityReport
    /// The privacy measures, when computed.
    public var privacy: PrivacyReport?
    /// The utility comparison, when computed.
    public var utility: UtilityReport?
    /// The evaluation's conclusions in plain words (leaks, weaknesses), shown first.
    public var findings: [String] = []
    /// One entry per charted column (every schema column except identifiers and free text), in
    /// schema order.
    public var columns: [ColumnDistribution]
    /// Pearson's r of the number and datetime columns.
    public var correlations: CorrelationMatrices
    /// The settings used.
    public var options: ReportOptions

    /// Computes the chart data.
    ///
    /// - Parameters:
    ///   - real: The real (training) table.
    ///   - synthetic: A sample of the synthetic table (or all of it).
    ///   - schema: The column kinds; identifier and text columns are not charted.
    ///   - fidelity: The fidelity report of the whole synthetic table.
    ///   - privacy: The privacy report, if computed.
    ///   - utility: The utility report, if computed.
    ///   - realName: The real table's name in the report.
    ///   - syntheticName: The synthetic table's name in the report.
    ///   - options: Bins and limits.
    /// - Throws: `EvaluationError.missingColumn` when a table lacks a schema column.
    public init(real: Table, synthetic: Table, schema: Schema, fidelity: FidelityReport,
                privacy: PrivacyReport? = nil, utility: UtilityReport? = nil,
                realName: String = "real", syntheticName: String = "synthetic",
                options: ReportOptions = ReportOptions()) throws {
        self.realName = realName
        self.syntheticName = syntheticName
        realRowCount = real.rowCount
        syntheticRowCount = fidelity.syntheticRowCount
        syntheticSampleRowCount = synthetic.rowCount
        self.fidelity = fidelity
        self.privacy = privacy
        self.utility = utility
        self.options = options

        let scores = Dictionary(fidelity.columns.map { ($0.column, $0) }, uniquingKeysWith: { first, _ in first })
        var columns: [ColumnDistribution] = []
        var valueNames: [String] = [], realValues: [[Double]] = [], syntheticValues: [[Double]] = []
        for column in schema.columns where column.kind != .identifier && column.kind != .text {
            guard let r = real.columnIndex(named: column.name) else {
                throw EvaluationError.missingColumn(column.name, table: "real")
            }
            guard let s = synthetic.columnIndex(named: column.name) else {
                throw EvaluationError.missingColumn(column.name, table: "synthetic")
            }
            let realCells = real.columns[r], syntheticCells = synthetic.columns[s]
            var distribution = ColumnDistribution(
                column: column.name, kind: column.kind, metric: scores[column.name]?.metric,
                score: scores[column.name]?.score, realRowCount: real.rowCount,
                syntheticRowCount: synthetic.rowCount, realMissing: 0, syntheticMissing: 0)
            if let reader = ValueReader(column) {
                let realNumbers = realCells.map(reader.value)
                let syntheticNumbers = syntheticCells.map(reader.value)
                distribution.realMissing = realNumbers.count { $0.isNaN }
                distribution.syntheticMissing = syntheticNumbers.count { $0.isNaN }
                distribution.histogram = Histogram(
                    real: realNumbers, synthetic: syntheticNumbers, binCount: options.binCount,
                    scale: column.kind == .datetime ? .datetime : .number, integerAligned: column.kind == .integer)
                valueNames.append(column.name)
                realValues.append(realNumbers)
                syntheticValues.append(syntheticNumbers)
            } else {
                distribution.realMissing = realCells.count { $0 == nil }
                distribution.syntheticMissing = syntheticCells.count { $0 == nil }
                distribution.categories = CategoryCounts(real: realCells, synthetic: syntheticCells,
                                                         top: options.topCategories)
            }
            columns.append(distribution)
        }
        self.columns = columns
        let kept = min(valueNames.count, max(options.maxCorrelationColumns, 0))
        correlations = CorrelationMatrices(
            columns: Array(valueNames.prefix(kept)), real: Array(realValues.prefix(kept)),
            synthetic: Array(syntheticValues.prefix(kept)), omittedColumns: Array(valueNames.dropFirst(kept)))
    }
}

/// Reads the cells of a number or datetime column as `Double` (NaN: missing or unreadable).
/// Datetimes become seconds since the epoch.
struct ValueReader {
    private let format: DateTimeFormat?

    /// A reader for `column`, or `nil` when it is not a number column or its datetime format is
    /// not a `DateTimeFormat` pattern (such a column is drawn as categories).
    init?(_ column: ColumnSchema) {
        switch column.kind {
        case .integer, .decimal:
            format = nil
        case .datetime:
            guard let format = DateTimeFormat(pattern: column.format ?? "%Y-%m-%dT%H:%M:%SZ") else { return nil }
            self.format = format
        default:
            return nil
        }
    }

    func value(_ cell: String?) -> Double {
        guard let cell else { return .nan }
        if let format {
            guard let parts = format.parse(cell) else { return .nan }
            return Double(parts.secondsSinceEpoch) + Double(parts.nanosecond) / 1e9
        }
        var parsed = Double(cell)
        if parsed == nil {
            var trimmed = Substring(cell)
            while let c = trimmed.first, c == " " || c == "\t" { trimmed.removeFirst() }
            while let c = trimmed.last, c == " " || c == "\t" { trimmed.removeLast() }
            parsed = Double(trimmed)
        }
        guard let x = parsed, x.isFinite else { return .nan }
        return x
    }
}
