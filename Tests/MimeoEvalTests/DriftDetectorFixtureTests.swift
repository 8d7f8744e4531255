import Foundation
import MimeoData
import Testing
@testable import MimeoEval

/// `DriftDetector` against Evidently 0.7.23 (`scripts/drift-fixtures.py`, `make drift-fixtures`): per
/// column the test Evidently picks, its drift score within 1e-6, its decision exactly, PSI within 1e-6,
/// and the dataset decision, on committed adult and flights tables in both regimes.
@Suite struct DriftDetectorFixtureTests {
    struct Fixture: Decodable {
        struct Column: Decodable {
            var column: String
            var type: String
            var reference_rows: Int
            var current_rows: Int
            var stattest: String
            var drift_score: Double?
            var drift_detected: Bool
            var psi: Double?
            var psi_detected: Bool
        }

        struct ConceptFeature: Decodable {
            var column: String
            var test: String
            var score: Double?
            var drifted: Bool
        }

        struct Concept: Decodable {
            var target: String
            var features: [ConceptFeature]
            var drifted: Bool
        }

        struct Case: Decodable {
            var concept: Concept
            var name: String
            var reference: String
            var current: String
            var number_of_columns: Int
            var number_of_drifted_columns: Int
            var share_of_drifted_columns: Double
            var dataset_drift: Bool
            var columns: [Column]
        }

        struct KSPValue: Decodable {
            var n1: Int
            var n2: Int
            var d: Double
            var p: Double
            var exact: Bool
        }

        var evidently: String
        var cases: [Case]
        var ks_pvalues: [KSPValue]
    }

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/drift")

    static func fixture() throws -> Fixture {
        let data = try Data(contentsOf: directory.appendingPathComponent("evidently-drift.json"))
        return try JSONDecoder().decode(Fixture.self, from: data)
    }

    static func load(_ testCase: Fixture.Case) throws -> (reference: Table, current: Table, schema: Schema) {
        let schema = Schema(columns: testCase.columns.map {
            ColumnSchema(name: $0.column, kind: $0.type == "numerical" ? .decimal : .categorical)
        })
        let loader = TableLoader()
        return (try loader.load(path: directory.appendingPathComponent(testCase.reference).path),
                try loader.load(path: directory.appendingPathComponent(testCase.current).path), schema)
    }

    static func close(_ a: Double?, _ b: Double?, tolerance: Double = 1e-6) -> Bool {
        switch (a, b) {
        case (nil, nil): true
        case (let x?, let y?): abs(x - y) <= tolerance * max(1, abs(y))
        default: false
        }
    }

