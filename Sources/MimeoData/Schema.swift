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
    /// For a dirty column: the values that do not fit `kind` and are read as missing. Set by schema
    /// inference when at most `SchemaInference.invalidShare` of the values fail the kind the rest fit;
    /// in a declared schema, its presence lets such values through as missing (instead of an error).
    public var invalidValues: InvalidValues?

    public init(name: String, kind: ColumnKind, format: String? = nil, decimals: Int? = nil,
                booleanValues: [String]? = nil, invalidValues: InvalidValues? = nil) {
        self.name = name
        self.kind = kind
        self.format = format
        self.decimals = decimals
        self.booleanValues = booleanValues
        self.invalidValues = invalidValues
    }
}

/// The values of a dirty column that do not fit its kind (and are read as missing): how many, and the
/// first few.
///
/// ```json
/// "invalidValues" : { "count" : 1, "examples" : [ { "row" : 57, "value" : "2023-02-30" } ] }
/// ```
public struct InvalidValues: Codable, Sendable, Equatable {
    /// One invalid value and the 1-based data row it is on (the header is not a row).
    public struct Example: Codable, Sendable, Equatable {
        public var row: Int
        public var value: String

        public init(row: Int, value: String) {
            self.row = row
            self.value = value
        }
    }

    /// At most this many examples are kept.
    public static let exampleLimit = 5

    /// How many non-missing values do not fit the column's kind.
    public var count: Int
    /// The first `exampleLimit` of them, in row order.
    public var examples: [Example]

    public init(count: Int = 0, examples: [Example] = []) {
        self.count = count
        self.examples = examples
    }

    /// Counts one more invalid value (kept as an example while there are fewer than `exampleLimit`).
    public mutating func add(row: Int, value: String) {
        count += 1
        if examples.count < Self.exampleLimit { examples.append(Example(row: row, value: value)) }
    }
}

extension ColumnSchema {
    /// The values among `values` (a column's cells, nil for missing; row `i + 1` is `values[i]`) that do
    /// not fit this column's kind (`accepts(_:)`).
    public func invalidValues(in values: [String?]) -> InvalidValues {
        var invalid = InvalidValues()
        guard let validator = ColumnValidator(self), !validator.acceptsAnything else { return invalid }
        for (index, value) in values.enumerated() {
            guard let value else { continue }
            if !value.withUTF8Bytes({ validator.accepts($0) }) { invalid.add(row: index + 1, value: value) }
        }
        return invalid
    }

    /// `values` with every value that does not fit this column's kind replaced by nil (missing), as
    /// encoding reads a dirty column.
    public func nullingInvalidValues<Values: Collection>(_ values: Values) -> [String?] where Values.Element == String? {
        guard let validator = ColumnValidator(self), !validator.acceptsAnything else { return Array(values) }
        return values.map { value in
            guard let value, value.withUTF8Bytes({ validator.accepts($0) }) else { return nil }
            return value
        }
    }

    /// One line on a dirty column's invalid values, for `mimeo schema`, `train` and `info`; nil when
    /// it has none.
    ///
    /// `column 'date': 1 value does not fit datetime (%Y-%m-%d) and is read as missing: row 57 '2023-02-30'`
    public var invalidValuesSummary: String? {
        guard let invalid = invalidValues, invalid.count > 0 else { return nil }
        var kindText = kind.rawValue
        if let format { kindText += " (\(format))" }
        if let booleanValues, booleanValues.count == 2 { kindText += " (\(booleanValues[0])/\(booleanValues[1]))" }
        let shown = invalid.examples.prefix(InvalidValues.exampleLimit)
        let examples = shown.map { "row \($0.row) \(TableLoader.quoted($0.value))" }.joined(separator: ", ")
        let values = invalid.count == 1 ? "1 value does not fit" : "\(invalid.count) values do not fit"
        let more = invalid.count > shown.count ? ", …" : ""
        return "column '\(name)': \(values) \(kindText) and \(invalid.count == 1 ? "is" : "are") read as missing: "
            + examples + more
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
