import Foundation
import MimeoData

/// The kinds of table file Mimeo reads and writes.
public enum TableFileFormat: String, Sendable, CaseIterable {
    case csv
    case parquet

    /// The format of an output path: Parquet for a `.parquet` name, CSV otherwise.
    public static func forOutput(path: String) -> TableFileFormat {
        path.lowercased().hasSuffix(".parquet") ? .parquet : .csv
    }
}

/// Reads a table from a CSV file (`.csv`, `.csv.gz`, `-`), a Parquet file (by its `.parquet` name or its
/// `PAR1` magic bytes), or a folder of parts (the `part-*` files a cluster job writes, or any `*.parquet`,
/// `*.csv` and `*.csv.gz` files in it, in name order; names starting with `_` or `.` are skipped), with the
/// interface of `TableLoader`:
///
/// ```swift
/// let table = try TableFileLoader().load(path: "data.parquet")
/// try TableFileLoader(rowLimit: 65_536).forEachChunk(path: "out/") { chunk, firstRow in … }
/// let names = try TableFileLoader.readHeader(path: "out/")
/// ```
///
/// Parquet cells come back as text (`ParquetReader`), nulls as nil; the delimiter and missing spellings
/// apply to CSV only. A declared schema is checked against Parquet columns as against CSV ones.
public struct TableFileLoader: Sendable {
    public var schema: Schema?
    public var delimiter: UInt8?
    public var rowLimit: Int?
    public var missingValues: [String]

    public init(schema: Schema? = nil, delimiter: UInt8? = UInt8(ascii: ","), rowLimit: Int? = nil,
                missingValues: [String]? = nil) {
        self.schema = schema
        self.delimiter = delimiter
        self.rowLimit = rowLimit
        self.missingValues = missingValues ?? schema?.missingValues ?? Schema.defaultMissingValues
    }

    private var csvLoader: TableLoader {
        TableLoader(schema: schema, delimiter: delimiter, rowLimit: rowLimit, missingValues: missingValues)
    }

    /// Whether `path` names a folder.
    public static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return path != "-" && FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// Whether `path` is a Parquet file: a `.parquet` name, or the `PAR1` magic at its start.
    public static func isParquet(_ path: String) -> Bool {
        guard path != "-", !isDirectory(path) else { return false }
        return path.lowercased().hasSuffix(".parquet") || ParquetReader.hasParquetMagic(path: path)
    }

