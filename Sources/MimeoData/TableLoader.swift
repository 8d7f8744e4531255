import Foundation

/// Reads a whole CSV file into a `Table`, optionally checking it against a `Schema`.
///
/// ```swift
/// let table = try TableLoader().load(path: "adult-train.csv")
/// let checked = try TableLoader(schema: schema, rowLimit: 1000).load(path: "adult-train.csv")
/// let names = try TableLoader.readHeader(path: "flights.csv.gz")
/// ```
///
/// Cells spelled as one of `missingValues` become nil. With a schema:
/// - the header must have exactly the schema's columns (in any order; the table keeps the file's order),
///   otherwise the error names the unknown or missing columns;
/// - every non-missing cell must fit its column's kind (see `ColumnSchema.accepts(_:)`), otherwise the
///   error gives the line, column number and name, the value and what was expected; except in a column
///   with `invalidValues` (a dirty column), whose invalid cells are kept for encoding to read as missing.
public struct TableLoader: Sendable {
    /// The schema to check the file against, if any.
    public var schema: Schema?
    /// The field delimiter byte; nil detects it from each file's start (`CSVReader.detectDelimiter`).
    public var delimiter: UInt8?
    /// Read at most this many data rows (all when nil).
    public var rowLimit: Int?
    /// Cell spellings read as missing: the schema's when it has one, else `Schema.defaultMissingValues`.
    public var missingValues: [String]

    /// - Parameters:
    ///   - schema: Checks the header and every cell when given.
    ///   - delimiter: The field delimiter byte (`,` by default; nil detects it).
    ///   - rowLimit: Read at most this many data rows.
    ///   - missingValues: Overrides the missing spellings.
    public init(schema: Schema? = nil, delimiter: UInt8? = UInt8(ascii: ","), rowLimit: Int? = nil,
                missingValues: [String]? = nil) {
        self.schema = schema
        self.delimiter = delimiter
        self.rowLimit = rowLimit
        self.missingValues = missingValues ?? schema?.missingValues ?? Schema.defaultMissingValues
    }

    /// The column names of the CSV file at `path`, reading only its header.
    public static func readHeader(path: String, delimiter: UInt8? = UInt8(ascii: ",")) throws -> [String] {
        try CSVReader(path: path, delimiter: delimiter, chunkSize: 1 << 16).header
    }

    /// Reads the CSV file at `path` (`-` for standard input; gzip is detected).
    ///
    /// - Throws: `DataError` for unreadable or malformed files, header/schema mismatches and invalid values.
    public func load(path: String) throws -> Table {
        try load(from: CSVReader(path: path, delimiter: delimiter))
    }

    /// Reads the CSV file at `path` in chunks of `rowLimit` rows (131,072 when unset), calling `body`
    /// with each chunk and the index of its first row, so memory stays bounded whatever the file's
    /// length. A file with a header and no rows gives one empty chunk, so that callers still see
    /// (and can check) its columns.
    ///
    /// ```swift
    /// try TableLoader(rowLimit: 65_536).forEachChunk(path: "synthetic.csv.gz") { chunk, firstRow in … }
    /// ```
    public func forEachChunk(path: String, _ body: (_ chunk: Table, _ firstRow: Int) throws -> Void) throws {
        var loader = self
        loader.rowLimit = max(1, rowLimit ?? 131_072)
        let reader = try CSVReader(path: path, delimiter: delimiter)
        var firstRow = 0
        while true {
            let chunk = try loader.load(from: reader)
            if chunk.rowCount == 0 {
                if firstRow == 0 { try body(chunk, 0) }
                return
            }
            try body(chunk, firstRow)
            firstRow += chunk.rowCount
        }
    }

    /// Reads the remaining records of `reader`.
    public func load(from reader: CSVReader) throws -> Table {
        let header = reader.header
        let validators = try makeValidators(header: header, reader: reader)
        let missing = MissingSpellings(missingValues)
        defer { missing.deallocate() }
        let columnCount = header.count
        // One growing array per column, reached through a pointer to avoid nested-array copies and checks.
        let builders = UnsafeMutablePointer<[String?]>.allocate(capacity: columnCount)
        builders.initialize(repeating: [], count: columnCount)
        defer {
            builders.deinitialize(count: columnCount)
            builders.deallocate()
        }
        let record = reader.record
        var rowCount = 0
        while rowLimit.map({ rowCount < $0 }) ?? true, try reader.readRecord() {
            for column in 0 ..< columnCount {
                let field = record.pointee.field(column)
                if missing.contains(field) {
                    builders[column].append(nil)
                    continue
                }
                if let validator = validators[column], !validator.accepts(field) {
                    let value = String(decoding: field, as: UTF8.self)
                    let expected = schema?.column(named: header[column])?.expectedValueDescription ?? ""
                    throw reader.error("invalid value \(Self.quoted(value)): expected \(expected)",
                                       line: reader.recordLine, column: column + 1)
                }
                builders[column].append(String(decoding: field, as: UTF8.self))
            }
            rowCount += 1
        }
        let columns = (0 ..< columnCount).map { builders[$0] }
        return Table(columnNames: header, columns: columns)
    }

