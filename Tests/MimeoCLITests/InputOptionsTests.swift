import ArgumentParser
import Testing

@testable import MimeoCLI

@Suite struct InputOptionsTests {
    @Test(arguments: [(",", UInt8(ascii: ",")), (";", UInt8(ascii: ";")), ("|", UInt8(ascii: "|")),
                      ("tab", 0x09), ("\\t", 0x09), ("\t", 0x09)])
    func parsesDelimiters(text: String, byte: UInt8) throws {
        #expect(try parseDelimiter(text) == byte)
    }

    @Test(arguments: ["", ";;", "\"", "\n", "\r", "é", "comma"])
    func rejectsBadDelimiters(text: String) {
        #expect {
            try parseDelimiter(text)
        } throws: { error in
            (error as? ValidationError)?.message
                == "--delimiter must be one ASCII character other than a quote or newline (or 'tab'), not '\(text)'"
        }
    }

    @Test func defaultsToCommaAndNoSchema() throws {
        let options = try InputOptions.parse([])
        #expect(try options.delimiterByte() == UInt8(ascii: ","))
        #expect(options.schema == nil)
        #expect(try options.declaredSchema() == nil)
    }
}
