import Foundation
import MimeoData
import MimeoGeneration
import MimeoTabular
import MimeoTestSupport
import Testing

@testable import MimeoParquet

/// Acceptance: training from the Parquet copy of a table gives the same model bytes as training from the CSV
/// (same seed), once the run's own facts (its duration and the input's file name) are set aside.
@Suite struct TrainingEquivalenceTests {
    static func train(_ table: Table, _ schema: Schema) throws -> TrainedModel {
        var options = TrainingOptions()
        options.maxEpochs = 1
        options.maxSeconds = 3600
        options.batchSize = 256
        options.threads = 2
        options.seed = 7
        var trained = try TrainingPipeline.train(table, schema: schema, sourceName: "adult-sample",
                                                 trainingOptions: options, widthFactor: 1)
        trained.metadata.training.seconds = 0
        trained.metadata.training.rowsPerSecond = 0
        return trained
    }

    @Test func parquetCopyOfAdultTrainsToTheSameModelBytes() throws {
        let directory = try TemporaryDirectory()
        // As `mimeo train` reads each: the CSV with inference, the Parquet copy with its own types.
        let (csvTable, csvSchema) = try TableFileLoader().loadInferring(path: Datasets.adultSample)
        let copy = directory.file("adult-sample.parquet")
        try ParquetWriter.write(csvTable, schema: csvSchema, to: copy)
        let (parquetTable, parquetSchema) = try TableFileLoader().loadInferring(path: copy)
        #expect(parquetSchema == csvSchema)
        #expect(parquetTable.columnNames == csvTable.columnNames)
        #expect(parquetTable.columns == csvTable.columns)
        let csvModel = try Self.train(csvTable, csvSchema)
        let parquetModel = try Self.train(parquetTable, parquetSchema)
        #expect(csvModel.metadata.training == parquetModel.metadata.training)
        #expect(csvModel.model.parameters == parquetModel.model.parameters, "the weights differ")
        let fromCSV = try ModelFile.encode(csvModel)
        let fromParquet = try ModelFile.encode(parquetModel)
        #expect(fromCSV.count > 100_000)
        // Compared as a Bool, so that a failure does not print megabytes.
        let identical = fromCSV == fromParquet
        #expect(identical, "model files of \(fromCSV.count) and \(fromParquet.count) bytes differ")
    }

    /// The same with a copy written by pyarrow (`pyarrow.csv.read_csv` with Mimeo's missing spellings as nulls,
    /// then `pyarrow.parquet.write_table`): no `mimeo.schema` in it, so the schema comes from its types alone.
    @Test(InteropTests.venv)
    func pyarrowCopyOfAdultTrainsToTheSameModelBytes() throws {
        let directory = try TemporaryDirectory()
        let copy = directory.file("adult-sample.parquet")
        let nulls = Schema.defaultMissingValues.map { "'\($0)'" }.joined(separator: ", ")
        let script = """
            import sys, pyarrow.csv as pc, pyarrow.parquet as pq
            options = pc.ConvertOptions(null_values=[\(nulls)], strings_can_be_null=True)
            pq.write_table(pc.read_csv(sys.argv[1], convert_options=options), sys.argv[2])
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: InteropTests.python)
        process.arguments = ["-c", script, Datasets.adultSample, copy]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let reader = try ParquetReader(path: copy)
        #expect(reader.storedSchema == nil)
        #expect(reader.metadata.createdBy?.hasPrefix("parquet-cpp-arrow") == true)
        let (csvTable, csvSchema) = try TableFileLoader().loadInferring(path: Datasets.adultSample)
        let (parquetTable, parquetSchema) = try TableFileLoader().loadInferring(path: copy)
        #expect(parquetSchema == csvSchema)
        #expect(parquetTable.columns == csvTable.columns)
        let fromCSV = try ModelFile.encode(try Self.train(csvTable, csvSchema))
        let fromParquet = try ModelFile.encode(try Self.train(parquetTable, parquetSchema))
        let identical = fromCSV == fromParquet
        #expect(identical, "model files of \(fromCSV.count) and \(fromParquet.count) bytes differ")
    }

    /// Generation to Parquet writes the same rows as generation to CSV, typed.
    @Test func generatedParquetHoldsTheCSVRows() throws {
        let (table, schema) = try TableFileLoader(rowLimit: 800).loadInferring(path: Datasets.adultSample)
        var options = TrainingOptions()
        options.maxEpochs = 1
        options.seed = 3
        options.threads = 1
        let trained = try TrainingPipeline.train(table, schema: schema, sourceName: "adult", trainingOptions: options)
        let sampler = try Sampler(model: trained.model, encoder: trained.metadata.encoder)
        let run = GenerationRun(sampler: sampler, rowCount: 10_000, seed: 5, threads: 2)
        var csv: [UInt8] = []
        try run.run(write: { csv += $0 })
        let directory = try TemporaryDirectory()
        let path = directory.file("synthetic.parquet")
        var writeOptions = ParquetWriteOptions()
        writeOptions.rowGroupBytes = 200_000
        let writer = try ParquetWriter(path: path, schema: run.parquetSchema, options: writeOptions)
        try run.run(into: writer)
        try writer.finish()
        let expected = try TableLoader().load(from: CSVReader(bytes: csv))
        let reader = try ParquetReader(path: path)
        #expect(reader.rowGroupCount > 1)
        let (read, _) = try ParquetReader.load(path: path)
        #expect(read.columnNames == expected.columnNames)
        #expect(read.columns == expected.columns)
    }
}