    /// The part files of the folder `path`, in name order.
    ///
    /// - Throws: `DataError` if it has none, or mixes Parquet and CSV parts.
    public static func parts(of path: String) throws -> [String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            throw DataError(file: path, message: "cannot list the folder: \(error.localizedDescription)")
        }
        let tables = names.filter { name in
            let lower = name.lowercased()
            return !name.hasPrefix("_") && !name.hasPrefix(".") && !lower.contains(".tmp-")
                && (lower.hasSuffix(".parquet") || lower.hasSuffix(".csv") || lower.hasSuffix(".csv.gz"))
        }.sorted()
        guard !tables.isEmpty else {
            throw DataError(file: path, message: "the folder holds no table parts (*.parquet, *.csv or *.csv.gz)")
        }
        let parquet = tables.filter { $0.lowercased().hasSuffix(".parquet") }
        guard parquet.isEmpty || parquet.count == tables.count else {
            throw DataError(file: path, message: "the folder mixes Parquet and CSV parts; expected parts of one format")
        }
        let base = path.hasSuffix("/") ? String(path.dropLast()) : path
        return tables.map { "\(base)/\($0)" }
    }

    /// The files making up `path`: the path itself, or a folder's parts.
    public static func files(of path: String) throws -> [String] {
        isDirectory(path) ? try parts(of: path) : [path]
    }

    /// The column names of the table at `path` (a folder: its first part).
    public static func readHeader(path: String, delimiter: UInt8? = UInt8(ascii: ",")) throws -> [String] {
        let first = try files(of: path)[0]
        if isParquet(first) { return try ParquetReader(path: first).columnNames }
        return try TableLoader.readHeader(path: first, delimiter: delimiter)
    }

    /// The delimiter of the CSV at `path` (a folder: its first part) detected from its start; `,` for Parquet.
    public static func detectDelimiter(path: String) throws -> UInt8 {
        let first = try files(of: path)[0]
        if isParquet(first) { return UInt8(ascii: ",") }
        return try CSVReader(path: first, delimiter: nil).delimiter
    }

    /// Reads the whole table at `path`.
    ///
    /// - Throws: `DataError` for unreadable, malformed or mismatched files (parts whose columns differ).
    public func load(path: String) throws -> Table {
        try loadWithSchema(path: path).table
    }

    /// Reads the whole table at `path`, with the schema a Parquet file's logical types give (nil for CSV).
    public func loadWithSchema(path: String) throws -> (table: Table, schema: Schema?) {
        var result: Table?
        var fileSchema: Schema?
        for file in try Self.files(of: path) {
            var loader = self
            if let rowLimit { loader.rowLimit = rowLimit - (result?.rowCount ?? 0) }
            if let limit = loader.rowLimit, limit <= 0 { break }
            let table: Table
            if Self.isParquet(file) {
                let loaded = try ParquetReader.load(path: file, rowLimit: loader.rowLimit)
                try checkDeclared(loaded.table, file: file)
                table = loaded.table
                if fileSchema == nil { fileSchema = loaded.schema }
            } else {
                table = try loader.csvLoader.load(path: file)
            }
            if var merged = result {
                try Self.checkSameColumns(table.columnNames, as: merged.columnNames, file: file)
                for index in merged.columns.indices { merged.columns[index].append(contentsOf: table.columns[index]) }
                result = merged
            } else {
                result = table
            }
        }
        guard let table = result else { throw DataError(file: path, message: "no table to read") }
        return (table, fileSchema)
    }

    /// Reads the table at `path` and settles its schema: a Parquet file's (see `ParquetReader.settleSchema`,
    /// computed over all parts), or the one `inference` gives a CSV.
    public func loadInferring(path: String, inference: SchemaInference = SchemaInference()) throws -> (table: Table, schema: Schema) {
        let first = try Self.files(of: path)[0]
        let table = try load(path: path)
        if Self.isParquet(first) {
            return (table, try ParquetReader(path: first).settleSchema(with: table))
        }
        return (table, inference.inferSchema(from: table, missingValues: missingValues))
    }

    /// Reads the table at `path` in chunks of at most `rowLimit` rows (131,072 when unset), as
    /// `TableLoader.forEachChunk` does; Parquet row groups larger than that are split.
    public func forEachChunk(path: String, _ body: (_ chunk: Table, _ firstRow: Int) throws -> Void) throws {
        let chunkRows = max(1, rowLimit ?? 131_072)
        var firstRow = 0
        var header: [String]?
        for file in try Self.files(of: path) {
            var sawChunk = false
            func deliver(_ chunk: Table) throws {
                if let header {
                    try Self.checkSameColumns(chunk.columnNames, as: header, file: file)
                } else {
                    header = chunk.columnNames
                }
                if chunk.rowCount == 0 {
                    if firstRow == 0 && !sawChunk { try body(chunk, 0) }
                    sawChunk = true
                    return
                }
                sawChunk = true
                try body(chunk, firstRow)
                firstRow += chunk.rowCount
            }
            if Self.isParquet(file) {
                let reader = try ParquetReader(path: file)
                if reader.rowGroupCount == 0 { try deliver(Table(columnNames: reader.columnNames, columns: reader.columnNames.map { _ in [] })) }
                for group in 0 ..< reader.rowGroupCount {
                    let table = try reader.readRowGroup(group)
                    try checkDeclared(table, file: file)
                    var start = 0
                    repeat {
                        let end = min(table.rowCount, start + chunkRows)
                        try deliver(start == 0 && end == table.rowCount ? table : table.rows(start ..< end))
                        start = end
                    } while start < table.rowCount
                }
            } else {
                var loader = csvLoader
                loader.rowLimit = chunkRows
                try loader.forEachChunk(path: file) { chunk, _ in try deliver(chunk) }
            }
        }
    }

    private static func checkSameColumns(_ names: [String], as expected: [String], file: String) throws {
        guard names == expected else {
            throw DataError(file: file, message: "this part's columns (\(names.joined(separator: ", "))) differ from the first part's "
                + "(\(expected.joined(separator: ", ")))")
        }
    }

    /// Checks a Parquet table against the declared schema: the same columns, and values that fit them.
    private func checkDeclared(_ table: Table, file: String) throws {
        guard let schema else { return }
        for name in table.columnNames where schema.column(named: name) == nil {
            throw DataError(file: file, columnName: name, message: "unknown column '\(name)': the schema does not declare it")
        }
        for column in schema.columns {
            guard let index = table.columnIndex(named: column.name) else {
                throw DataError(file: file, columnName: column.name, message: "missing column '\(column.name)': the schema declares it but the file does not have it")
            }
            guard column.invalidValues == nil else { continue }
            let invalid = column.invalidValues(in: table.columns[index])
            if let example = invalid.examples.first {
                throw DataError(file: file, columnName: column.name,
                                message: "invalid value '\(example.value)' in row \(example.row): expected \(column.expectedValueDescription)")
            }
        }
    }
}
