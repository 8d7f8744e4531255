import MimeoData

/// A table from named columns of cell text (nil = missing).
func makeTable(_ columns: KeyValuePairs<String, [String?]>) -> Table {
    Table(columnNames: columns.map(\.key), columns: columns.map(\.value))
}

/// A schema of `(name, kind)` pairs.
func makeSchema(_ columns: KeyValuePairs<String, ColumnKind>) -> Schema {
    Schema(columns: columns.map { ColumnSchema(name: $0.key, kind: $0.value) })
}

/// Numbers as cell text.
func cells(_ values: [Double]) -> [String?] {
    values.map { $0.isNaN ? nil : ($0 == $0.rounded() ? String(Int($0)) : String($0)) }
}
