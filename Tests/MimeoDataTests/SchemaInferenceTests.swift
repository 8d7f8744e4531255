import MimeoTestSupport
import Testing

@testable import MimeoData

@Suite struct SchemaInferenceTests {
    private let inference = SchemaInference()

    private func infer(_ values: [String?]) -> ColumnSchema {
        inference.inferColumn(named: "c", values: values)
    }

    @Test func integers() {
        #expect(infer(["1", "-2", "+3", nil, "40"]).kind == .integer)
        #expect(infer(["0", "1", "1", "0"]).kind == .integer)  // 0/1 is not boolean
        #expect(infer(["9223372036854775807", "-9223372036854775808"]).kind == .integer)
        #expect(infer(["0", "-0", "10"]).kind == .integer)
    }

    @Test func integerCodesWithLeadingZerosAreNotIntegers() {
        #expect(infer(["007", "012", "123"]).kind == .categorical)
    }

    @Test func decimalsRecordTheirPlaces() {
        let column = infer(["1.5", "2", "-0.125", nil, ".5"])
        #expect(column.kind == .decimal)
        #expect(column.decimals == 3)
        #expect(infer(["1e3", "2.5E-2", "3"]).decimals == 3)  // 2.5e-2 = 0.025
        #expect(infer(["1.", "2.0"]).decimals == 1)
        #expect(infer(["1.5", "inf"]).kind == .categorical)
        #expect(infer(["1.5", "nan"]).kind == .categorical)
        #expect(infer(["1e400", "1.5"]).kind == .categorical)
        #expect(infer(["1.5", "123456789012345678901234"]).kind == .categorical)
    }

    @Test func booleansNeedExactlyTwoValuesOfAKnownPair() {
        let yesNo = infer(["yes", "no", nil, "yes"])
        #expect(yesNo.kind == .boolean)
        #expect(yesNo.booleanValues == ["no", "yes"])
        #expect(infer(["True", "False"]).booleanValues == ["False", "True"])
        #expect(infer(["t", "f"]).booleanValues == ["f", "t"])
        #expect(infer(["Y", "N", "Y"]).booleanValues == ["N", "Y"])
        #expect(infer(["yes", "yes"]).kind == .categorical)
        #expect(infer(["yes", "no", "maybe"]).kind == .categorical)
        #expect(infer(["Yes", "no"]).kind == .categorical)
        #expect(infer(["Male", "Female"]).kind == .categorical)
    }

    @Test func datetimes() {
        let column = infer(["2013-01-01T10:00:00Z", nil, "2013-06-30T23:00:00Z"])
        #expect(column.kind == .datetime)
        #expect(column.format == "%Y-%m-%dT%H:%M:%SZ")
        #expect(infer(["1/5/2013", "12/25/2013"]).format == "%-m/%-d/%Y")
        #expect(infer(["2013-01-01", "not a date"]).kind == .categorical)
    }

    @Test func allMissingIsCategorical() {
        #expect(infer([nil, nil]).kind == .categorical)
        #expect(infer([]).kind == .categorical)
    }

    @Test func identifiersAreNearlyUniqueStrings() {
        let keys = (0 ..< 500).map { Optional("key-\($0)") }
        #expect(infer(keys).kind == .identifier)
        // Few rows: too few distinct values to call it an identifier.
        #expect(infer(Array(keys.prefix(100))).kind == .categorical)
        // Repeated labels are categories, even with many levels.
        let labels = (0 ..< 5000).map { Optional("N\($0 % 400)") }
        #expect(infer(labels).kind == .categorical)
        // Unique integers stay integers.
        #expect(infer((0 ..< 500).map { Optional("\($0)") }).kind == .integer)
    }

    @Test func textIsLongVariedAndHasSpaces() {
        let sentences = (0 ..< 50).map { Optional("Review number \($0): the product arrived late but works well.") }
        #expect(infer(sentences).kind == .text)
        let repeated = (0 ..< 50).map { Optional("The same rather long sentence with spaces in it, again \($0 % 3)") }
        #expect(infer(repeated).kind == .categorical)
        let longCodes = (0 ..< 50).map { Optional("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-\($0)") }
        #expect(infer(longCodes).kind == .categorical)
    }

