import Foundation
import MimeoData
import MimeoParquet

/// Where an evaluation's column kinds come from.
public enum EvaluationSchema: Sendable, Equatable {
    /// Inferred from the real table (`SchemaInference`).
    case inferred
    /// Declared (`mimeo evaluate --schema`): the real table's header and every cell must fit it.
    case declared(Schema)
    /// Given as is, such as a model's schema (`--model`): the real cells are not checked against it.
    case given(Schema)
}

/// What to evaluate: the three files and the options of `mimeo evaluate`.
public struct EvaluationRequest: Sendable {
    /// The real (training) table's file.
    public var real: String
    /// The synthetic table's file (read more than once, so not standard input).
    public var synthetic: String
    /// Real rows the generator never saw: enables privacy (and utility with `target`).
    public var holdout: String?
    /// The column kinds.
    public var schema: EvaluationSchema = .inferred
    /// The field delimiter of each file (`mimeo evaluate` detects each one unless `--delimiter` is given).
    public var realDelimiter: UInt8 = UInt8(ascii: ",")
    public var syntheticDelimiter: UInt8 = UInt8(ascii: ",")
    public var holdoutDelimiter: UInt8 = UInt8(ascii: ",")
    /// Schema inference (with its invalid-value share) when `schema` is `.inferred`.
    public var inference = SchemaInference()
    /// The column utility predicts (needs `holdout`).
    public var target: String?
    /// Attribute inference: the columns an attacker knows, and the one it guesses (need `holdout`).
    public var quasiIdentifiers: [String] = []
    public var sensitive: String?
    /// The utility learner.
    public var learner: UtilityLearner = .gradientBoostedTrees
    /// The seed of the samples and learners.
    public var seed: UInt64 = 0
    /// Synthetic rows sampled (evenly, `RowSample`) for deep structure, utility and charts.
    public var sampleRows: Int = EvaluationPipeline.defaultSampleRows

    /// One delimiter for all three files: reads the real file's, sets all three.
    public var delimiter: UInt8 {
        get { realDelimiter }
        set { (realDelimiter, syntheticDelimiter, holdoutDelimiter) = (newValue, newValue, newValue) }
    }

    /// A request for `synthetic` against `real`, optionally with `holdout`.
    public init(real: String, synthetic: String, holdout: String? = nil) {
        self.real = real
        self.synthetic = synthetic
        self.holdout = holdout
    }
}

/// One evaluation's result: the report, and what the HTML charts are drawn from.
public struct Evaluation: Sendable {
    /// The numbers and findings.
    public var report: EvaluationReport
    /// The column kinds used.
    public var schema: Schema
    /// The real table.
    public var real: Table
    /// The synthetic sample (`report.syntheticSampleRows` rows).
    public var syntheticSample: Table
}

/// The real table of an evaluation, its schema and the fidelity evaluator built from them
/// (`EvaluationPipeline.prepareFidelity`).
public struct PreparedFidelity: Sendable {
    public var real: Table
    /// The column kinds; the synthetic side is read with its `missingValues`.
    public var schema: Schema
    public var evaluator: FidelityEvaluator
}

/// `mimeo evaluate` as one library call: read the tables, check that their columns match, then
/// fidelity (streamed over the synthetic file), deep structure, privacy and utility, and the
/// findings.
///
/// ```swift
/// var request = EvaluationRequest(real: "train.csv", synthetic: "synthetic.csv", holdout: "holdout.csv")
/// request.target = "income"
/// let evaluation = try EvaluationPipeline.run(request)
/// print(evaluation.report.findings.joined(separator: "\n"))
/// ```
///
/// Refused inputs (`DataError` naming the file, or `EvaluationError`): a table without data rows;
/// a synthetic or holdout file that lacks a column of the real table (naming them, and the
/// delimiter when the header reads as one column); a real table with no column to score; a real
/// number or datetime column none of whose values parses; options naming unknown columns; an
/// attribute-inference attack that is not one (`PrivacyOptions.validateAttack`).
public enum EvaluationPipeline {
    /// The default synthetic sample for deep structure, utility and charts.
    public static let defaultSampleRows = 100_000
    /// The message for a table with a header and no rows.
    public static let noRows = "the table has a header but no data rows"

