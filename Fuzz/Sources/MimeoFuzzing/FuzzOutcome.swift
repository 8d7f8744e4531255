import MimeoData
import MimeoTabular

/// What one fuzz input did to a harness: accepted (the code under test produced a result, and the
/// harness's checks on that result held), or rejected with an error.
///
/// Harnesses trap (`fatalError`) on what must never happen: a broken check on an accepted input, or an
/// error that is not one of the project's documented error types. libFuzzer reports such a trap as a
/// crash; the corpus replay tests die on it, which is their assertion.
public enum FuzzOutcome: Sendable {
    case accepted
    case rejected(any Error)

    /// The rejection's error, if any.
    public var error: (any Error)? {
        if case .rejected(let error) = self { return error }
        return nil
    }
}

/// The harnesses, by the name `make fuzz` and the corpus folders use (`Fuzz/corpus/<name>/`).
public enum FuzzHarness: String, CaseIterable, Sendable {
    case csv
    case schema
    case modelFile = "model-file"
    case whereConditions = "where"
    case wire
    case parquet

    /// Runs the harness on one input.
    public func run(_ data: [UInt8]) -> FuzzOutcome {
        switch self {
        case .csv: return CSVHarness.run(data)
        case .schema: return SchemaHarness.run(data)
        case .modelFile: return ModelFileHarness.run(data)
        case .whereConditions: return WhereHarness.run(data)
        case .wire: return WireHarness.run(data)
        case .parquet: return ParquetHarness.run(data)
        }
    }

    /// Whether `error` is a clean rejection: one of the documented error types, with a message.
    public static func isClean(_ error: any Error) -> Bool {
        switch error {
        case let error as DataError: return !error.message.isEmpty && !error.file.isEmpty
        case let error as ModelFileError: return !error.message.isEmpty
        case let error as ConditionError: return !error.message.isEmpty
        case is WireRefusal: return true
        default: return false
        }
    }

    /// Traps unless `error` is clean (see `isClean`): a fuzzer finding.
    static func requireClean(_ error: any Error, _ harness: FuzzHarness) -> FuzzOutcome {
        guard isClean(error) else {
            fatalError("\(harness.rawValue) harness: unexpected error type \(type(of: error)): \(error)")
        }
        return .rejected(error)
    }
}