    @Test func thresholdsAreConfigurable() {
        var custom = SchemaInference()
        custom.identifierMinimumDistinct = 5
        let keys = (0 ..< 10).map { Optional("k\($0)") }
        #expect(custom.inferColumn(named: "k", values: keys).kind == .identifier)
    }

    @Test func inferSchemaKeepsColumnOrderAndMissingSpellings() {
        let table = Table(columnNames: ["n", "s"], columns: [["1", nil], ["a", "b"]])
        let schema = inference.inferSchema(from: table, missingValues: ["", "NA"])
        #expect(schema.columns.map(\.name) == ["n", "s"])
        #expect(schema.columns.map(\.kind) == [.integer, .categorical])
        #expect(schema.missingValues == ["", "NA"])
    }

    // MARK: - Real files

    @Test(Datasets.required(Datasets.adultTrain)) func adult() throws {
        let table = try Table.load(path: Datasets.adultTrain, rowLimit: 5000)
        let schema = inference.inferSchema(from: table)
        let kinds = Dictionary(uniqueKeysWithValues: schema.columns.map { ($0.name, $0.kind) })
        for name in ["age", "fnlwgt", "education-num", "capital-gain", "capital-loss", "hours-per-week"] {
            #expect(kinds[name] == .integer, "\(name)")
        }
        for name in ["workclass", "education", "marital-status", "occupation", "relationship", "race", "sex",
                     "native-country", "income"] {
            #expect(kinds[name] == .categorical, "\(name)")
        }
        // adult writes its missing values as empty fields.
        let workclass = try #require(table.columnIndex(named: "workclass"))
        #expect(table.columns[workclass].contains(nil))
        #expect(!table.columns[workclass].contains("?"))
    }

    @Test(Datasets.required(Datasets.flightsTrain)) func flights() throws {
        let table = try Table.load(path: Datasets.flightsTrain, rowLimit: 20000)
        let schema = inference.inferSchema(from: table)
        let timeHour = try #require(schema.column(named: "time_hour"))
        #expect(timeHour.kind == .datetime)
        #expect(timeHour.format == "%Y-%m-%dT%H:%M:%SZ")
        #expect(schema.column(named: "tailnum")?.kind == .categorical)
        #expect(schema.column(named: "carrier")?.kind == .categorical)
        #expect(schema.column(named: "flight")?.kind == .integer)
        #expect(schema.column(named: "dep_time")?.kind == .integer)
        let depTime = try #require(table.columnIndex(named: "dep_time"))
        #expect(table.columns[depTime].contains(nil))
        #expect(schema.columns.count == 19)
    }

    /// The whole flights file: about 1 s in a release build, too slow for the debug test run.
    @Test(.enabled(if: !isDebugBuild, "needs a release build"), Datasets.required(Datasets.flightsTrain))
    func flightsFullFile() throws {
        let table = try Table.load(path: Datasets.flightsTrain)
        #expect(table.rowCount == 269_420)
        let schema = inference.inferSchema(from: table)
        #expect(schema.column(named: "time_hour")?.format == "%Y-%m-%dT%H:%M:%SZ")
        #expect(schema.column(named: "tailnum")?.kind == .categorical)
        #expect(schema.column(named: "dep_time")?.kind == .integer)
        let tailnum = try #require(table.columnIndex(named: "tailnum"))
        #expect(Set(table.columns[tailnum].compactMap { $0 }).count == 3994)
        let depTime = try #require(table.columnIndex(named: "dep_time"))
        #expect(table.columns[depTime].filter { $0 == nil }.count == 6579)
    }

    @Test(Datasets.required(Datasets.bankTrain)) func bankMarketing() throws {
        let table = try Table.load(path: Datasets.bankTrain, rowLimit: 5000)
        let schema = inference.inferSchema(from: table)
        #expect(schema.column(named: "age")?.kind == .integer)
        #expect(schema.column(named: "balance")?.kind == .integer)
        #expect(schema.column(named: "pdays")?.kind == .integer)
        #expect(schema.column(named: "job")?.kind == .categorical)
        #expect(schema.column(named: "month")?.kind == .categorical)
        let target = try #require(schema.column(named: "y"))
        #expect(target.kind == .boolean)
        #expect(target.booleanValues == ["no", "yes"])
        #expect(schema.column(named: "housing")?.booleanValues == ["no", "yes"])
    }
}

#if DEBUG
let isDebugBuild = true
#else
let isDebugBuild = false
#endif