    @Test(arguments: try fixture().cases.map(\.name))
    func agreesWithEvidently(_ name: String) throws {
        let testCase = try #require(try Self.fixture().cases.first { $0.name == name })
        let (reference, current, schema) = try Self.load(testCase)
        let detector = try DriftDetector(reference: reference, schema: schema)
        let report = try detector.compare(current)
        #expect(report.columns.count == testCase.columns.count)
        for expected in testCase.columns {
            let column = try #require(report.columns.first { $0.column == expected.column })
            #expect(column.referenceRows == expected.reference_rows, "\(name) \(expected.column)")
            #expect(column.currentRows == expected.current_rows, "\(name) \(expected.column)")
            #expect(column.test == expected.stattest, "\(name) \(expected.column)")
            #expect(Self.close(column.score, expected.drift_score),
                    "\(name) \(expected.column) \(column.test): \(String(describing: column.score)) vs \(String(describing: expected.drift_score))")
            #expect(column.drifted == expected.drift_detected, "\(name) \(expected.column)")
            #expect(Self.close(column.psi, expected.psi),
                    "\(name) \(expected.column) PSI: \(String(describing: column.psi)) vs \(String(describing: expected.psi))")
            #expect(column.psiDrifted == expected.psi_detected, "\(name) \(expected.column) PSI decision")
            #expect(column.exact, "\(name) \(expected.column)")
        }
        #expect(report.dataset.columnCount == testCase.number_of_columns)
        #expect(report.dataset.driftedColumns == testCase.number_of_drifted_columns)
        #expect(abs(report.dataset.share - testCase.share_of_drifted_columns) < 1e-12)
        #expect(report.dataset.drifted == testCase.dataset_drift)
    }

    /// The concept check against an independent Python version of its rule (SciPy's chi2_contingency
    /// and jensenshannon on the same cells; `scripts/drift-fixtures.py`): scores within 1e-9, the same decisions.
    @Test(arguments: try fixture().cases.map(\.name))
    func conceptAgreesWithItsReference(_ name: String) throws {
        let testCase = try #require(try Self.fixture().cases.first { $0.name == name })
        let (reference, current, schema) = try Self.load(testCase)
        let report = try DriftDetector(reference: reference, schema: schema, target: testCase.concept.target).compare(current)
        let concept = try #require(report.concept)
        #expect(concept.features.map(\.column) == testCase.concept.features.map(\.column))
        for (mine, expected) in zip(concept.features, testCase.concept.features) {
            #expect(mine.test == expected.test, "\(name) \(mine.column)")
            #expect(Self.close(mine.score, expected.score, tolerance: 1e-9),
                    "\(name) \(mine.column): \(String(describing: mine.score)) vs \(String(describing: expected.score))")
            #expect(mine.drifted == expected.drifted, "\(name) \(mine.column)")
        }
        #expect(concept.drifted == testCase.concept.drifted)
    }

    /// KS p-values as SciPy's `ks_2samp`: exact (within 1e-9) up to 10,000 values a side; above, the
    /// Kolmogorov limit with Stephens' correction stands in for `kstwo.sf` (within 2.5e-2 where the
    /// p-value is large, 5e-4 where it is near the 0.05 threshold: docs/lifecycle.md).
    @Test func ksPValuesAgreeWithSciPy() throws {
        let cases = try Self.fixture().ks_pvalues
        #expect(cases.contains { !$0.exact })
        for c in cases {
            let (p, exact) = DriftStatistics.ksPValue(c.d, c.n1, c.n2)
            #expect(exact == c.exact, "\(c)")
            let tolerance = c.exact ? 1e-9 : (c.p > 0.02 && c.p < 0.1 ? 5e-4 : 2.5e-2)
            #expect(abs(p - c.p) <= tolerance, "\(c): \(p)")
        }
    }

    /// Summaries made chunk by chunk and merged give the same report as the whole table at once,
    /// and a summary that keeps no values (cells only) keeps every decision and the KS p-values.
    @Test func chunksMergeAndCellsAgree() throws {
        let testCase = try #require(try Self.fixture().cases.first { $0.name == "flights-small-seasons" })
        let (reference, current, schema) = try Self.load(testCase)
        let detector = try DriftDetector(reference: reference, schema: schema)
        let whole = try detector.summarize(current)
        var merged = detector.makeSummary()
        var start = 0
        for size in [7, 150, 1, 200, 500] where start < current.rowCount {
            let end = min(start + size, current.rowCount)
            try merged.merge(detector.summarize(current.rows(start ..< end), firstRow: start))
            start = end
        }
        #expect(merged.rowCount == whole.rowCount)
        // A summary travels as JSON (from another machine) unchanged.
        let decoded = try JSONDecoder().decode(DriftSummary.self, from: JSONEncoder().encode(merged))
        #expect(decoded == merged)
        let a = try detector.report(for: whole), b = try detector.report(for: merged)
        for (x, y) in zip(a.columns, b.columns) {
            #expect(x.test == y.test && x.drifted == y.drifted && Self.close(x.score, y.score, tolerance: 1e-12), "\(x.column)")
        }
        #expect(a.domainClassifier == b.domainClassifier)

        var threaded = DriftOptions()
        threaded.threadCount = 3
        threaded.blockRows = 100
        let split = try DriftDetector(reference: reference, schema: schema, options: threaded).summarize(current)
        #expect(split.rowCount == whole.rowCount)
        let c = try detector.report(for: whole), d = try DriftDetector(reference: reference, schema: schema, options: threaded)
            .report(for: split)
        for (x, y) in zip(c.columns, d.columns) { #expect(x == y, "\(x.column)") }
        #expect(c.domainClassifier == d.domainClassifier)

        var options = DriftOptions()
        options.exactValueLimit = 0
        let cellsOnly = try DriftDetector(reference: reference, schema: schema, options: options)
        let fromCells = try cellsOnly.compare(current)
        for (x, y) in zip(a.columns, fromCells.columns) {
            #expect(x.test == y.test && x.drifted == y.drifted, "\(x.column)")
            if x.test == "ks" { #expect(Self.close(x.score, y.score, tolerance: 1e-12), "\(x.column)") }
        }
    }

    /// Wasserstein from cells stays within its stated error bound of the exact value.
    @Test func wassersteinFromCellsWithinBound() throws {
        let testCase = try #require(try Self.fixture().cases.first { $0.name == "flights-large-seasons" })
        let (reference, current, schema) = try Self.load(testCase)
        let exact = try DriftDetector(reference: reference, schema: schema).compare(current)
        var options = DriftOptions()
        options.exactValueLimit = 0
        let approximate = try DriftDetector(reference: reference, schema: schema, options: options).compare(current)
        for (x, y) in zip(exact.columns, approximate.columns) where x.test == "wasserstein" {
            let bound = y.scoreErrorBound ?? 0
            #expect(abs((x.score ?? 0) - (y.score ?? 0)) <= bound + 1e-12, "\(x.column): bound \(bound)")
            #expect(bound < 0.01, "\(x.column): bound \(bound)")
        }
    }
}