    /// Runs the evaluation.
    ///
    /// - Throws: `DataError` for unreadable, malformed or mismatched files; `EvaluationError` for
    ///   options that name unknown columns or make no attack.
    public static func run(_ request: EvaluationRequest) throws -> Evaluation {
        let prepared = try prepareFidelity(request)
        let (real, schema, fidelityEvaluator) = (prepared.real, prepared.schema, prepared.evaluator)
        let missingValues = schema.missingValues
        try checkColumns(of: request.synthetic, name: "synthetic", header: TableFileLoader.readHeader(
            path: request.synthetic, delimiter: request.syntheticDelimiter), schema: schema, delimiter: request.syntheticDelimiter)
        let holdout = try request.holdout.map { path in
            let table = try TableFileLoader(delimiter: request.holdoutDelimiter, missingValues: missingValues).load(path: path)
            try checkColumns(of: path, name: "holdout", header: table.columnNames, schema: schema,
                             delimiter: request.holdoutDelimiter)
            if table.rowCount == 0 { throw DataError(file: path, message: noRows) }
            return table
        }

        // Fidelity: streamed over the whole synthetic file.
        let fidelity = fidelityEvaluator.report(for: try fidelityEvaluator.summarize(
            csvAt: request.synthetic, delimiter: request.syntheticDelimiter, missingValues: missingValues))
        if fidelity.syntheticRowCount == 0 { throw DataError(file: request.synthetic, message: noRows) }
        // An even sample for structure, utility and charts.
        var sample = RowSample(rowCount: fidelity.syntheticRowCount, limit: max(1, request.sampleRows))
        try TableFileLoader(delimiter: request.syntheticDelimiter, missingValues: missingValues)
            .forEachChunk(path: request.synthetic) { chunk, _ in sample.add(chunk) }
        let structure = try DeepStructure.compute(real: real, synthetic: sample.table, schema: schema,
                                                  seed: request.seed)

        var privacy: PrivacyReport?
        var utility: UtilityReport?
        if let holdout {
            var options = PrivacyOptions()
            options.seed = request.seed
            options.target = request.target
            options.quasiIdentifiers = request.quasiIdentifiers
            options.sensitive = request.sensitive
            let privacyEvaluator: PrivacyEvaluator
            do {
                privacyEvaluator = try PrivacyEvaluator(train: real, holdout: holdout, schema: schema, options: options)
            } catch EvaluationError.noParseableRows(let table, let column, let count, let rows, let example) {
                throw DataError(file: table == "holdout" ? request.holdout ?? "" : request.real, columnName: column,
                                message: "no row of the \(table) table can be compared: \(count) of its \(rows) "
                                    + "values in this column do not parse as \(describeKind(schema.column(named: column))), "
                                    + "such as '\(example)'. Does the file have the real table's format?")
            }
            privacy = try privacyEvaluator.report(for: try privacyEvaluator.summarize(
                csvAt: request.synthetic, delimiter: request.syntheticDelimiter, missingValues: missingValues))
            if let target = request.target {
                var utilityOptions = UtilityOptions(target: target)
                utilityOptions.learner = request.learner
                utilityOptions.seed = request.seed
                utility = try UtilityEvaluator(train: real, holdout: holdout, schema: schema, options: utilityOptions)
                    .evaluate(sample.table)
            }
        }
        let unparseable = UnparseableValues(fidelity: fidelity, privacy: privacy)
        let findings = EvaluationFindings.make(fidelity: fidelity, structure: structure, privacy: privacy,
                                               utility: utility, unparseable: unparseable)
        let report = EvaluationReport(fidelity: fidelity, deepStructure: structure, privacy: privacy, utility: utility,
                                      unparseable: unparseable, findings: findings,
                                      syntheticSampleRows: sample.table.rowCount)
        return Evaluation(report: report, schema: schema, real: real, syntheticSample: sample.table)
    }

    /// The real side of `run`, which a cluster worker shares: reads the real table and settles its schema as
    /// `request` says, checks the table and the request's options, and builds the fidelity evaluator. The summary
    /// a worker makes with it (missing values `schema.missingValues`) and the report `run` makes are therefore
    /// against the same profile.
    ///
    /// - Throws: `DataError` for an unreadable or unusable real table; `EvaluationError` for options naming
    ///   unknown columns or making no attack.
    public static func prepareFidelity(_ request: EvaluationRequest) throws -> PreparedFidelity {
        let (real, schema) = try loadReal(request)
        let hint = delimiterHint(real.columnNames, request.realDelimiter)
        if !hint.isEmpty {
            throw DataError(file: request.real, message: "the real table has " + describe(real.columnNames) + hint)
        }
        try checkOptions(request, schema: schema)
        if real.rowCount == 0 { throw DataError(file: request.real, message: noRows) }

        let evaluator = try FidelityEvaluator(real: real, schema: schema)
        if evaluator.scoredColumnNames.isEmpty {
            throw DataError(file: request.real, message: "no column can be scored: the real table has "
                + describe(real.columnNames) + " and none is a number, datetime, category or boolean"
                + delimiterHint(real.columnNames, request.realDelimiter))
        }
        try checkRealValues(real, schema: schema, file: request.real)
        return PreparedFidelity(real: real, schema: schema, evaluator: evaluator)
    }

