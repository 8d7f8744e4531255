/// An error in input data, located as precisely as the input allows.
///
/// `description` reads like a compiler diagnostic: `data.csv:12:3: error: expected 15 fields, found 14`.
public struct DataError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file the error is in (as given by the user).
    public var file: String
    /// The 1-based physical line number, when known.
    public var line: Int?
    /// The 1-based column (field) number, when known.
    public var column: Int?
    /// The column's header name, when known.
    public var columnName: String?
    /// What was wrong, and what was expected.
    public var message: String

    public init(file: String, line: Int? = nil, column: Int? = nil, columnName: String? = nil, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.columnName = columnName
        self.message = message
    }

    public var description: String {
        var location = file
        if let line { location += ":\(line)" }
        if let column { location += ":\(column)" }
        let named = columnName.map { " (column '\($0)')" } ?? ""
        return "\(location): error\(named): \(message)"
    }
}
