import Foundation
import Testing

@testable import MimeoData

// The shared datasets used by the real-file tests are found through `Datasets` (MimeoTestSupport).

/// Reads everything from a reader: header then records.
func readAll(_ reader: CSVReader) throws -> [[String]] {
    var rows = [reader.header]
    while let record = try reader.next() { rows.append(record.fields) }
    return rows
}

/// Parses `text` and returns header + records.
func parse(_ text: String, delimiter: UInt8 = UInt8(ascii: ",")) throws -> [[String]] {
    try readAll(CSVReader(string: text, delimiter: delimiter))
}

/// The `DataError` thrown by `body`, or nil (recorded as a test failure) when none is thrown.
func dataError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> DataError? {
    do {
        try body()
    } catch let error as DataError {
        return error
    } catch {
        Issue.record("expected a DataError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
    Issue.record("expected a DataError, nothing was thrown", sourceLocation: sourceLocation)
    return nil
}
