import Foundation
import Testing

@testable import MimeoData

@Suite struct NumberSyntaxTests {
    @Test(arguments: [
        ("0", 0.0), ("-7", -7), ("+3", 3), ("42", 42), ("1.5", 1.5), ("-0.125", -0.125), (".5", 0.5), ("5.", 5),
        ("2e3", 2000), ("2.5E-2", 0.025), ("-1.25e+2", -125), ("1234567890123456789", 1_234_567_890_123_456_789),
        ("0.1", 0.1), ("3.14159", 3.14159), ("1e-300", 1e-300), ("1.7976931348623157e308", 1.7976931348623157e308),
        ("123456789012345678901234", 1.2345678901234568e23), ("0.000001234", 0.000001234),
    ])
    func parsesNumbers(text: String, value: Double) {
        #expect(NumberSyntax.parse(text) == value)
    }

    /// What `Double(String)` (the old parser of encoding and `--where`) accepted but is not a number.
    @Test(arguments: ["0x28", "0X1p3", "inf", "-inf", "infinity", "nan", "NaN", " 12", "12 ", " 12 ", "1e999",
                      "-1e400", "", "+", "-", ".", "e5", "1e", "1e+", "1.2.3", "1,5", "1_000", "--1", "12abc", "٣"])
    func rejectsEverythingElse(text: String) {
        #expect(NumberSyntax.parse(text) == nil)
        #expect(NumberSyntax.number(text) == nil)
    }

    @Test func integerColumnsTakeOnlyIntegers() {
        #expect(NumberSyntax.parse("40", kind: .integer) == 40)
        #expect(NumberSyntax.parse("-0", kind: .integer) == 0)
        #expect(NumberSyntax.parse("40.5", kind: .integer) == nil)
        #expect(NumberSyntax.parse("4e1", kind: .integer) == nil)
        #expect(NumberSyntax.parse("99999999999999999999", kind: .integer) == nil)  // beyond Int64
        #expect(NumberSyntax.parse("40.5", kind: .decimal) == 40.5)
    }

    @Test func keepsHowTheNumberWasWritten() throws {
        let plain = try #require(NumberSyntax.number("-12"))
        #expect(plain.isWrittenAsInteger && plain.places == 0)
        let exponent = try #require(NumberSyntax.number("1.5e-3"))
        #expect(!exponent.isWrittenAsInteger && exponent.places == 4)
        #expect(NumberSyntax.number("2.50")?.places == 2)
        #expect(NumberSyntax.number("1e-40")?.places == 20)  // capped
    }

    /// The fast path (mantissa and power of ten) rounds exactly as the standard library does.
    @Test func agreesWithTheStandardLibraryOnValidText() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            var text = Bool.random(using: &generator) ? "-" : ""
            text += String(UInt64.random(in: 0...999_999_999_999_999, using: &generator))
            if Bool.random(using: &generator) {
                text += "." + String(UInt64.random(in: 0...99_999_999, using: &generator))
            }
            if Int.random(in: 0..<4, using: &generator) == 0 { text += "e" + String(Int.random(in: -30...30, using: &generator)) }
            #expect(NumberSyntax.parse(text) == Double(text), "\(text)")
        }
    }

    /// Inference, validation and parsing agree: a column of one value is numeric exactly when the value parses.
    @Test(arguments: ["40", "-1.5", "2e3", "0x28", "inf", " 7", "1e999", "nan", "1.", ".5", "+3"])
    func inferenceAndParserAgree(text: String) {
        let parses = NumberSyntax.parse(text) != nil
        let kind = SchemaInference().inferColumn(named: "x", values: [text]).kind
        #expect(kind.isNumeric == parses)
        #expect(ColumnSchema(name: "x", kind: .decimal).accepts(text) == parses)
    }
}
