import Foundation
import MimeoData
@testable import MimeoTabular
import Testing

/// `--where`: the argument parser (a pure function) and how values are checked against the model.
@Suite struct ConditionTests {
    @Test func parsesArguments() throws {
        let conditions = try Condition.parse(arguments: ["sex=Female", "age=40", "note=a=b", "workclass="])
        #expect(conditions == [Condition(column: "sex", value: "Female"), Condition(column: "age", value: "40"),
                               Condition(column: "note", value: "a=b"), Condition(column: "workclass", value: nil)])
        #expect(try Condition.parse(arguments: []).isEmpty)
    }

    @Test func twoConditionsOnOneColumnAreAnError() {
        #expect {
            _ = try Condition.parse(arguments: ["age=40", "sex=Male", "age=41"])
        } throws: { error in
            (error as? ConditionError)?.message
                == "column 'age' is fixed twice by --where ('age=40' and 'age=41'); give one value per column"
        }
    }

    @Test(arguments: ["age", "=40", ""])
    func malformedArgumentsAreErrors(argument: String) {
        #expect(throws: ConditionError.self) { _ = try Condition.parse(arguments: [argument]) }
    }

    @Test func anyStringGivesConditionsOrAnError() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("ab=é ,\n\"".unicodeScalars)
        for _ in 0..<2_000 {
            let arguments = (0..<Int.random(in: 0..<4, using: &generator)).map { _ in
                String(String.UnicodeScalarView((0..<Int.random(in: 0..<8, using: &generator)).map { _ in
                    alphabet.randomElement(using: &generator)!
                }))
            }
            if let conditions = try? Condition.parse(arguments: arguments) {
                #expect(conditions.count == arguments.count)
                #expect(Set(conditions.map(\.column)).count == conditions.count)
            }
        }
    }

    /// The sampler, used as a library, refuses a column given twice too (the last no longer wins).
    @Test func samplerRefusesAColumnGivenTwice() {
        #expect {
            _ = try SamplerTests.generate(1, seed: 1, threads: 1, conditions: [
                Condition(column: "age", value: "40"), Condition(column: "age", value: "50"),
            ])
        } throws: { error in
            (error as? ConditionError)?.message.contains("column 'age' is fixed twice") == true
        }
    }

    /// `age=0x28` was read as 40 by `Double(String)`; it is not a number.
    @Test(arguments: ["0x28", "inf", " 40", "4e1x", "nan"])
    func numbersAreStrict(value: String) {
        #expect {
            _ = try SamplerTests.generate(1, seed: 1, threads: 1, conditions: [Condition(column: "age", value: value)])
        } throws: { error in
            let message = (error as? ConditionError)?.message ?? ""
            return message.contains("column 'age' holds numbers; '\(value)' is not one")
                && message.contains("expected digits with an optional sign, decimal point and exponent")
        }
    }

    @Test func validNumbersStillWork() throws {
        for value in ["40", "+40", "4e1", "40.0"] {
            let bytes = try SamplerTests.generate(5, seed: 1, threads: 1, conditions: [Condition(column: "age", value: value)])
            let table = try TableLoader().load(from: CSVReader(bytes: bytes))
            #expect(table.columns[table.columnIndex(named: "age")!].allSatisfy { $0 == "40" }, "\(value)")
        }
    }
}
