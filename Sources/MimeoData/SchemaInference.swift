/// Infers a `Schema` from the cell text of a `Table`.
///
/// ```swift
/// let table = try Table.load(path: "flights-train.csv.gz")
/// let schema = SchemaInference().inferSchema(from: table)
/// schema.column(named: "time_hour")?.format      // "%Y-%m-%dT%H:%M:%SZ"
/// ```
///
/// Each column is judged on its non-missing (non-nil) values; the first rule that holds wins:
/// 1. **No values** (all missing): `categorical`.
/// 2. **integer**: every value is an optional sign and digits within 64-bit range, with no redundant leading
///    zero (`007` is a code, so such columns fall through to the string rules). `0`/`1` columns are integers.
/// 3. **boolean**: exactly two distinct values forming one known pair, false first in `booleanValues`:
///    `false`/`true`, `no`/`yes`, `n`/`y`, `f`/`t`, each in lower, title or upper case (not `0`/`1`).
/// 4. **decimal**: every value is a finite decimal number (`-1.5`, `.5`, `2e-3`; not `inf`/`nan`; a value
///    written like an integer must be one by rule 2: in 64-bit range, no leading zero). `decimals` is the
///    most digits after the point, counted without exponent (`1.5e-3` has 4), capped at 20.
/// 5. **datetime**: one of `DateTimeFormat.candidates` parses every value; the first such candidate is
///    kept in `format` (so `%m/%d/%Y` wins over `%d/%m/%Y` when both parse everything). A `%f` becomes
///    `%Nf` when all values have N fractional digits.
/// 6. **text**: mean length > `textMinimumMeanLength` (30) UTF-8 bytes, distinct/non-missing >
///    `textMinimumDistinctRatio` (0.5), and at least `textMinimumSpaceRatio` (half) of the values contain
///    a space.
/// 7. **identifier**: more than `identifierMinimumDistinct` (100) distinct values and distinct/non-missing >
///    `identifierMinimumDistinctRatio` (0.9): keys and codes, nearly one per row.
/// 8. Otherwise **categorical** (including high-cardinality labels such as flights' `tailnum`: 4,043 levels
///    over 267k values).
public struct SchemaInference: Sendable {
    /// Identifier rule: the number of distinct values must exceed this.
    public var identifierMinimumDistinct = 100
    /// Identifier rule: distinct / non-missing values must exceed this.
    public var identifierMinimumDistinctRatio = 0.9
    /// Text rule: the mean length in UTF-8 bytes must exceed this.
    public var textMinimumMeanLength = 30.0
    /// Text rule: distinct / non-missing values must exceed this.
    public var textMinimumDistinctRatio = 0.5
    /// Text rule: at least this fraction of the values must contain a space.
    public var textMinimumSpaceRatio = 0.5

    /// Inference with the default thresholds.
    public init() {}

    /// The schema of `table`, one inferred column per table column, in order.
    ///
    /// - Parameters:
    ///   - table: Cell text; nil cells are missing.
    ///   - missingValues: The spellings recorded in the schema as missing (those the table was read with).
    public func inferSchema(from table: Table, missingValues: [String] = Schema.defaultMissingValues) -> Schema {
        let columns = zip(table.columnNames, table.columns).map { inferColumn(named: $0, values: $1) }
        return Schema(columns: columns, missingValues: missingValues)
    }

    /// The inferred type of one column.
    ///
    /// - Parameters:
    ///   - name: The column's name.
    ///   - values: The column's cells; nil is missing.
    public func inferColumn(named name: String, values: [String?]) -> ColumnSchema {
        var present: [String] = []
        present.reserveCapacity(values.count)
        for case let value? in values { present.append(value) }
        guard !present.isEmpty else { return ColumnSchema(name: name, kind: .categorical) }

        if Self.allIntegers(present) { return ColumnSchema(name: name, kind: .integer) }
        if let pair = Self.booleanPair(present) {
            return ColumnSchema(name: name, kind: .boolean, booleanValues: pair)
        }
        if let places = Self.decimalPlaces(present) {
            return ColumnSchema(name: name, kind: .decimal, decimals: places)
        }
        if let format = DateTimeFormat.infer(from: present) {
            return ColumnSchema(name: name, kind: .datetime, format: format.pattern)
        }

        var distinct = Set<String>(minimumCapacity: min(present.count, 1 << 16))
        var totalLength = 0
        var withSpace = 0
        for value in present {
            distinct.insert(value)
            totalLength += value.utf8.count
            if value.utf8.contains(UInt8(ascii: " ")) { withSpace += 1 }
        }
        let count = Double(present.count)
        let distinctRatio = Double(distinct.count) / count
        if Double(totalLength) / count > textMinimumMeanLength && distinctRatio > textMinimumDistinctRatio
            && Double(withSpace) / count >= textMinimumSpaceRatio {
            return ColumnSchema(name: name, kind: .text)
        }
        if distinct.count > identifierMinimumDistinct && distinctRatio > identifierMinimumDistinctRatio {
            return ColumnSchema(name: name, kind: .identifier)
        }
        return ColumnSchema(name: name, kind: .categorical)
    }

    private static func allIntegers(_ values: [String]) -> Bool {
        for value in values {
            let isPlainInteger = value.withUTF8Bytes { ValueSyntax.isInteger($0) && !ValueSyntax.hasLeadingZero($0) }
            if !isPlainInteger { return false }
        }
        return true
    }

    /// The known boolean pair, false first, when the values are exactly its two spellings.
    private static func booleanPair(_ values: [String]) -> [String]? {
        guard let first = values.first else { return nil }
        var second: String?
        for value in values where value != first {
            if let second {
                if value != second { return nil }
            } else {
                second = value
            }
        }
        guard let second else { return nil }
        return ValueSyntax.booleanPair(first, second)
    }

    /// The largest number of decimal places when every value is a decimal number; nil otherwise.
    private static func decimalPlaces(_ values: [String]) -> Int? {
        var places = 0
        for value in values {
            let isValid = value.withUTF8Bytes { text -> Bool in
                guard let shape = ValueSyntax.decimalShape(text) else { return false }
                if !shape.hasPointOrExponent && (!ValueSyntax.isInteger(text) || ValueSyntax.hasLeadingZero(text)) {
                    return false
                }
                places = max(places, shape.places)
                return true
            }
            if !isValid { return nil }
        }
        return places
    }
}
