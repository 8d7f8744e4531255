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
///
/// **Dirty columns.** When no kind fits every value, rules 2–5 are tried again allowing at most
/// `invalidShare` (2 %) of the non-missing values to fail: the kind with the fewest failures wins (ties in
/// rule order), and the column records them in `ColumnSchema.invalidValues` (their count and the first
/// five, with rows). Encoding reads them as missing. A boolean then needs both values of its pair; an
/// integer written with a redundant leading zero still marks a column of codes (never a failure), and
/// more than half the values must fit.
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
    /// Dirty columns: a number, boolean or datetime kind still holds when at most this share of the
    /// non-missing values fail it (they become missing). 0 turns this off.
    ///
    /// 2 %: one impossible date among 200 (0.5 %) or a few typing errors in a measured column are
    /// dirt, while a column in which one value in twenty is a word holds labels, not numbers.
    public var invalidShare = 0.02

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
    ///   - values: The column's cells; nil is missing. `values[i]` is on data row `i + 1`.
    public func inferColumn(named name: String, values: [String?]) -> ColumnSchema {
        var presentCount = 0
        for case .some in values { presentCount += 1 }
        guard presentCount > 0 else { return ColumnSchema(name: name, kind: .categorical) }

        let share = invalidShare.isFinite ? min(max(invalidShare, 0), 1) : 0
        // Fewer than half the values may fail, whatever the share.
        let allowed = min(Int((share * Double(presentCount)).rounded(.down)), (presentCount - 1) / 2)
        var best: (column: ColumnSchema, invalid: InvalidValues)?
        let fits: [() -> (ColumnSchema, InvalidValues)?] = [
            { Self.integerFit(name, values, allowed: allowed) },
            { Self.booleanFit(name, values, allowed: allowed) },
            { Self.decimalFit(name, values, allowed: allowed) },
            { Self.datetimeFit(name, values, allowed: allowed) },
        ]
        for fit in fits {
            guard let (column, invalid) = fit() else { continue }
            if invalid.count == 0 { return column }
            if best == nil || invalid.count < best!.invalid.count { best = (column, invalid) }
        }
        if let best {
            var column = best.column
            column.invalidValues = best.invalid
            return column
        }
        return inferTextColumn(named: name, values: values)
    }

    /// The kind of a column known to hold text (such as a Parquet STRING column): categorical, identifier
    /// or free text, by the rules `inferColumn` applies once no number, boolean or date-time fits.
    public func inferTextColumn(named name: String, values: [String?]) -> ColumnSchema {
        var presentCount = 0
        for case .some in values { presentCount += 1 }
        guard presentCount > 0 else { return ColumnSchema(name: name, kind: .categorical) }
        var distinct = Set<String>(minimumCapacity: min(presentCount, 1 << 16))
        var totalLength = 0
        var withSpace = 0
        for case let value? in values {
            distinct.insert(value)
            totalLength += value.utf8.count
            if value.utf8.contains(UInt8(ascii: " ")) { withSpace += 1 }
        }
        let count = Double(presentCount)
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

    /// Rule 2: integers, with at most `allowed` failures; nil when more fail or a value is an integer
    /// written with a leading zero (a code).
    private static func integerFit(_ name: String, _ values: [String?], allowed: Int) -> (ColumnSchema, InvalidValues)? {
        var invalid = InvalidValues()
        for (index, value) in values.enumerated() {
            guard let value else { continue }
            let (isInteger, isCode) = value.withUTF8Bytes { bytes -> (Bool, Bool) in
                let isInteger = ValueSyntax.isInteger(bytes)
                return (isInteger, isInteger && ValueSyntax.hasLeadingZero(bytes))
            }
            if isCode { return nil }
            if !isInteger {
                invalid.add(row: index + 1, value: value)
                if invalid.count > allowed { return nil }
            }
        }
        return (ColumnSchema(name: name, kind: .integer), invalid)
    }

    /// Rule 3: the two spellings of one known boolean pair (both present), with at most `allowed`
    /// other values.
    private static func booleanFit(_ name: String, _ values: [String?], allowed: Int) -> (ColumnSchema, InvalidValues)? {
        var counts: [String: Int] = [:]
        var others = 0
        for case let value? in values {
            if let count = counts[value] {
                counts[value] = count + 1
            } else if ValueSyntax.booleanPairs.contains(where: { $0.false == value || $0.true == value }) {
                counts[value] = 1
            } else {
                others += 1
                if others > allowed { return nil }
            }
        }
        var chosen: (pair: [String], count: Int)?
        for pair in ValueSyntax.booleanPairs {
            guard let falseCount = counts[pair.false], let trueCount = counts[pair.true] else { continue }
            if chosen == nil || falseCount + trueCount > chosen!.count {
                chosen = ([pair.false, pair.true], falseCount + trueCount)
            }
        }
        guard let chosen else { return nil }
        let present = counts.values.reduce(others, +)
        guard present - chosen.count <= allowed else { return nil }
        var invalid = InvalidValues()
        if present > chosen.count {
            for (index, value) in values.enumerated() {
                if let value, value != chosen.pair[0], value != chosen.pair[1] { invalid.add(row: index + 1, value: value) }
            }
        }
        return (ColumnSchema(name: name, kind: .boolean, booleanValues: chosen.pair), invalid)
    }

    /// Rule 4: finite decimal numbers, with at most `allowed` failures; `decimals` is the most places
    /// among the valid ones. Nil when more fail or a value is an integer written with a leading zero.
    private static func decimalFit(_ name: String, _ values: [String?], allowed: Int) -> (ColumnSchema, InvalidValues)? {
        var invalid = InvalidValues()
        var places = 0
        for (index, value) in values.enumerated() {
            guard let value else { continue }
            // The places of a valid value; nil for an invalid one, -1 for an integer with a leading zero.
            let verdict = value.withUTF8Bytes { bytes -> Int? in
                guard let number = NumberSyntax.number(utf8: bytes) else { return nil }
                if number.isWrittenAsInteger {
                    // Written like an integer, it must be one by rule 2.
                    guard ValueSyntax.isInteger(bytes) else { return nil }
                    if ValueSyntax.hasLeadingZero(bytes) { return -1 }
                }
                return number.places
            }
            guard let verdict else {
                invalid.add(row: index + 1, value: value)
                if invalid.count > allowed { return nil }
                continue
            }
            if verdict < 0 { return nil }
            places = max(places, verdict)
        }
        return (ColumnSchema(name: name, kind: .decimal, decimals: places), invalid)
    }

    /// Rule 5: the candidate layout with the fewest failures (at most `allowed`; ties to the earlier
    /// candidate), with `%f` fixed to `%Nf` when all its valid values have N fractional digits.
    private static func datetimeFit(_ name: String, _ values: [String?], allowed: Int) -> (ColumnSchema, InvalidValues)? {
        let candidates = DateTimeFormat.candidates
        var alive = Array(candidates.indices)
        var invalid = [InvalidValues](repeating: InvalidValues(), count: candidates.count)
        // nil: no value yet; -1: mixed widths.
        var fractionWidth = [Int?](repeating: nil, count: candidates.count)
        for (index, value) in values.enumerated() {
            guard let value else { continue }
            value.withUTF8Bytes { utf8 in
                var k = 0
                while k < alive.count {
                    let c = alive[k]
                    if let parsed = candidates[c].parseCountingFraction(utf8: utf8) {
                        if candidates[c].hasVariableFraction {
                            let width = fractionWidth[c]
                            if width == nil { fractionWidth[c] = parsed.fractionDigits }
                            else if width != parsed.fractionDigits { fractionWidth[c] = -1 }
                        }
                        k += 1
                    } else {
                        invalid[c].add(row: index + 1, value: value)
                        if invalid[c].count > allowed { alive.remove(at: k) } else { k += 1 }
                    }
                }
            }
            if alive.isEmpty { return nil }
        }
        guard let c = alive.min(by: { invalid[$0].count < invalid[$1].count }) else { return nil }
        var format = candidates[c]
        if let width = fractionWidth[c], width > 0 { format = format.fixingFractionWidth(width) }
        return (ColumnSchema(name: name, kind: .datetime, format: format.pattern), invalid[c])
    }
}
