import MimeoData

/// The share of synthetic rows identical to some train row, in every column (the referee's
/// `exact_dup_share`). The natural baseline is the same share for real holdout rows
/// (`holdout_exact_dup_share`): real data has duplicates too (adult: 52 repeated rows).
///
///     share = |{ s ∈ S : key(s) ∈ { key(t) : t ∈ T } }| / |S|
///
/// Keys compare cells exactly, as text, not by distance: numbers (and datetimes, as epoch seconds)
/// rounded to 6 decimals, categories by their text, a missing cell as a token of its own.
///
/// ```swift
/// let share = try ExactMatchShare.compute(train: train, synthetic: synthetic, schema: schema)
/// ```
public enum ExactMatchShare {
    public static let name = "ExactMatchShare"
    public static let goal = MetricGoal.minimize
    public static let range: ClosedRange<Double> = 0 ... 1

    /// The share of `synthetic` rows identical to a `train` row; nil for an empty synthetic table.
    ///
    /// - Parameters:
    ///   - train: The real train table.
    ///   - synthetic: The table to check; it must have the schema's columns.
    ///   - schema: The column kinds (numbers are compared as numbers, so `3` equals `3.0`).
    ///   - target: The utility target (a number target with ≤ 20 values is compared as a category).
    public static func compute(train: Table, synthetic: Table, schema: Schema, target: String? = nil) throws -> Double? {
        guard synthetic.rowCount > 0 else { return nil }
        let encoder = try DistanceEncoder(train: train, schema: schema, target: target, maxLevels: 0)
        let index = try ExactMatchIndex(train: train, encoder: encoder)
        let indices = try encoder.columnIndices(in: synthetic, tableName: "synthetic")
        var key: [UInt8] = []
        var matches = 0
        for row in 0 ..< synthetic.rowCount where index.contains(synthetic, indices: indices, row: row, key: &key) {
            matches += 1
        }
        return Double(matches) / Double(synthetic.rowCount)
    }
}

/// The exact-match keys of every train row (see `ExactMatchShare`).
struct ExactMatchIndex: Sendable {
    /// A row key, hashed as one block of bytes (an array hashes byte by byte).
    struct Key: Hashable, Sendable {
        var bytes: [UInt8]

        func hash(into hasher: inout Hasher) {
            bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
        }
    }

    let encoder: DistanceEncoder
    private let keys: Set<Key>

    init(train: Table, encoder: DistanceEncoder) throws {
        self.encoder = encoder
        let indices = try encoder.columnIndices(in: train, tableName: "train")
        var keys = Set<Key>(minimumCapacity: train.rowCount)
        var key: [UInt8] = []
        for row in 0 ..< train.rowCount {
            encoder.rowKey(train, indices: indices, row: row, into: &key)
            keys.insert(Key(bytes: key))
        }
        self.keys = keys
    }

    /// Whether row `row` of `table` equals some train row. `key` is scratch space.
    func contains(_ table: Table, indices: [Int], row: Int, key: inout [UInt8]) -> Bool {
        encoder.rowKey(table, indices: indices, row: row, into: &key)
        return keys.contains(Key(bytes: key))
    }

    /// The number of rows of `table` in `rows` that equal some train row.
    func countMatches(_ table: Table, indices: [Int], rows: Range<Int>) -> Int {
        var key: [UInt8] = []
        var matches = 0
        for row in rows where contains(table, indices: indices, row: row, key: &key) { matches += 1 }
        return matches
    }
}
