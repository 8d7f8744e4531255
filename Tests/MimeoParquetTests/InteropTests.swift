import Foundation
import MimeoData
import MimeoTestSupport
import Testing

@testable import MimeoParquet

/// Files Mimeo writes, read back by pyarrow and DuckDB (Tests/interop/parquet_check.py, in the venv of
/// `make parquet-venv`), every value, null and type compared with the source cells.
@Suite struct InteropTests {
    static let python = Datasets.packageRoot + "/.build/venv-parquet/bin/python"
    static let script = Datasets.packageRoot + "/Tests/interop/parquet_check.py"
    static let venv = ConditionTrait.enabled(
        if: FileManager.default.isExecutableFile(atPath: python),
        "needs the test venv with pyarrow and duckdb: run `make parquet-venv`")

    /// Writes `table` with `schema` and its source cells, runs the checker, and returns its output.
    static func check(_ table: Table, schema: Schema, options: ParquetWriteOptions) throws -> (Int32, String) {
        let directory = try TemporaryDirectory()
        let path = directory.file("table.parquet")
        try ParquetWriter.write(table, schema: schema, to: path, options: options)
        var columns: [String: Any] = [:]
        for (name, cells) in zip(table.columnNames, table.columns) { columns[name] = cells.map { $0 as Any? ?? NSNull() } }
        let schemaObject = try JSONSerialization.jsonObject(with: JSONEncoder().encode(schema))
        let source = try JSONSerialization.data(withJSONObject: ["schema": schemaObject, "columns": columns])
        let sourcePath = try directory.write(Array(source), to: "source.json")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script, path, sourcePath]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    @Test(venv, arguments: [ParquetCodec.zstd, .snappy, .gzip, .uncompressed])
    func adultSampleReadsBackInPyarrowAndDuckDB(codec: ParquetCodec) throws {
        let table = try Table.load(path: Datasets.adultSample)
        let schema = SchemaInference().inferSchema(from: table)
        var options = ParquetWriteOptions(codec: codec)
        options.rowGroupBytes = 100_000     // several row groups
        let (status, output) = try Self.check(table, schema: schema, options: options)
        #expect(status == 0, "\(output)")
        #expect(output.contains("15 columns x 5000 rows"), "\(output)")
    }

    /// Real tables with yes/no booleans (bank marketing) and UTC date-times with missing values (flights).
    @Test(venv, Datasets.required(Datasets.bankTrain, Datasets.flightsTrain),
          arguments: [Datasets.bankTrain, Datasets.flightsTrain])
    func sharedDatasetsReadBackInPyarrowAndDuckDB(path: String) throws {
        let table = try TableLoader(rowLimit: 3000).load(path: path)
        let schema = SchemaInference().inferSchema(from: table)
        #expect(schema.columns.contains { $0.kind == .boolean || $0.kind == .datetime })
        let (status, output) = try Self.check(table, schema: schema, options: ParquetWriteOptions())
        #expect(status == 0, "\(output)")
        #expect(output.contains("x 3000 rows") && output.contains("0 problems"), "\(output)")
    }

    @Test(venv)
    func everyKindReadsBackInPyarrowAndDuckDB() throws {
        var options = ParquetWriteOptions()
        options.dictionaryLimit = 3000
        options.pageBytes = 8192
        let (status, output) = try Self.check(MixedTable.table(rows: 2000), schema: MixedTable.schema, options: options)
        #expect(status == 0, "\(output)")
        #expect(output.contains("0 problems"), "\(output)")
    }
}
