/// What a column holds, as inferred from its values or declared in a schema.
public enum ColumnKind: String, Codable, CaseIterable, Sendable {
    /// Whole numbers (`-3`, `42`).
    case integer
    /// Numbers with a fractional part (`3.25`, `1e-3`); `ColumnSchema.decimals` keeps the precision.
    case decimal
    /// Two values such as `true`/`false`, `yes`/`no`, `0`/`1`; kept in the source's spelling.
    case boolean
    /// A limited set of labels.
    case categorical
    /// Dates or date-times; `ColumnSchema.format` keeps the source's layout.
    case datetime
    /// Values that are (almost) unique per row: keys, codes. Flagged, not modelled as categories.
    case identifier
    /// Free text with many distinct values. Flagged, not modelled as categories.
    case text

    /// Whether values of this kind are numbers.
    public var isNumeric: Bool { self == .integer || self == .decimal }
}
