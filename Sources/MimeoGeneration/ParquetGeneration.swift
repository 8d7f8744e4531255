import MimeoData
import MimeoParquet
import MimeoTabular

extension GenerationRun {
    /// The schema a generated Parquet file is written with: the model's, with the empty cell (how
    /// generation writes a missing value) read as missing.
    public var parquetSchema: Schema {
        var schema = sampler.encoder.schema
        if !schema.missingValues.contains("") { schema.missingValues.append("") }
        return schema
    }

    /// Generates the batches `batches` (all of the job's by default) into `writer` (made with
    /// `parquetSchema`), as `run(write:progress:)` does into a CSV: the same rows, typed, a row group at a
    /// time. `progress` receives the number of rows done. The caller finishes the writer.
    public func run(into writer: ParquetWriter, batches: Range<Int>? = nil, progress: (Int) -> Void = { _ in }) throws {
        let delimiter = sampler.delimiter
        var done = 0
        try run(batches: batches ?? 0 ..< Self.batchCount(rowCount: rowCount),
                process: { _, rows, bytes in (rows, bytes) }) { group in
            for (rows, bytes) in group {
                try writer.append(csvRows: bytes, delimiter: delimiter)
                done += rows
            }
            progress(done)
        }
    }
}
