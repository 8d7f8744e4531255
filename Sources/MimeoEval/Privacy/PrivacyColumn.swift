import MimeoData

/// How one column enters the privacy features and the exact-match keys, typed as the referee
/// types it (`../shared/tools/common.py`, `column_schema` and `align`).
///
/// - `integer`, `decimal` columns are numbers; `datetime` columns are numbers too, as epoch
///   seconds (`numeric_view`). Cells that do not parse are missing, as `to_numeric(errors="coerce")`.
/// - Every other kind (`categorical`, `boolean`, `identifier`, `text`) is a category: the cell
///   text with surrounding spaces and tabs removed.
/// - The target (`PrivacyOptions.target`), when it is a number column with at most 20 distinct
///   train values, is a category of numbers written as the referee's `_num_text` does
///   (`1.0` and `1` are the same level).
struct PrivacyColumn: Sendable {
    enum Kind: Sendable, Equatable {
        /// Min-max scaled with the train minimum and span.
        case numeric
        /// One-hot over the kept train levels.
        case categorical
        /// A numeric target with few values: one-hot over number texts.
        case categoricalNumber
    }

    let name: String
    let kind: Kind
    /// Reads numbers (numeric, categoricalNumber).
    let parser: CellParser?
    /// Whether `parser` returns nanoseconds (datetime columns), converted to seconds here.
    let isDateTime: Bool

    /// The number in one cell (epoch seconds for datetimes); NaN when missing or unparseable.
    @inline(__always)
    func number(_ cell: String?) -> Double {
        guard let parser else { return .nan }
        let value = parser.value(cell)
        return isDateTime ? value / 1e9 : value
    }

    /// Whether `cell` is present but does not parse as this number column's kind.
    @inline(__always)
    func isUnparseable(_ cell: String?) -> Bool {
        guard let parser, cell != nil else { return false }
        return parser.value(cell).isNaN
    }

    /// The category text of one cell; nil when missing (or, for a number category, unparseable).
    @inline(__always)
    func category(_ cell: String?) -> String? {
        switch kind {
        case .numeric:
            return nil
        case .categorical:
            guard let cell else { return nil }
            return Self.trimmed(cell)
        case .categoricalNumber:
            let value = number(cell)
            return value.isNaN ? nil : Self.numberText(value)
        }
    }

    /// The referee's `_num_text`: an integral value without a fraction (`3`), others in full (`2.5`).
    static func numberText(_ value: Double) -> String {
        if value.rounded() == value, abs(value) < 9.0e15 { return String(Int64(value)) }
        return "\(value)"
    }

    /// `text` without leading and trailing spaces and tabs (no copy when there are none).
    @inline(__always)
    static func trimmed(_ text: String) -> String {
        let utf8 = text.utf8
        guard let first = utf8.first, let last = utf8.last else { return text }
        let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t")
        if first != space, first != tab, last != space, last != tab { return text }
        return text.trimmingSpaces
    }

    /// The columns of `schema`, typed as the referee does.
    ///
    /// - Parameters:
    ///   - schema: The column kinds (and datetime formats).
    ///   - train: The real train table (needed for the target rule).
    ///   - target: The utility target, if any.
    static func columns(schema: Schema, train: Table, target: String?) throws -> [PrivacyColumn] {
        try schema.columns.map { column in
            guard let index = train.columnIndex(named: column.name) else {
                throw EvaluationError.missingColumn(column.name, table: "train")
            }
            switch column.kind {
            case .integer, .decimal, .datetime:
                let parser = try CellParser(kind: column.kind, format: column.format)
                let isDateTime = column.kind == .datetime
                if column.name == target {
                    var distinct = Set<Double>()
                    for cell in train.columns[index] {
                        var value = parser.value(cell)
                        if isDateTime { value /= 1e9 }
                        if !value.isNaN { distinct.insert(value) }
                        if distinct.count > 20 { break }
                    }
                    if distinct.count <= 20 {
                        return PrivacyColumn(name: column.name, kind: .categoricalNumber, parser: parser,
                                             isDateTime: isDateTime)
                    }
                }
                return PrivacyColumn(name: column.name, kind: .numeric, parser: parser, isDateTime: isDateTime)
            case .categorical, .boolean, .identifier, .text:
                return PrivacyColumn(name: column.name, kind: .categorical, parser: nil, isDateTime: false)
            }
        }
    }
}
