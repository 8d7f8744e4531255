import MimeoData
import MimeoTensor

/// Turns rows into token sequences and back: one or more *sub-columns* per column (none for
/// identifiers), each a token in `0..<cardinality`.
public struct TableEncoder: Codable, Sendable {
    public var schema: Schema
    public var encodings: [ColumnEncoding]

    /// Chooses every column's encoding from reduced statistics.
    public init(statistics: TableStatistics, options: EncodingOptions) {
        schema = statistics.schema
        encodings = zip(statistics.columns, statistics.schema.columns).map {
            ColumnEncoding(statistics: $0, schema: $1, options: options)
        }
    }

    /// An encoder of agreed column encodings (one per schema column, in order), such as the federated
    /// encoding agreement reduces.
    public init(schema: Schema, encodings: [ColumnEncoding]) {
        precondition(schema.columns.count == encodings.count, "one encoding per column")
        self.schema = schema
        self.encodings = encodings
    }

    /// The vocabulary size of each sub-column, in column order.
    public var subColumnCardinalities: [Int] { encodings.flatMap(\.cardinalities) }

    /// For each sub-column, the index of its column.
    public var subColumnColumns: [Int] {
        encodings.enumerated().flatMap { index, encoding in Array(repeating: index, count: encoding.cardinalities.count) }
    }

    /// For each column, the index of its first sub-column (and, last, the total count).
    public var firstSubColumns: [Int] {
        var result = [0]
        for encoding in encodings { result.append(result.last! + encoding.cardinalities.count) }
        return result
    }

    /// Encodes every row of `table` (columns in schema order): `tokens[r * S + s]`. In a dirty column
    /// (`ColumnSchema.invalidValues` set), values that do not fit the kind become the null token.
    public func encode(_ table: Table) -> [Int32] {
        let S = firstSubColumns.last!
        let N = table.rowCount
        var tokens = [Int32](repeating: 0, count: N * S)
        let first = firstSubColumns
        tokens.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            for (c, encoding) in encodings.enumerated() {
                let column = schema.columns[c]
                let values = column.invalidValues == nil ? table.columns[c] : column.nullingInvalidValues(table.columns[c])
                let s = first[c]
                switch encoding {
                case .categorical(let e):
                    let lookup = e.makeLookup()
                    for r in 0..<N { e.split(e.encode(values[r], lookup: lookup), into: base + r * S + s) }
                case .numeric(let e):
                    let lookup = e.makeLookup()
                    for r in 0..<N { e.encode(values[r].flatMap { NumberSyntax.parse($0) }, lookup: lookup, into: base + r * S + s) }
                case .datetime(let e):
                    let format = DateTimeFormat(pattern: e.format), yearLookup = e.years?.makeLookup()
                    for r in 0..<N {
                        e.encode(values[r].flatMap { format?.parse($0) }, yearLookup: yearLookup, into: base + r * S + s)
                    }
                case .identifier:
                    break
                }
            }
        }
        return tokens
    }

    /// The tokens of one value of column `column`, for conditioning (`--where`).
    ///
    /// - Throws: `ConditionError` when the value cannot be represented (an unknown category, a value
    ///   that is not a number or date of the column's format).
    public func encode(value: String?, column: Int) throws -> [Int32] {
        let name = schema.columns[column].name
        switch encodings[column] {
        case .categorical(let e):
            let token: Int32
            if let value {
                guard let found = e.makeLookup()[value] else {
                let known = e.values.compactMap { $0 }.prefix(8).map { "'\($0)'" }.joined(separator: ", ")
                    throw ConditionError(message: "column '\(name)' has no value '\(value)' that can be generated"
                                         + " (rare or unseen); known values include \(known)")
                }
                token = found
            } else {
                guard let null = e.nullToken else { throw Self.noMissing(name) }
                token = null
            }
            var tokens = [Int32](repeating: 0, count: e.subColumnCardinalities.count)
            tokens.withUnsafeMutableBufferPointer { e.split(token, into: $0.baseAddress!) }
            return tokens
        case .numeric(let e):
            guard let value else {
                guard let null = e.nullToken else { throw Self.noMissing(name) }
                return [null] + (e.subRangeCount > 1 ? [0] : [])
            }
            guard let number = NumberSyntax.parse(value) else {
                throw ConditionError(message: "column '\(name)' holds numbers; '\(value)' is not one: expected "
                                     + "digits with an optional sign, decimal point and exponent (such as 40, "
                                     + "-1.5 or 2e3; no hexadecimal, spaces, inf or nan)")
            }
            if e.isInteger && number != number.rounded() {
                throw ConditionError(message: "column '\(name)' holds whole numbers; '\(value)' is not one")
            }
            guard number >= e.minimum && number <= e.maximum else {
                throw ConditionError(message: "column '\(name)' ranges from \(e.minimum) to \(e.maximum); \(value) is outside")
            }
            var tokens = [Int32](repeating: 0, count: e.cardinalities.count)
            tokens.withUnsafeMutableBufferPointer { e.encode(number, lookup: e.makeLookup(), into: $0.baseAddress!) }
            return tokens
        case .datetime(let e):
            var tokens = [Int32](repeating: 0, count: e.cardinalities.count)
            let parts: DateTimeParts?
            if let value {
                guard let parsed = DateTimeFormat(pattern: e.format)?.parse(value) else {
                    throw ConditionError(message: "column '\(name)' holds dates formatted '\(e.format)'; '\(value)' is not one")
                }
                parts = parsed
            } else {
                guard e.hasNull else { throw Self.noMissing(name) }
                parts = nil
            }
            tokens.withUnsafeMutableBufferPointer { e.encode(parts, into: $0.baseAddress!) }
            return tokens
        case .identifier:
            throw ConditionError(message: "column '\(name)' is an identifier; it is not modelled and cannot be fixed")
        }
    }
}

extension TableEncoder {
    static func noMissing(_ name: String) -> ConditionError {
        ConditionError(message: "column '\(name)' had no missing values in training; it cannot be fixed to missing")
    }
}

/// A `--where` condition that cannot be met.
public struct ConditionError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}
