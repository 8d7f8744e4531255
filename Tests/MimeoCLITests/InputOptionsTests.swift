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

    @Test func defaultsToADetectedDelimiterAndNoSchema() throws {
        let options = try InputOptions.parse([])
        #expect(options.delimiter == nil)
        #expect(options.invalidShare == 0.02)
        #expect(options.schema == nil)
        #expect(try options.declaredSchema() == nil)
    }
}
