import Foundation
import MimeoData

/// The train verb as a library call: analyze → reduce → encode → fit.
public enum TrainingPipeline {
    /// Rows per chunk in the analyze step (chunks are reduced into one set of statistics, as the
    /// cluster will do across workers).
    public static let analyzeChunkRows = 65_536

    /// Analyzes `table` chunk by chunk and reduces the chunks' statistics.
    public static func analyze(_ table: Table, schema: Schema) -> TableStatistics {
        var statistics: TableStatistics?
        var start = 0
        repeat {
            let end = min(table.rowCount, start + analyzeChunkRows)
            let chunk = TableStatistics.analyze(table.rows(start..<end), schema: schema)
            if statistics == nil { statistics = chunk } else { statistics!.reduce(chunk) }
            start = end
        } while start < table.rowCount
        return statistics!
    }

    /// `schema` in the table's column order, with a format filled in for every datetime column declared
    /// without one (inferred from the column's values; `%Y-%m-%d` when none fits).
    public static func resolvingDatetimeFormats(_ schema: Schema, table: Table) -> Schema {
        var resolved = schema
        resolved.columns = table.columnNames.map { name in
            schema.column(named: name) ?? ColumnSchema(name: name, kind: .categorical)
        }
        for (index, column) in resolved.columns.enumerated() where column.kind == .datetime && column.format == nil {
            let values = table.columns[index].lazy.compactMap { $0 }
            resolved.columns[index].format = DateTimeFormat.infer(from: values)?.pattern ?? "%Y-%m-%d"
        }
        return resolved
    }

    /// Trains a model of `table` (columns in `schema` order).
    ///
    /// - Parameters:
    ///   - sourceName: The input's file name, recorded in the model.
    ///   - contextWidth: Full or projected architecture (see `ModelArchitecture.contextWidth`).
    ///   - plan: Called once the architecture is known and before any weight is allocated, with the
    ///     estimate of the run's memory and time; it may throw to refuse the run
    ///     (`TrainingEstimate.check`).
    ///   - progress: Called a few times a second with the training state.
    /// - Throws: what `plan` throws; `TrainingError.diverged` when training diverges.
    public static func train(
        _ table: Table, schema: Schema, sourceName: String,
        encodingOptions: EncodingOptions = EncodingOptions(),
        trainingOptions: TrainingOptions = TrainingOptions(),
        widthFactor: Double = 16,
        contextWidth: ContextWidthChoice = .automatic,
        plan: (TrainingEstimate, ModelArchitecture) throws -> Void = { _, _ in },
        progress: (TrainingProgress) -> Void = { _ in }
    ) throws -> TrainedModel {
        let schema = resolvingDatetimeFormats(schema, table: table)
        let statistics = analyze(table, schema: schema)
        let encoder = TableEncoder(statistics: statistics, options: encodingOptions)
        let tokens = encoder.encode(table)
        let architecture = ModelArchitecture(cardinalities: encoder.subColumnCardinalities,
                                             columns: encoder.subColumnColumns, widthFactor: widthFactor,
                                             contextWidth: contextWidth)
        try plan(TrainingEstimate(architecture: architecture, options: trainingOptions, rowCount: table.rowCount,
                                  baselineBytes: TrainingEstimate.residentBytes()), architecture)
        var model = TabularModel(architecture: architecture, seed: trainingOptions.seed)
        var summary: TrainingSummary
        if architecture.subColumnCount > 0 && table.rowCount > 0 {
            summary = try Trainer(options: trainingOptions).train(
                &model, tokens: tokens, rowCount: table.rowCount, columnCount: schema.columns.count,
                progress: progress)
        } else {
            summary = TrainingSummary(trainingRows: 0, validationRows: 0, epochs: 0, bestEpoch: 0, trainLoss: 0,
                                      validationLoss: 0, seconds: 0, rowsPerSecond: 0,
                                      stopReason: "nothing to model", batchSize: 0, seed: trainingOptions.seed)
        }
        let metadata = ModelMetadata(
            formatVersion: Int(ModelFile.formatVersion(for: architecture)), mimeoVersion: ModelFile.mimeoVersion,
            encoder: encoder, architecture: architecture, encodingOptions: encodingOptions,
            trainingOptions: trainingOptions, training: summary, sourceName: sourceName, sourceRows: table.rowCount)
        return TrainedModel(metadata: metadata, model: model)
    }
}