    /// The real side of `mimeo evaluate --real PATH` with its defaults (schema inferred, delimiter detected from
    /// the file's start): what a cluster job's `--real` table is read as on the workers and the coordinator.
    ///
    /// - Throws: as `prepareFidelity(_:)`.
    public static func prepareFidelity(realTableAt path: String) throws -> PreparedFidelity {
        var request = EvaluationRequest(real: path, synthetic: "")
        request.realDelimiter = try TableFileLoader.detectDelimiter(path: path)
        return try prepareFidelity(request)
    }

    /// Reads the real table and settles the schema.
    static func loadReal(_ request: EvaluationRequest) throws -> (Table, Schema) {
        switch request.schema {
        case .inferred:
            return try TableFileLoader(delimiter: request.realDelimiter).loadInferring(path: request.real, inference: request.inference)
        case .declared(let schema):
            return (try TableFileLoader(schema: schema, delimiter: request.realDelimiter).load(path: request.real), schema)
        case .given(let schema):
            let table = try TableFileLoader(delimiter: request.realDelimiter, missingValues: schema.missingValues)
                .load(path: request.real)
            try checkColumns(of: request.real, name: "real", header: table.columnNames, schema: schema,
                             delimiter: request.realDelimiter)
            return (table, schema)
        }
    }

    /// Options must name columns of the schema, and the attack must be one.
    static func checkOptions(_ request: EvaluationRequest, schema: Schema) throws {
        let names = schema.columns.map(\.name)
        if let target = request.target, !names.contains(target) {
            throw EvaluationError.unknownColumns([target], available: names)
        }
        var options = PrivacyOptions()
        options.quasiIdentifiers = request.quasiIdentifiers
        options.sensitive = request.sensitive
        try options.validateAttack(columns: names)
    }

    /// A real number or datetime column with values none of which parses means the schema does not
    /// fit the real table: nothing could be compared in it.
    static func checkRealValues(_ real: Table, schema: Schema, file: String) throws {
        for column in schema.columns where [.integer, .decimal, .datetime].contains(column.kind) {
            guard let index = real.columnIndex(named: column.name) else { continue }
            let parser = try CellParser(kind: column.kind, format: column.format)
            var example: String?
            var parsed = false
            for cell in real.columns[index] {
                let value = parser.value(cell)
                if !value.isNaN {
                    parsed = true
                    break
                }
                if example == nil, let cell { example = cell }
            }
            if !parsed, let example {
                throw DataError(file: file, columnName: column.name,
                                message: "no value of the real column parses as \(describeKind(column)), such as "
                                    + "'\(example)': the schema does not fit the real table")
            }
        }
    }

    /// Every schema column must be in a file's header.
    static func checkColumns(of file: String, name: String, header: [String], schema: Schema,
                             delimiter: UInt8) throws {
        let present = Set(header)
        let missing = schema.columns.map(\.name).filter { !present.contains($0) }
        guard !missing.isEmpty else { return }
        let what = missing.count == schema.columns.count
            ? "has none of the real table's columns (\(describe(schema.columns.map(\.name))))"
            : "has no column \(missing.map { "'\($0)'" }.joined(separator: ", "))"
        throw DataError(file: file, message: "the \(name) table \(what); its header has \(describe(header))"
            + delimiterHint(header, delimiter))
    }

    /// "integer", "datetime (%Y-%m-%d)".
    static func describeKind(_ column: ColumnSchema?) -> String {
        guard let column else { return "its kind" }
        return column.kind == .datetime ? "datetime (\(column.format ?? "%Y-%m-%dT%H:%M:%SZ"))" : column.kind.rawValue
    }

    /// "3 columns: a, b, c" (long lists cut).
    static func describe(_ names: [String]) -> String {
        let shown = names.prefix(12).map { $0.count > 60 ? "'\($0.prefix(60))…'" : "'\($0)'" }
        let more = names.count > shown.count ? ", …" : ""
        return "\(names.count) column\(names.count == 1 ? "" : "s"): \(shown.joined(separator: ", "))\(more)"
    }

    /// A hint when a header reads as one column that another common delimiter would split.
    static func delimiterHint(_ header: [String], _ delimiter: UInt8) -> String {
        let used = Character(Unicode.Scalar(delimiter))
        let candidates: [(Character, String)] = [(",", ","), (";", ";"), ("\t", "tab"), ("|", "|")]
        guard header.count == 1, let other = candidates.first(where: { $0.0 != used && header[0].contains($0.0) })
        else { return "" }
        let current = used == "\t" ? "tab" : String(used)
        return ". The header reads as one column with the delimiter '\(current)': if the file is separated by "
            + "'\(other.1)', give --delimiter '\(other.1)'"
    }
}