    /// Checks the header against the schema; returns each column's value check (nil: no check needed).
    private func makeValidators(header: [String], reader: CSVReader) throws -> [ColumnValidator?] {
        guard let schema else { return Array(repeating: nil, count: header.count) }
        var validators: [ColumnValidator?] = []
        for (index, name) in header.enumerated() {
            guard let column = schema.column(named: name) else {
                let known = schema.columns.map(\.name).joined(separator: ", ")
                throw reader.error(
                    "unknown column '\(name)': the schema does not declare it; expected one of: \(known)",
                    line: reader.headerLine, column: index + 1)
            }
            guard let validator = ColumnValidator(column) else {
                throw reader.error("the schema's format '\(column.format ?? "")' for column '\(name)' is not a "
                                   + "valid date-time pattern", line: reader.headerLine, column: index + 1)
            }
            // A column the schema marks dirty takes invalid values through (encoding reads them as missing).
            validators.append(validator.acceptsAnything || column.invalidValues != nil ? nil : validator)
        }
        let present = Set(header)
        let absent = schema.columns.map(\.name).filter { !present.contains($0) }
        if let first = absent.first {
            let list = absent.map { "'\($0)'" }.joined(separator: ", ")
            throw DataError(file: reader.path, line: reader.headerLine, columnName: first,
                            message: "missing column\(absent.count > 1 ? "s" : "") \(list): the schema declares "
                                + "\(absent.count > 1 ? "them" : "it") but the header does not have "
                                + "\(absent.count > 1 ? "them" : "it")")
        }
        return validators
    }

    /// The missing-value spellings as bytes in manually managed memory, for a per-cell check that stays
    /// fast in debug builds too. The owner calls `deallocate()`.
    private struct MissingSpellings {
        let bytes: UnsafeMutablePointer<UInt8>
        let starts: UnsafeMutablePointer<Int>
        let lengths: UnsafeMutablePointer<Int>
        let count: Int
        let maxLength: Int

        init(_ spellings: [String]) {
            let flat = spellings.flatMap { Array($0.utf8) }
            bytes = .allocate(capacity: max(flat.count, 1))
            bytes.initialize(from: flat, count: flat.count)
            count = spellings.count
            starts = .allocate(capacity: max(count, 1))
            lengths = .allocate(capacity: max(count, 1))
            var offset = 0
            var longest = -1
            for (index, spelling) in spellings.enumerated() {
                starts[index] = offset
                lengths[index] = spelling.utf8.count
                offset += spelling.utf8.count
                longest = max(longest, spelling.utf8.count)
            }
            maxLength = longest
        }

        func deallocate() {
            bytes.deallocate()
            starts.deallocate()
            lengths.deallocate()
        }

        @inline(__always)
        func contains(_ field: UnsafeBufferPointer<UInt8>) -> Bool {
            let fieldCount = field.count
            guard fieldCount <= maxLength else { return false }
            if fieldCount == 0 {
                for index in 0 ..< count where lengths[index] == 0 { return true }
                return false
            }
            guard let fieldBase = field.baseAddress else { return false }
            for index in 0 ..< count where lengths[index] == fieldCount {
                if memcmp(bytes + starts[index], fieldBase, fieldCount) == 0 { return true }
            }
            return false
        }
    }

    /// `value` in quotes for a message, shortened when long.
    static func quoted(_ value: String) -> String {
        value.count > 60 ? "'\(value.prefix(57))...'" : "'\(value)'"
    }
}

extension Table {
    /// Reads the CSV file at `path` into a table (see `TableLoader`).
    ///
    /// - Parameters:
    ///   - path: The CSV file (`.csv.gz` works too; `-` is standard input).
    ///   - schema: Checks the header and every cell when given.
    ///   - delimiter: The field delimiter byte (nil detects it).
    ///   - rowLimit: Read at most this many data rows.
    public static func load(path: String, schema: Schema? = nil, delimiter: UInt8? = UInt8(ascii: ","),
                            rowLimit: Int? = nil) throws -> Table {
        try TableLoader(schema: schema, delimiter: delimiter, rowLimit: rowLimit).load(path: path)
    }
}
