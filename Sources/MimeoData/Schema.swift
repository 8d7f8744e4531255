import Foundation

/// The declared or inferred type of one column.
public struct ColumnSchema: Codable, Sendable, Equatable {
    /// The header name, exactly as in the file.
    public var name: String
    /// The kind of values.
    public var kind: ColumnKind
    /// For `.datetime`: the layout, as a `DateTimeFormat` pattern (e.g. `%Y-%m-%dT%H:%M:%SZ`).
    public var format: String?
    /// For `.decimal`: the largest number of digits after the decimal point seen in the source.
    public var decimals: Int?
    /// For `.boolean`: the spelling of the two values, false first (e.g. `["no", "yes"]`).
    public var booleanValues: [String]?

    public init(name: String, kind: ColumnKind, format: String? = nil, decimals: Int? = nil,
                booleanValues: [String]? = nil) {
        self.name = name
        self.kind = kind
        self.format = format
        self.decimals = decimals
        self.booleanValues = booleanValues
    }
}

/// The column types of a table, written by `mimeo schema` and read back with `--schema`.
public struct Schema: Codable, Sendable, Equatable {
    /// One entry per column, in file order.
    public var columns: [ColumnSchema]
    /// Cell spellings read as missing values (compared after trimming nothing: exact match).
    public var missingValues: [String]

    /// The spellings treated as missing unless a schema says otherwise.
    public static let defaultMissingValues = ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "?"]

    public init(columns: [ColumnSchema], missingValues: [String] = Schema.defaultMissingValues) {
        self.columns = columns
        self.missingValues = missingValues
    }

    /// The column named `name`, if any.
    public func column(named name: String) -> ColumnSchema? {
        columns.first { $0.name == name }
    }
}
