import Foundation
import MimeoData
import MimeoTestSupport
import Testing

@testable import MimeoParquet

/// Files written by pyarrow and DuckDB (scripts/parquet-fixtures.py, committed) read by Mimeo and compared
/// with the values the script recorded in expected.json.
@Suite struct FixtureTests {
    static let directory = Datasets.packageRoot + "/Tests/MimeoParquetTests/Fixtures"
    static let files = [
        "pyarrow-dictionary-zstd", "pyarrow-plain-snappy", "pyarrow-gzip", "pyarrow-none", "pyarrow-delta-zstd",
        "pyarrow-page-v2-snappy", "pyarrow-page-v2-delta", "duckdb-zstd", "duckdb-snappy", "duckdb-gzip",
        "duckdb-uncompressed", "duckdb-v2",
    ]

    struct Expected: Decodable {
        struct Column: Decodable {
            var name: String
            var values: [Value?]
        }

        enum Value: Decodable, Equatable {
            case int(Int64), double(Double), text(String), bool(Bool)

            init(from decoder: Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let value = try? container.decode(Bool.self) {
                    self = .bool(value)
                } else if let value = try? container.decode(Int64.self) {
                    self = .int(value)
                } else if let value = try? container.decode(Double.self) {
                    self = .double(value)
                } else {
                    self = .text(try container.decode(String.self))
                }
            }
        }

        var rows: Int
        var columns: [Column]
    }

    static let expected: Expected? = {
        guard let data = FileManager.default.contents(atPath: directory + "/expected.json") else { return nil }
        return try? JSONDecoder().decode(Expected.self, from: data)
    }()

    /// A cell's text as the plain value expected.json uses for its column.
    static func plain(_ text: String?, column: ColumnSchema) -> Expected.Value? {
        guard let text else { return nil }
        switch column.name {
        case "i64", "i32": return Int64(text).map(Expected.Value.int)
        case "f64": return Double(text).map(Expected.Value.double)
        case "b": return .bool(text == "true")
        case "ts", "ts_naive":
            guard let format = column.format.flatMap({ DateTimeFormat(pattern: $0) }), let parts = format.parse(text) else {
                return .text("unparsable \(text) with \(column.format ?? "-")")
            }
            return .int(parts.secondsSinceEpoch * 1_000_000 + Int64(parts.nanosecond / 1000))
        default: return .text(text)
        }
    }

    @Test(arguments: files)
    func readsFileWrittenByAnotherWriter(name: String) throws {
        let expected = try #require(Self.expected, "Fixtures/expected.json is missing or unreadable")
        let (table, schema) = try ParquetReader.load(path: "\(Self.directory)/\(name).parquet")
        #expect(table.rowCount == expected.rows)
        #expect(table.columnNames == expected.columns.map(\.name))
        let kinds = Dictionary(uniqueKeysWithValues: schema.columns.map { ($0.name, $0.kind) })
        #expect(kinds == ["i64": .integer, "i32": .integer, "f64": .decimal, "dec": .decimal, "s_low": .categorical,
                          "s_high": .identifier, "b": .boolean, "d": .datetime, "ts": .datetime, "ts_naive": .datetime])
        #expect(schema.column(named: "dec")?.decimals == 2)
        for (index, column) in expected.columns.enumerated() {
            let got = table.columns[index].map { Self.plain($0, column: schema.columns[index]) }
            let mismatch = zip(got, column.values).enumerated().first { $0.element.0 != $0.element.1 }
            #expect(mismatch == nil, "column \(column.name): row \(mismatch?.offset ?? -1): \(String(describing: mismatch?.element))")
        }
    }

    @Test func refusesNestedColumnsNamingThem() throws {
        #expect {
            try ParquetReader.load(path: "\(Self.directory)/pyarrow-nested.parquet")
        } throws: { error in
            "\(error)".contains("nested schemas are not supported") && "\(error)".contains("tags")
        }
    }
}
