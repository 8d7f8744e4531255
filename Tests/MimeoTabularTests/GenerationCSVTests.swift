import Foundation
import MimeoData
@testable import MimeoTabular
import Testing

/// The CSV bytes generation writes, for the shapes where a row could come out wrong.
@Suite struct GenerationCSVTests {
    /// A one-column model whose column is often missing.
    static let oneColumn: TrainedModel = {
        let cells: [String?] = (0 ..< 300).map { i in i % 3 == 0 ? nil : (i % 3 == 1 ? "red" : "blue, dark") }
        let table = Table(columnNames: ["colour"], columns: [cells])
        let schema = Schema(columns: [ColumnSchema(name: "colour", kind: .categorical)])
        var options = TrainingOptions()
        options.maxEpochs = 1
        options.maxSeconds = 300
        options.seed = 3
        return try! TrainingPipeline.train(table, schema: schema, sourceName: "colour.csv", trainingOptions: options)
    }()

    /// A missing value in a one-column output is written as `""`, not as a blank line that most readers
    /// (pandas, R, spreadsheets) skip, losing the row. (Generation wrote `\n` before.)
    @Test func aLoneMissingFieldIsNotABlankLine() throws {
        let sampler = try Sampler(model: Self.oneColumn.model, encoder: Self.oneColumn.metadata.encoder,
                                  conditions: [Condition(column: "colour", value: nil)])
        var bytes: [UInt8] = []
        try GenerationRun(sampler: sampler, rowCount: 50, seed: 1, threads: 2).run(write: { bytes.append(contentsOf: $0) })
        #expect(String(decoding: bytes, as: UTF8.self) == "colour\n" + String(repeating: "\"\"\n", count: 50))
        let table = try TableLoader().load(from: CSVReader(bytes: bytes))
        #expect(table.rowCount == 50)
        #expect(table.columns[0].allSatisfy { $0 == nil })
    }

    /// Unconditioned rows of the same model: every row is a value or `""`, and a value with the delimiter is quoted.
    @Test func everyRowOfAOneColumnOutputHasAField() throws {
        let sampler = try Sampler(model: Self.oneColumn.model, encoder: Self.oneColumn.metadata.encoder)
        var bytes: [UInt8] = []
        try GenerationRun(sampler: sampler, rowCount: 400, seed: 2, threads: 1).run(write: { bytes.append(contentsOf: $0) })
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 402 && lines.last == "")
        #expect(lines.dropLast().allSatisfy { ["colour", "red", "\"blue, dark\"", "\"\""].contains($0) })
        #expect(try TableLoader().load(from: CSVReader(bytes: bytes)).rowCount == 400)
    }
}
