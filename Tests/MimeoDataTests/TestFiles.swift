import Foundation
import Testing

@testable import MimeoData

/// A fresh temporary directory for one test, removed when the value is dropped.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "mimeo-data-tests-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// The path of `name` inside the directory.
    func file(_ name: String) -> String { "\(path)/\(name)" }

    /// Writes `bytes` to `name` and returns its path.
    @discardableResult
    func write(_ bytes: [UInt8], to name: String) throws -> String {
        let target = file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: target))
        return target
    }

    /// Writes `text` as UTF-8 to `name` and returns its path.
    @discardableResult
    func write(_ text: String, to name: String) throws -> String {
        try write(Array(text.utf8), to: name)
    }

    /// The names of the files in the directory.
    func contents() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).sorted()
    }
}

/// The shared datasets used by the real-file tests.
enum Datasets {
    static let root = "/work/shared/datasets"
    static let adultTrain = "\(root)/adult/adult-train.csv"
    static let flightsTrain = "\(root)/flights/flights-train.csv.gz"
    static let bankTrain = "\(root)/bank_marketing/bank_marketing-train.csv"
}

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
