import MimeoTestSupport
import MimeoData
import MimeoEval
@testable import MimeoReport

/// Small tables with every column kind, shared by the report tests.
enum ReportFixtures {
    /// A category name that would run a script if it reached the page unescaped.
    static let hostileCategory = "<script>alert('x')</script>"
    /// A column name with every character HTML treats specially.
    static let hostileColumn = "a<b & \"c\" 'd'"

    static let schema = Schema(columns: [
        ColumnSchema(name: "age", kind: .integer),
        ColumnSchema(name: "income", kind: .decimal, decimals: 2),
        ColumnSchema(name: "joined", kind: .datetime, format: "%Y-%m-%d"),
        ColumnSchema(name: hostileColumn, kind: .categorical),
        ColumnSchema(name: "member", kind: .boolean, booleanValues: ["no", "yes"]),
        ColumnSchema(name: "id", kind: .identifier),
    ])

    /// A table of `rows` rows following `schema`; `shift` moves the numbers, so that a shifted
    /// table plays a (mediocre) synthetic one.
    static func table(rows: Int, seed: UInt64, shift: Double = 0) -> Table {
        var rng = SplitMix64(seed: seed)
        var age: [String?] = [], income: [String?] = [], joined: [String?] = [], city: [String?] = []
        var member: [String?] = [], id: [String?] = []
        let cities = ["Oslo", "Lima", "Pune", "Kyiv", hostileCategory] + (0 ..< 20).map { "town-\($0)" }
        for row in 0 ..< rows {
            let a = Int.random(in: 18 ... 80, using: &rng) + Int(shift)
            age.append(row % 50 == 7 ? nil : String(a))
            let base = Double(a) * 900 + Double.random(in: 0 ... 20_000, using: &rng) + shift * 1000
            income.append(String(format2(base)))
            let day = Int.random(in: 1 ... 28, using: &rng), month = Int.random(in: 1 ... 12, using: &rng)
            joined.append("20\(Int.random(in: 10 ... 23, using: &rng))-\(pad(month))-\(pad(day))")
            // Skewed towards the first cities.
            let pick = min(Int(Double.random(in: 0 ..< 1, using: &rng) * Double.random(in: 0 ..< 1, using: &rng)
                * Double(cities.count)), cities.count - 1)
            city.append(row % 40 == 3 ? nil : cities[pick])
            member.append(Bool.random(using: &rng) ? "yes" : "no")
            id.append("row-\(seed)-\(row)")
        }
        return Table(columnNames: schema.columns.map(\.name), columns: [age, income, joined, city, member, id])
    }

    /// The report data of a shifted copy against the original.
    static func reportData(rows: Int = 600, options: ReportOptions = ReportOptions()) throws -> ReportData {
        let real = table(rows: rows, seed: 1)
        let synthetic = table(rows: rows / 2, seed: 2, shift: 3)
        let fidelity = try FidelityEvaluator(real: real, schema: schema).evaluate(synthetic)
        return try ReportData(real: real, synthetic: synthetic, schema: schema, fidelity: fidelity,
                              realName: "train <real>.csv", syntheticName: "synthetic & co.csv", options: options)
    }

    private static func pad(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    private static func format2(_ x: Double) -> String {
        let cents = Int((x * 100).rounded())
        return "\(cents / 100).\(pad(cents % 100))"
    }
}
