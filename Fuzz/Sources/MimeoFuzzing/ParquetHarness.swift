import Foundation
import MimeoData
import MimeoParquet

/// Fuzzes `ParquetReader`: the input bytes are a file, read whole (`ParquetReader.load`), or a `DataError`.
///
/// Checks on every accepted input: the table has the file's row count and one column per schema column,
/// all of that length, and the schema names the table's columns in order.
public enum ParquetHarness {
    /// The file the input is written to (one per process; libFuzzer runs inputs one at a time).
    static let path = NSTemporaryDirectory() + "mimeo-fuzz-parquet-\(getpid()).parquet"

    public static func run(_ data: [UInt8]) -> FuzzOutcome {
        guard FileManager.default.createFile(atPath: path, contents: Data(data)) else {
            fatalError("parquet harness: cannot write \(path)")
        }
        defer { unlink(path) }
        do {
            let reader = try ParquetReader(path: path)
            let (table, schema) = try ParquetReader.load(path: path)
            guard table.rowCount == reader.rowCount, table.columns.allSatisfy({ $0.count == reader.rowCount }),
                  table.columnNames == reader.columnNames, schema.columns.map(\.name) == table.columnNames else {
                fatalError("parquet harness: a table of \(table.columns.map(\.count)) rows and columns \(table.columnNames) "
                           + "from a file of \(reader.rowCount) rows and columns \(reader.columnNames)")
            }
            return .accepted
        } catch {
            return FuzzHarness.requireClean(error, .parquet)
        }
    }
}
