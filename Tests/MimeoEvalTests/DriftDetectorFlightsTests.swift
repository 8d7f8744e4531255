import Foundation
import MimeoData
import MimeoTestSupport
import Testing
@testable import MimeoEval

/// Real drift on flights (the holdout split, 67,356 rows of 2013): winter (January, February)
/// against summer (July, August), and two random halves of January, with Evidently's defaults.
@Suite(Datasets.required("flights/flights-holdout.csv.gz")) struct DriftDetectorFlightsTests {
    struct Split {
        let winter: Table
        let summer: Table
        let januaryA: Table
        let januaryB: Table
        let schema: Schema
    }

    static func rows(_ table: Table, _ picked: [Int]) -> Table {
        Table(columnNames: table.columnNames, columns: table.columns.map { column in picked.map { column[$0] } })
    }

    /// Loaded once for every test of the suite.
    static let shared = Result { try load() }

    static func load() throws -> Split {
        let table = try TableLoader().load(path: Datasets.path("flights/flights-holdout.csv.gz"))
        let schema = SchemaInference().inferSchema(from: table)
        let month = table.columns[try #require(table.columnIndex(named: "month"))]
        let picked = { (months: Set<String>) in table.columns[0].indices.filter { month[$0].map(months.contains) ?? false } }
        let january = picked(["1"])
        let order = SeededSelection.permutation(count: january.count, seed: 5, stream: .driftReference).map { january[$0] }
        return Split(winter: rows(table, picked(["1", "2"])), summer: rows(table, picked(["7", "8"])),
                     januaryA: rows(table, Array(order.prefix(order.count / 2)).sorted()),
                     januaryB: rows(table, Array(order.dropFirst(order.count / 2)).sorted()), schema: schema)
    }

    static func drifted(_ report: DriftReport) -> Set<String> { Set(report.columns.filter(\.drifted).map(\.column)) }

    /// Large reference (over 1000 values: Wasserstein and Jensen–Shannon): month and the delays drift;
    /// the domain classifier separates the seasons through month (and time_hour).
    @Test func seasonsDriftLargeReference() throws {
        let split = try Self.shared.get()
        let report = try DriftDetector(reference: split.winter, schema: split.schema, target: "arr_delay").compare(split.summer)
        let drifted = Self.drifted(report)
        #expect(drifted.isSuperset(of: ["month", "dep_delay", "arr_delay"]), "\(drifted)")
        let domain = try #require(report.domainClassifier)
        #expect((domain.auc ?? 0) > 0.95, "\(domain)")
        #expect(Set(domain.columns.prefix(2).map(\.column)).contains("month"), "\(domain.columns.prefix(3))")
    }

    /// Small reference (1000 winter rows: KS and chi-square) against every summer row: month and the delays drift.
    @Test func seasonsDriftSmallReference() throws {
        let split = try Self.shared.get()
        let picked = SeededSelection.sample(count: split.winter.rowCount, take: 1000, seed: 1, stream: .driftReference).sorted()
        let report = try DriftDetector(reference: Self.rows(split.winter, picked), schema: split.schema).compare(split.summer)
        let drifted = Self.drifted(report)
        #expect(drifted.isSuperset(of: ["month", "dep_delay", "arr_delay"]), "\(drifted)")
        let month = try #require(report.columns.first { $0.column == "month" })
        #expect(month.test == "chisquare" && month.score == 0)
        #expect(report.columns.first { $0.column == "dep_delay" }?.test == "ks")
    }

    /// Two random halves of January: no dataset drift, no concept drift, a domain classifier at chance,
    /// and no column drifts but tailnum (about 4 rows per tail number per half: its Jensen–Shannon
    /// distance is sampling noise, as in Evidently).
    @Test func halvesOfOneMonthDoNotDrift() throws {
        let split = try Self.shared.get()
        let report = try DriftDetector(reference: split.januaryA, schema: split.schema, target: "arr_delay").compare(split.januaryB)
        #expect(!report.drifted)
        #expect(!report.dataset.drifted)
        #expect(report.concept?.drifted == false)
        #expect(Self.drifted(report).isSubset(of: ["tailnum"]), "\(Self.drifted(report))")
        // A model of arr_delay trained on one half does as well on the other.
        let model = try #require(report.concept?.model)
        let (onReference, onCurrent) = (try #require(model.reference.r2), try #require(model.current.r2))
        #expect(onReference > 0.8 && abs(onReference - onCurrent) < 0.05, "\(model)")
        let auc = try #require(report.domainClassifier?.auc)
        #expect(abs(auc - 0.5) < 0.05, "\(auc)")
    }

    /// The concept check sees a changed relation: in the current table arr_delay is replaced by a
    /// shuffled copy (same distribution, no tie to the other columns).
    @Test func conceptDriftWhenTheTargetLosesItsRelation() throws {
        let split = try Self.shared.get()
        var broken = split.januaryB
        let t = try #require(broken.columnIndex(named: "arr_delay"))
        let order = SeededSelection.permutation(count: broken.rowCount, seed: 9, stream: .driftCurrent)
        broken.columns[t] = order.map { split.januaryB.columns[t][$0] }
        let report = try DriftDetector(reference: split.januaryA, schema: split.schema, target: "arr_delay").compare(broken)
        let concept = try #require(report.concept)
        #expect(concept.features.first { $0.column == "dep_delay" }?.drifted == true, "\(concept.features)")
        // The reference model loses what it predicted.
        let model = try #require(concept.model)
        #expect((model.reference.r2 ?? 0) > 0.8 && (model.current.r2 ?? 1) < 0.1, "\(model)")
        #expect(!report.dataset.drifted)
    }
}
