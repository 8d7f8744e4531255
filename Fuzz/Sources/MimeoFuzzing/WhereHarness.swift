import Foundation
import MimeoData
import MimeoTabular

/// Fuzzes `--where`: parsing the arguments, then resolving them against a real model (the committed
/// `Fuzz/models/where.mimeo`) into fixed tokens, and generating rows with them.
///
/// The input is the list of `--where` arguments separated by NUL bytes (a command-line argument
/// cannot hold one); at most `argumentLimit` are used. Checks on every accepted list: the generated
/// rows are CSV with one field per column, and each conditioned column holds one value throughout.
/// The parsing is `Condition.parse(arguments:)`, the function `mimeo generate` calls.
public enum WhereHarness {
    static let argumentLimit = 8
    static let rowCount = 8

    /// The model the conditions are resolved against, read once.
    static let model: TrainedModel = {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../models/where.mimeo").standardizedFileURL.path
        do {
            return try ModelFile.read(from: path)
        } catch {
            fatalError("where harness: cannot read its model: \(error)")
        }
    }()

    public static func run(_ data: [UInt8]) -> FuzzOutcome {
        let arguments = data.split(separator: 0, maxSplits: argumentLimit, omittingEmptySubsequences: false)
            .prefix(argumentLimit).map { String(decoding: $0, as: UTF8.self) }
        let conditions: [Condition]
        let sampler: Sampler
        do {
            conditions = try Condition.parse(arguments: arguments)
            sampler = try Sampler(model: model.model, encoder: model.metadata.encoder, conditions: conditions)
        } catch {
            return FuzzHarness.requireClean(error, .whereConditions)
        }
        let names = model.metadata.encoder.schema.columns.map(\.name)
        var conditioned: [Int: Bool] = [:]
        for condition in conditions {
            guard let column = names.firstIndex(of: condition.column) else {
                fatalError("where harness: accepted unknown column \(condition.column)")
            }
            conditioned[column] = condition.value == nil
        }
        ModelFileHarness.checkOutput(sampler, conditioned: conditioned.map { ($0.key, $0.value) },
                                     rowCount: rowCount, harness: .whereConditions)
        return .accepted
    }
}
