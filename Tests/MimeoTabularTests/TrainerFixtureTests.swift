import Crypto
import Foundation
import MimeoData
import MimeoTabular
import MimeoTestSupport
import Testing

/// Pins the bytes of the weights the trainer produces on a small real table with a fixed seed, so that
/// splitting `Trainer.train` into a training step and the loop policies around it (issue 8, item 2) is
/// proven byte-identical. A change that alters training on purpose must update the digest and say why.
@Suite struct TrainerFixtureTests {
    /// SHA-256 of the little-endian bytes of the trained weights (see `trainedWeightsDigest`).
    static let expectedDigest = "7115f617a326dfbdf8a72512081a6f62c43f5459fcb4744467fdcf0ec43f5b55"

    /// Trains on the first 600 rows of the bundled adult sample through the train pipeline
    /// (analyze → reduce → encode → fit), epoch-bounded so the clock never ends the run.
    static func trainedWeightsDigest() throws -> (digest: String, summary: TrainingSummary) {
        let table = try TableLoader(rowLimit: 600).load(path: Datasets.adultSample)
        let schema = SchemaInference().inferSchema(from: table)
        var options = TrainingOptions()
        options.maxEpochs = 3
        options.maxSeconds = 3600
        options.batchSize = 64
        options.threads = 2
        options.seed = 7
        let trained = try TrainingPipeline.train(table, schema: schema, sourceName: "adult-sample",
                                                 trainingOptions: options, widthFactor: 2)
        let bytes = trained.model.parameters.withUnsafeBufferPointer { weights in
            weights.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian) { Array($0) } }
        }
        let digest = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        return (digest, trained.metadata.training)
    }

    @Test func trainedWeightsMatchTheRecordedDigest() throws {
        let (digest, summary) = try Self.trainedWeightsDigest()
        #expect(summary.stopReason.hasPrefix("max epochs") || summary.stopReason.hasPrefix("early stopping"),
                "stop reason \(summary.stopReason)")
        #expect(digest == Self.expectedDigest, "weights digest \(digest)")
    }

    @Test func trainingTwiceGivesTheSameBytes() throws {
        let first = try Self.trainedWeightsDigest()
        let second = try Self.trainedWeightsDigest()
        #expect(first.digest == second.digest)
        #expect(first.summary.validationLoss == second.summary.validationLoss)
    }
}
