import MimeoData

/// Every `step`-th row of a table read chunk by chunk, `step` chosen from the table's row count
/// so that at most `limit` rows are kept: an even sample of a file too big to chart whole. Unlike
/// its first rows, it also represents a file sorted by some column (flights by date, say).
///
/// ```swift
/// var sample = RowSample(rowCount: 1_000_000, limit: 50_000)   // step 20
/// for chunk in chunks { sample.add(chunk) }                  // in file order
/// let table = sample.table                                    // rows 0, 20, 40, …
/// ```
public struct RowSample: Sendable {
    /// Keeps rows `0, step, 2 * step, …` of the whole table.
    public let step: Int
    /// The rows kept so far (no columns before the first chunk).
    public private(set) var table = Table(columnNames: [], columns: [])
    /// Rows seen so far.
    public private(set) var rowsSeen = 0

    /// A sample of at most `limit` rows of a table of `rowCount` rows.
    public init(rowCount: Int, limit: Int) {
        precondition(limit > 0, "keep at least one row")
        step = max(1, (rowCount + limit - 1) / limit)
    }

    /// Adds the next rows of the table (every chunk must have the same columns).
    public mutating func add(_ chunk: Table) {
        if rowsSeen == 0 && table.columnNames.isEmpty {
            table = Table(columnNames: chunk.columnNames, columns: chunk.columnNames.map { _ in [] })
        }
        precondition(chunk.columnNames == table.columnNames, "every chunk has the same columns")
        let first = (step - rowsSeen % step) % step
        let picked = Array(stride(from: first, to: chunk.rowCount, by: step))
        for c in table.columns.indices {
            table.columns[c].append(contentsOf: picked.lazy.map { chunk.columns[c][$0] })
        }
        rowsSeen += chunk.rowCount
    }
}
