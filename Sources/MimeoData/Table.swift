/// A table held in memory, column by column, as the cell text of the source.
///
/// Missing cells are `nil` (any of the schema's missing spellings). Values keep their source
/// spelling so that output can reproduce the source's formats.
public struct Table: Sendable {
    /// The column names, in file order.
    public var columnNames: [String]
    /// `columns[c][r]` is the cell of row `r` in column `c`; `nil` when missing.
    public var columns: [[String?]]

    public init(columnNames: [String], columns: [[String?]]) {
        precondition(columnNames.count == columns.count, "one column per name")
        self.columnNames = columnNames
        self.columns = columns
    }

    /// The number of rows.
    public var rowCount: Int { columns.first?.count ?? 0 }

    /// The index of the column named `name`, if any.
    public func columnIndex(named name: String) -> Int? {
        columnNames.firstIndex(of: name)
    }

    /// The rows `range` of this table, as a new table.
    public func rows(_ range: Range<Int>) -> Table {
        Table(columnNames: columnNames, columns: columns.map { Array($0[range]) })
    }
}
