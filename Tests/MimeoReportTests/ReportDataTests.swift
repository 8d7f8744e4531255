import Foundation
import MimeoData
import MimeoEval
import Testing
@testable import MimeoReport

@Suite struct ReportDataTests {
    @Test func chartsEveryColumnButIdentifiersInSchemaOrder() throws {
        let data = try ReportFixtures.reportData()
        #expect(data.columns.map(\.column) == ["age", "income", "joined", ReportFixtures.hostileColumn, "member"])
        #expect(data.realRowCount == 600)
        #expect(data.syntheticRowCount == 300)
        #expect(data.syntheticSampleRowCount == 300)
        let age = data.columns[0]
        #expect(age.metric == "KSComplement")
        #expect(age.score != nil)
        #expect(age.realMissing == 12)
        #expect(age.histogram?.isIntegerAligned == false, "18...80 spans more than 30 values")
        #expect(age.histogram.map { $0.real.reduce(0, +) } == 600 - 12)
        let joined = data.columns[2]
        #expect(joined.histogram?.scale == .datetime)
        #expect(joined.realMissing == 0)
        let city = data.columns[3]
        #expect(city.histogram == nil)
        #expect(city.categories?.bars.count == 12 + 2, "top 12, other, missing")
        #expect(data.columns[4].categories?.bars.map(\.label).sorted() == ["no", "yes"])
        #expect(data.correlations.columns == ["age", "income", "joined"])
    }

    @Test func correlationsArePearsonOverRowsWithBothValues() throws {
        let x: [Double] = [1, 2, 3, 4, .nan]
        let m = CorrelationMatrices(columns: ["x", "y", "c"], real: [x, [2, 4, 6, 8, 100], [5, 5, 5, 5, 5]],
                                    synthetic: [x, [8, 6, 4, 2, 0], [1, 2, 3, 4, 5]])
        #expect(m.real[0][0] == 1)
        #expect(abs(m.real[0][1]! - 1) < 1e-12)
        #expect(m.real[0][2] == nil, "a constant column has no correlation")
        #expect(m.real[2][2] == nil)
        #expect(abs(m.synthetic[1][0]! + 1) < 1e-12)
        #expect(abs(m.difference[0][1]! + 2) < 1e-12)
        #expect(m.difference[0][2] == nil)
    }

    @Test func correlationColumnsAreCapped() throws {
        var options = ReportOptions()
        options.maxCorrelationColumns = 2
        let data = try ReportFixtures.reportData(options: options)
        #expect(data.correlations.columns == ["age", "income"])
        #expect(data.correlations.omittedColumns == ["joined"])
    }

    @Test func roundTripsThroughJSON() throws {
        let data = try ReportFixtures.reportData()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let decoded = try JSONDecoder().decode(ReportData.self, from: encoder.encode(data))
        #expect(decoded == data)
        #expect(HTMLReport.render(decoded) == HTMLReport.render(data))
    }

    @Test func missingColumnsAreReported() throws {
        let real = ReportFixtures.table(rows: 50, seed: 1)
        let fidelity = try FidelityEvaluator(real: real, schema: ReportFixtures.schema).evaluate(real)
        let truncated = Table(columnNames: ["age"], columns: [real.columns[0]])
        #expect(throws: EvaluationError.missingColumn("income", table: "synthetic")) {
            try ReportData(real: real, synthetic: truncated, schema: ReportFixtures.schema, fidelity: fidelity)
        }
    }
}
