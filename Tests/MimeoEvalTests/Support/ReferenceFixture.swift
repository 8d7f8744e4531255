import Foundation
import MimeoData
import MimeoTestSupport

/// A fixture written by `scripts/sdmetrics_reference.py`: SDMetrics 0.32 QualityReport results for
/// one dataset, several synthetic tables ("cases"), and the column types the referee gave.
struct ReferenceFixture: Decodable {
    struct Rows: Decodable {
        var file: String
        var every: Int
    }

    struct Column: Decodable {
        var name: String
        var sdtype: String
        var datetime_format: String?
    }

    struct ColumnScore: Decodable {
        var column: String
        var metric: String
        var score: Double?
    }

    struct PairScore: Decodable {
        var column_1: String
        var column_2: String
        var metric: String
        var score: Double?
        var real_correlation: Double?
        var synthetic_correlation: Double?
        var real_association: Double?
        var meets_threshold: Bool
        var error: String?
    }

    struct Case: Decodable {
        var name: String
        var damage: Damage?
        var real_rows: Int
        var synthetic_rows: Int
        var overall: Double?
        var column_shapes: Double?
        var column_pair_trends: Double?
        var columns: [ColumnScore]
        var pairs: [PairScore]
    }

    var dataset: String
    var tier: String
    var real: Rows
    var synthetic: Rows
    var columns: [Column]
    var cases: [Case]

    /// The folder of the committed fixtures.
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// `../shared/datasets` next to the repository, or `$MIMEO_DATASETS` (`Datasets.root`).
    static let datasetsDirectory = URL(fileURLWithPath: Datasets.root)

    static func load(_ name: String) throws -> ReferenceFixture {
        let data = try Data(contentsOf: directory.appendingPathComponent(name))
        return try JSONDecoder().decode(ReferenceFixture.self, from: data)
    }

    /// The schema the referee's typing gives (`numerical` -> decimal, `datetime` with its format).
    var schema: Schema {
        Schema(columns: columns.map { column in
            switch column.sdtype {
            case "numerical": ColumnSchema(name: column.name, kind: .decimal)
            case "datetime": ColumnSchema(name: column.name, kind: .datetime, format: column.datetime_format)
            default: ColumnSchema(name: column.name, kind: .categorical)
            }
        })
    }

    /// The real table of the fixture (committed sample, or rows of the shared dataset).
    func realTable() throws -> Table { try Self.table(real, tier: tier) }

    /// The synthetic table of `fixtureCase`: the holdout rows with the case's damage.
    func syntheticTable(_ fixtureCase: Case) throws -> Table {
        var table = try Self.table(synthetic, tier: tier)
        fixtureCase.damage?.apply(to: &table)
        return table
    }

    private static func table(_ rows: Rows, tier: String) throws -> Table {
        let base = tier == "sample" ? directory : datasetsDirectory
        let table = try Table.load(path: base.appendingPathComponent(rows.file).path)
        guard rows.every > 1 else { return table }
        let kept = Array(stride(from: 0, to: table.rowCount, by: rows.every))
        return Table(columnNames: table.columnNames, columns: table.columns.map { column in kept.map { column[$0] } })
    }
}

/// The deterministic damages of `scripts/sdmetrics_reference.py` (`apply_damage`), on cell text.
struct Damage: Decodable, Equatable {
    var kind: String
    var seed: UInt64?
    var column: String?
    var a: String?
    var b: String?
    var factor: Int?
    var offset: Int?
    var every: Int?

    func apply(to table: inout Table) {
        switch kind {
        case "shuffle":
            for j in table.columns.indices {
                var generator = SplitMix64(seed: seed! &+ UInt64(j))
                var column = table.columns[j]
                var i = column.count - 1
                while i > 0 {
                    let k = Int(generator.next() % UInt64(i + 1))
                    column.swapAt(i, k)
                    i -= 1
                }
                table.columns[j] = column
            }
        case "swap":
            let j = table.columnIndex(named: column!)!
            table.columns[j] = table.columns[j].map { $0 == a ? b : $0 == b ? a : $0 }
        case "scale":
            let j = table.columnIndex(named: column!)!
            table.columns[j] = table.columns[j].map { $0.map { String(factor! * Int($0)! + offset!) } }
        case "missing":
            let j = table.columnIndex(named: column!)!
            for i in stride(from: 0, to: table.rowCount, by: every!) { table.columns[j][i] = nil }
        default:
            preconditionFailure("unknown damage \(kind)")
        }
    }
}

