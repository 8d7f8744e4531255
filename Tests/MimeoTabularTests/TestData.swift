import Foundation
import MimeoData
import MimeoTestSupport

/// Real tables: the bundled adult sample, and the shared datasets (through `Datasets`).
enum TestData {
    /// The bundled adult sample (5,000 rows), always present in the repository.
    static let adultSample: (table: Table, schema: Schema) = {
        let table = try! TableLoader().load(path: Datasets.adultSample)
        return (table, SchemaInference().inferSchema(from: table))
    }()

    /// The first `rows` rows of a shared dataset (a path inside `Datasets.root`), with the inferred schema.
    /// Tests that call it declare `Datasets.required(...)`.
    static func shared(_ relativePath: String, rows: Int) throws -> (table: Table, schema: Schema) {
        let table = try TableLoader(rowLimit: rows).load(path: Datasets.path(relativePath))
        return (table, SchemaInference().inferSchema(from: table))
    }
}
