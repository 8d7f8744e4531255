import MimeoData

/// The mergeable statistics of one column (the *analyze* step, per chunk; *reduce* merges chunks).
public enum ColumnStatistics: Codable, Sendable, Equatable {
    case categorical(CategoricalStatistics)
    case numeric(NumericStatistics)
    case datetime(DatetimeStatistics)
    case identifier(IdentifierStatistics)

    /// Analyzes one chunk of a column's values. In a dirty column (`schema.invalidValues` set), values
    /// that do not fit the kind count as missing.
    public static func analyze<C: Collection>(_ values: C, schema: ColumnSchema) -> ColumnStatistics
    where C.Element == String? {
        if schema.invalidValues != nil {
            var clean = schema
            clean.invalidValues = nil
            return analyze(schema.nullingInvalidValues(values), schema: clean)
        }
        switch schema.kind {
        case .integer, .decimal:
            return .numeric(NumericStatistics.analyze(values))
        case .boolean, .categorical:
            return .categorical(CategoricalStatistics.analyze(values))
        case .datetime:
            let format = schema.format.flatMap { DateTimeFormat(pattern: $0) } ?? DateTimeFormat(pattern: "%Y-%m-%d")!
            return .datetime(DatetimeStatistics.analyze(values, format: format))
        case .identifier, .text:
            return .identifier(IdentifierStatistics.analyze(values))
        }
    }

    /// Merges another chunk's statistics of the same column into these.
    public mutating func reduce(_ other: ColumnStatistics) {
        switch (self, other) {
        case (.categorical(var a), .categorical(let b)): a.reduce(b); self = .categorical(a)
        case (.numeric(var a), .numeric(let b)): a.reduce(b); self = .numeric(a)
        case (.datetime(var a), .datetime(let b)): a.reduce(b); self = .datetime(a)
        case (.identifier(var a), .identifier(let b)): a.reduce(b); self = .identifier(a)
        default: preconditionFailure("reduce: statistics of different column kinds")
        }
    }
}

/// The statistics of every column of a table, computed chunk by chunk and merged.
public struct TableStatistics: Codable, Sendable, Equatable {
    public var schema: Schema
    public var rowCount: Int
    public var columns: [ColumnStatistics]

    /// Analyzes one chunk (a `Table` whose columns follow `schema`).
    public static func analyze(_ table: Table, schema: Schema) -> TableStatistics {
        let columns = zip(table.columns, schema.columns).map { ColumnStatistics.analyze($0, schema: $1) }
        return TableStatistics(schema: schema, rowCount: table.rowCount, columns: columns)
    }

    /// Merges the statistics of another chunk of the same table.
    public mutating func reduce(_ other: TableStatistics) {
        precondition(schema == other.schema, "reduce: chunks of different tables")
        rowCount += other.rowCount
        for index in columns.indices { columns[index].reduce(other.columns[index]) }
    }
}

/// How one column becomes tokens and back (the *encode* / *decode* steps).
public enum ColumnEncoding: Codable, Sendable, Equatable {
    case categorical(CategoricalEncoding)
    case numeric(NumericEncoding)
    case datetime(DatetimeEncoding)
    case identifier(IdentifierEncoding)

    /// Chooses the encoding from a column's reduced statistics.
    public init(statistics: ColumnStatistics, schema: ColumnSchema, options: EncodingOptions) {
        switch statistics {
        case .categorical(let s): self = .categorical(CategoricalEncoding(statistics: s, options: options))
        case .numeric(let s):
            self = .numeric(NumericEncoding(statistics: s, isInteger: schema.kind == .integer, options: options))
        case .datetime(let s): self = .datetime(DatetimeEncoding(statistics: s, options: options))
        case .identifier(let s): self = .identifier(IdentifierEncoding(statistics: s, options: options))
        }
    }

    /// The vocabulary size of each sub-column this column becomes (none for identifiers).
    public var cardinalities: [Int] {
        switch self {
        case .categorical(let e): return e.subColumnCardinalities
        case .numeric(let e): return e.cardinalities
        case .datetime(let e): return e.cardinalities
        case .identifier: return []
        }
    }

    /// A short name of the encoding, for `mimeo info`.
    public var kindName: String {
        switch self {
        case .categorical: return "categorical"
        case .numeric(let e): return e.isInteger ? "integer" : "decimal"
        case .datetime: return "datetime"
        case .identifier: return "identifier (not modelled)"
        }
    }
}
