import Testing

@testable import MimeoData

@Suite struct ColumnSchemaValidationTests {
    @Test func integer() {
        let column = ColumnSchema(name: "n", kind: .integer)
        for value in ["0", "-12", "+7", "007", "9223372036854775807", "-9223372036854775808"] {
            #expect(column.accepts(value), "\(value)")
        }
        for value in ["", "1.0", "1e3", " 1", "1 ", "--1", "+", "9223372036854775808", "0x10", "١٢"] {
            #expect(!column.accepts(value), "\(value)")
        }
    }

    @Test func decimal() {
        let column = ColumnSchema(name: "x", kind: .decimal)
        for value in ["0", "-1.25", ".5", "5.", "2e-3", "1E+10", "+3.0"] {
            #expect(column.accepts(value), "\(value)")
        }
        for value in ["", ".", "e5", "1e", "1.2.3", "inf", "-Infinity", "nan", "NaN", "1e400", "0x1p3", "1,5", " 1"] {
            #expect(!column.accepts(value), "\(value)")
        }
    }

    @Test func boolean() {
        let yesNo = ColumnSchema(name: "b", kind: .boolean, booleanValues: ["no", "yes"])
        #expect(yesNo.accepts("yes") && yesNo.accepts("no"))
        #expect(!yesNo.accepts("Yes") && !yesNo.accepts("true"))
        let unspecified = ColumnSchema(name: "b", kind: .boolean)
        for value in ["true", "False", "YES", "n", "T", "0", "1"] {
            #expect(unspecified.accepts(value), "\(value)")
        }
        #expect(!unspecified.accepts("maybe"))
        #expect(yesNo.expectedValueDescription == "'no' or 'yes'")
    }

    @Test func datetime() {
        let column = ColumnSchema(name: "d", kind: .datetime, format: "%Y-%m-%dT%H:%M:%SZ")
        #expect(column.accepts("2013-01-01T10:00:00Z"))
        #expect(!column.accepts("2013-01-01"))
        let anyFormat = ColumnSchema(name: "d", kind: .datetime)
        #expect(anyFormat.accepts("2013-01-01") && anyFormat.accepts("12/31/2013"))
        #expect(!anyFormat.accepts("yesterday"))
        #expect(!ColumnSchema(name: "d", kind: .datetime, format: "%Q").accepts("2013-01-01"))
    }

    @Test func stringKindsAcceptAnything() {
        for kind in [ColumnKind.categorical, .identifier, .text] {
            #expect(ColumnSchema(name: "s", kind: kind).accepts("anything, really \"\n"))
        }
    }

    @Test func everyKindDescribesItsValues() {
        for kind in ColumnKind.allCases {
            #expect(!ColumnSchema(name: "c", kind: kind).expectedValueDescription.isEmpty)
        }
    }
}
