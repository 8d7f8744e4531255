import Foundation
import MimeoData

/// Real tables from the shared datasets, read once per test process.
enum TestData {
    static let datasets = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/datasets").path
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// The bundled adult sample (5,000 rows), always present in the repository.
    static let adultSample: (table: Table, schema: Schema) = {
        let table = try! TableLoader().load(path: repository + "/samples/adult-sample.csv")
        return (table, SchemaInference().inferSchema(from: table))
    }()

    /// The first `rows` rows of a shared dataset, or nil when the shared folder is absent.
    static func shared(_ relativePath: String, rows: Int) -> (table: Table, schema: Schema)? {
        let path = datasets + "/" + relativePath
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let table = try! TableLoader(rowLimit: rows).load(path: path)
        return (table, SchemaInference().inferSchema(from: table))
    }
}
