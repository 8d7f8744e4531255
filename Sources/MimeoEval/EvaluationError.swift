/// Why an evaluation could not run.
public enum EvaluationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A column the schema names is not in a table.
    case missingColumn(String, table: String)
    /// A datetime pattern uses a directive the evaluator does not read.
    case unsupportedDateTimeFormat(String)
    /// Two summaries were made by evaluators with different real data or options.
    case summaryMismatch
    /// Quasi-identifiers and a sensitive column that do not make an attribute-inference attack.
    case invalidAttack(String)
    /// Columns named in the options that the schema does not have.
    case unknownColumns([String], available: [String])
    /// No row of a real table parses in every number and datetime column (`column` has the most
    /// unparseable cells, `example` the first of them).
    case noParseableRows(table: String, column: String, unparseable: Int, rows: Int, example: String)

    public var description: String {
        switch self {
        case .missingColumn(let name, let table): "the \(table) table has no column '\(name)'"
        case .unsupportedDateTimeFormat(let format): "unsupported datetime format '\(format)'"
        case .summaryMismatch: "summaries come from different real data or options and cannot be merged"
        case .invalidAttack(let reason): "attribute inference: \(reason)"
        case .unknownColumns(let names, let available):
            "unknown column\(names.count == 1 ? "" : "s") \(names.map { "'\($0)'" }.joined(separator: ", ")); "
                + "columns are: \(available.joined(separator: ", "))"
        case .noParseableRows(let table, let column, let unparseable, let rows, let example):
            "no row of the \(table) table can be compared: \(unparseable) of its \(rows) values in column '\(column)' "
                + "do not parse as the column's kind (such as '\(example)'); does the file have the real table's format?"
        }
    }
}
