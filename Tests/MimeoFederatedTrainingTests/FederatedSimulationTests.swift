import Foundation
import MimeoData
import MimeoFederatedTraining
import MimeoTabular
import MimeoTestSupport
import Testing

/// Federated training end to end in one process (issue 8): three skewed sites of real data, the encoding
/// agreement, FedAvg/FedProx rounds, an ordinary model file that generates rows.
@Suite struct FederatedSimulationTests {
    static func options(variant: String = "fedavg", rounds: Int) -> FederatedTrainingOptions {
        var options = FederatedTrainingOptions()
        options.rounds = rounds
        options.widthFactor = 2
        options.minimumSites = 3
        options.local.training.batchSize = 64
        options.local.training.threads = 2
        options.local.training.seed = 5
        options.local.localEpochs = 1
        options.local.strategy = variant == "fedprox" ? .fedProx(mu: 0.01) : .fedAvg
        if variant == "averaged" {
            options.keepOptimizerState = true
            options.local.averageWeights = true
            options.weightAverageDecay = 0.9
        }
        return options
    }

    /// FedAvg; FedProx; and FedAvg with the optional loop policies (sites keep their optimiser state,
    /// return their round's weight average, and the server averages the global weights over rounds).
    @Test(arguments: ["fedavg", "fedprox", "averaged"])
    func threeSkewedSitesTrainAModelThatGenerates(variant: String) throws {
        let table = try TableLoader().load(path: Datasets.adultSample)
        let schema = TrainingPipeline.resolvingDatetimeFormats(SchemaInference().inferSchema(from: table), table: table)
        let parts = SiteSplit.split(table, column: "relationship")
        #expect(parts.map(\.rowCount).reduce(0, +) == table.rowCount)
        let sites = parts.enumerated().map { FederatedSite(name: "site-\(["a", "b", "c"][$0.offset])", table: $0.element) }
        var seen: [FederatedRoundReport] = []
        let result = try FederatedSimulation.train(sites: sites, schema: schema, sourceName: "adult-sample (3 sites)",
                                                   options: Self.options(variant: variant, rounds: 4)) { seen.append($0) }
        #expect(seen == result.rounds)
        #expect(result.rounds.count == 4)
        let losses = result.rounds.map(\.validationLoss)
        // Round 1 validates the initial weights; every later round's weights are better than those.
        #expect(losses[1] < losses[0] - 1, "aggregate validation loss per round: \(losses)")
        #expect(losses[3] < losses[1], "aggregate validation loss per round: \(losses)")
        #expect(result.trained.metadata.training.validationLoss < losses[3])
        if variant == "averaged" {
            #expect(result.rounds.dropFirst().allSatisfy { $0.averageValidationLoss != $0.validationLoss })
        } else {
            #expect(result.rounds.allSatisfy { $0.averageValidationLoss == $0.validationLoss })
        }
        for round in result.rounds {
            #expect(round.sites.map(\.site) == ["site-a", "site-b", "site-c"])
            #expect(round.sites.allSatisfy { $0.validationRows > 0 && $0.examples > 0 })
        }
        // An ordinary model file: written, read back, generating rows with the table's header.
        let directory = try TemporaryDirectory()
        let path = directory.file("federated.mimeo")
        try ModelFile.write(result.trained, to: path)
        let model = try ModelFile.read(from: path)
        #expect(model.model.parameters == result.trained.model.parameters)
        let sampler = try Sampler(model: model.model, encoder: model.metadata.encoder)
        let text = String(decoding: sampler.headerBytes() + sampler.generateBatch(index: 0, count: 200, seed: 1), as: UTF8.self)
        let lines = text.split(separator: "\n")
        #expect(lines.count == 201)
        #expect(lines.first.map(String.init) == table.columnNames.joined(separator: ","))
        let generated = try TableLoader().load(path: try directory.write(Array(text.utf8), to: "generated.csv"))
        let relationships = Set(generated.columns[generated.columnIndex(named: "relationship")!].compactMap { $0 })
        #expect(relationships.count >= 4, "generated relationships: \(relationships)")
    }

    @Test func badSitesAreRefused() throws {
        let table = try TableLoader(rowLimit: 100).load(path: Datasets.adultSample)
        let schema = SchemaInference().inferSchema(from: table)
        #expect(throws: FederatedTrainingError.self) {
            try FederatedSimulation.train(sites: [], schema: schema, sourceName: "x", options: Self.options(rounds: 1))
        }
        let same = [FederatedSite(name: "a", table: table), FederatedSite(name: "a", table: table)]
        #expect(throws: FederatedTrainingError.self) {
            try FederatedSimulation.train(sites: same, schema: schema, sourceName: "x", options: Self.options(rounds: 1))
        }
        let two = [FederatedSite(name: "a", table: table), FederatedSite(name: "b", table: table)]
        // The test options ask for a quorum of 3.
        #expect(throws: FederatedTrainingError.self) {
            try FederatedSimulation.train(sites: two, schema: schema, sourceName: "x", options: Self.options(rounds: 1))
        }
        var coarse = Self.options(rounds: 1)
        coarse.minimumSites = 2
        coarse.sketchAccuracy = 0.9
        #expect(throws: EncodingAgreementError.self) {
            try FederatedSimulation.train(sites: two, schema: schema, sourceName: "x", options: coarse)
        }
        var renamed = table
        renamed.columnNames[0] = "years"
        coarse.sketchAccuracy = 0.01
        #expect(throws: EncodingAgreementError.self) {
            try FederatedSimulation.train(sites: [FederatedSite(name: "a", table: table), FederatedSite(name: "b", table: renamed)],
                                          schema: schema, sourceName: "x", options: coarse)
        }
    }
}
