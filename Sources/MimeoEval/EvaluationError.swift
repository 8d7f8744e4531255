/// Why an evaluation could not run.
public enum EvaluationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A column the schema names is not in a table.
    case missingColumn(String, table: String)
    /// A datetime pattern uses a directive the evaluator does not read.
    case unsupportedDateTimeFormat(String)
    /// Two summaries were made by evaluators with different real data or options.
    case summaryMismatch

    public var description: String {
        switch self {
        case .missingColumn(let name, let table): "the \(table) table has no column '\(name)'"
        case .unsupportedDateTimeFormat(let format): "unsupported datetime format '\(format)'"
        case .summaryMismatch: "summaries come from different real data or options and cannot be merged"
        }
    }
}
