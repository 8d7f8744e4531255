import Foundation
import MimeoTestSupport
import Testing

@testable import MimeoData

/// Dirty columns: a few values that fail the kind the rest fit are read as missing and reported.
@Suite struct DirtyColumnTests {
    private let inference = SchemaInference()

    /// 200 valid ISO dates and one impossible one (the issue's case): a datetime column, not an identifier.
    @Test func oneImpossibleDateAmongTwoHundred() throws {
        var values: [String?] = (0..<200).map { day in
            let date = Date(timeIntervalSince1970: 1_672_531_200 + Double(day) * 86_400)  // from 2023-01-01
            return DateTimeFormat(pattern: "%Y-%m-%d")!.format(DateTimeParts(secondsSinceEpoch: Int64(date.timeIntervalSince1970)))
        }
        values.insert("2023-02-30", at: 57)
        let column = inference.inferColumn(named: "date", values: values)
        #expect(column.kind == .datetime)
        #expect(column.format == "%Y-%m-%d")
        let invalid = try #require(column.invalidValues)
        #expect(invalid.count == 1)
        #expect(invalid.examples == [InvalidValues.Example(row: 58, value: "2023-02-30")])
        #expect(column.invalidValuesSummary
                == "column 'date': 1 value does not fit datetime (%Y-%m-%d) and is read as missing: row 58 '2023-02-30'")
    }

    @Test func integersWithAFewWords() throws {
        var values: [String?] = (0..<300).map { String(20 + $0 % 50) }
        values[10] = "forty"
        values[20] = nil
        values[200] = "3O"  // letter O
        let column = inference.inferColumn(named: "age", values: values)
        #expect(column.kind == .integer)
        #expect(column.invalidValues?.count == 2)
        #expect(column.invalidValues?.examples.map(\.row) == [11, 201])
    }

    @Test func examplesStopAtFiveButTheCountGoesOn() throws {
        var values: [String?] = (0..<1000).map { "\($0).5" }
        for row in stride(from: 0, to: 1000, by: 125) { values[row] = "n.a." }
        let column = inference.inferColumn(named: "x", values: values)
        #expect(column.kind == .decimal)
        #expect(column.decimals == 1)
        #expect(column.invalidValues?.count == 8)
        #expect(column.invalidValues?.examples.count == 5)
        #expect(column.invalidValuesSummary?.hasSuffix(", …") == true)
    }

    @Test func theKindWithTheFewestFailuresWins() {
        // Whole numbers with a few fractions are decimals with no failure, not dirty integers.
        var values: [String?] = (0..<500).map { String($0) }
        values[3] = "3.5"
        let column = inference.inferColumn(named: "x", values: values)
        #expect(column.kind == .decimal)
        #expect(column.invalidValues == nil)
        // A fraction and a word: decimal with one failure beats integer with two.
        values[4] = "four"
        let dirty = inference.inferColumn(named: "x", values: values)
        #expect(dirty.kind == .decimal)
        #expect(dirty.invalidValues?.count == 1)
    }

    @Test func booleansWithAStrayValue() {
        var values: [String?] = (0..<200).map { $0 % 3 == 0 ? "yes" : "no" }
        values[7] = "maybe"
        let column = inference.inferColumn(named: "b", values: values)
        #expect(column.kind == .boolean)
        #expect(column.booleanValues == ["no", "yes"])
        #expect(column.invalidValues?.examples == [InvalidValues.Example(row: 8, value: "maybe")])
    }

    @Test func datetimeLayoutIsTheOneMostValuesFit() {
        // Month-first dates with one day-first typo: month-first with one failure.
        var values: [String?] = (0..<100).map { String(format: "%02d/%02d/2020", 1 + $0 % 12, 1 + $0 % 28) }
        values[50] = "25/12/2020"
        let column = inference.inferColumn(named: "d", values: values)
        #expect(column.kind == .datetime)
        #expect(column.format == "%m/%d/%Y")
        #expect(column.invalidValues?.count == 1)
    }

    /// Labels and identifiers never become numbers because a few of their values are numbers.
    @Test func mostlyNonNumericColumnsStayStrings() {
        let codes: [String?] = (0..<300).map { $0 % 40 == 0 ? String($0) : "K\($0)" }
        #expect(inference.inferColumn(named: "id", values: codes).kind == .identifier)
        let labels: [String?] = (0..<300).map { $0 % 10 == 0 ? "7" : ["red", "green", "blue"][$0 % 3] }
        #expect(inference.inferColumn(named: "c", values: labels).kind == .categorical)
        // 5 % words: above the 2 % share, so labels.
        let mixed: [String?] = (0..<200).map { $0 % 20 == 0 ? "unknown" : String($0 % 7) }
        #expect(inference.inferColumn(named: "m", values: mixed).kind == .categorical)
    }

    @Test func codesWithLeadingZerosAreNotDirtyIntegers() {
        var values: [String?] = (0..<300).map { String(10_000 + $0) }
        values[9] = "02134"
        // Not an integer column with one failure: codes (300 distinct, so an identifier).
        #expect(inference.inferColumn(named: "zip", values: values).kind == .identifier)
    }

    @Test func theShareIsSettable() {
        var values: [String?] = (0..<100).map { String($0 + 1) }
        values[0] = "x"
        values[1] = "y"
        values[2] = "z"  // 3 %
        #expect(inference.inferColumn(named: "n", values: values).kind == .categorical)
        var loose = SchemaInference()
        loose.invalidShare = 0.05
        #expect(loose.inferColumn(named: "n", values: values).kind == .integer)
        var off = SchemaInference()
        off.invalidShare = 0
        values[1] = "2"
        values[2] = "3"
        #expect(off.inferColumn(named: "n", values: values).kind == .categorical)
        #expect(inference.inferColumn(named: "n", values: values).invalidValues?.count == 1)
        // Never more than half, whatever the share.
        var reckless = SchemaInference()
        reckless.invalidShare = 1
        #expect(reckless.inferColumn(named: "n", values: ["1", "a", "b"]).kind == .categorical)
    }

    /// adult's age with four values spoiled: still an integer column, the four reported.
    @Test(Datasets.required(Datasets.adultTrain)) func adultAgeWithInjectedDirt() throws {
        var table = try Table.load(path: Datasets.adultTrain, rowLimit: 5000)
        let age = try #require(table.columnIndex(named: "age"))
        for (row, bad) in [(10, "forty"), (500, "0x28"), (2500, "39.5.1"), (4999, "inf")] { table.columns[age][row] = bad }
        let schema = inference.inferSchema(from: table)
        let column = try #require(schema.column(named: "age"))
        #expect(column.kind == .integer)
        #expect(column.invalidValues?.count == 4)
        #expect(column.invalidValues?.examples.map(\.row) == [11, 501, 2501, 5000])
        // The other columns are unchanged and clean.
        #expect(schema.columns.filter { $0.invalidValues != nil }.map(\.name) == ["age"])
    }

    /// The shared datasets have no dirty columns, so their schemas are what they were.
    @Test(Datasets.required(Datasets.adultTrain, Datasets.bankTrain, Datasets.flightsTrain)) func cleanDatasetsStayClean() throws {
        for path in [Datasets.adultTrain, Datasets.bankTrain, Datasets.flightsTrain] {
            let schema = inference.inferSchema(from: try Table.load(path: path, rowLimit: 20_000))
            #expect(schema.columns.allSatisfy { $0.invalidValues == nil }, "\(path)")
        }
    }

    @Test func schemaJSONCarriesInvalidValuesAndOldJSONStillDecodes() throws {
        var column = ColumnSchema(name: "d", kind: .datetime, format: "%Y-%m-%d")
        column.invalidValues = InvalidValues(count: 1, examples: [.init(row: 58, value: "2023-02-30")])
        let data = try JSONEncoder().encode(Schema(columns: [column]))
        #expect(try JSONDecoder().decode(Schema.self, from: data) == Schema(columns: [column]))
        let old = #"{"columns": [{"name": "d", "kind": "datetime", "format": "%Y-%m-%d"}], "missingValues": [""]}"#
        #expect(try JSONDecoder().decode(Schema.self, from: Data(old.utf8)).columns[0].invalidValues == nil)
        // A clean column writes no key at all.
        let clean = String(decoding: try JSONEncoder().encode(ColumnSchema(name: "a", kind: .integer)), as: UTF8.self)
        #expect(!clean.contains("invalidValues"))
    }

    /// A declared schema that marks a column dirty lets its invalid values through; one that does not,
    /// rejects them as before.
    @Test func declaredDirtyColumnsLoad() throws {
        let text = "age,name\n30,a\nabc,b\n41,c\n"
        var column = ColumnSchema(name: "age", kind: .integer)
        let strict = Schema(columns: [column, ColumnSchema(name: "name", kind: .categorical)])
        #expect(throws: DataError.self) { try TableLoader(schema: strict).load(from: CSVReader(string: text)) }
        column.invalidValues = InvalidValues()
        let tolerant = Schema(columns: [column, ColumnSchema(name: "name", kind: .categorical)])
        let table = try TableLoader(schema: tolerant).load(from: CSVReader(string: text))
        #expect(table.columns[0] == ["30", "abc", "41"])
        #expect(column.invalidValues(in: table.columns[0]).examples == [.init(row: 2, value: "abc")])
        #expect(column.nullingInvalidValues(table.columns[0]) == ["30", nil, "41"])
    }
}
