import Foundation
import Testing

/// The shared datasets (`adult`, `bank_marketing`, `flights`, …) that the real-file tests read, and the
/// package's own files.
///
/// The datasets live outside the repository: in `$MIMEO_DATASETS` when it is set, otherwise in
/// `../shared/datasets` next to the package (found from this file's path, so any checkout works). A test
/// that needs one declares it with ``required(_:)``, so that where the data is missing it is reported as
/// skipped, with the reason, rather than passing without checking anything:
///
/// ```swift
/// @Test(Datasets.required(Datasets.adultTrain)) func loadsAdult() throws {
///     let table = try Table.load(path: Datasets.adultTrain)
/// }
/// ```
public enum Datasets {
    /// The package root (this file is `<root>/Tests/MimeoTestSupport/Datasets.swift`).
    public static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0 ..< 3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// Where the datasets are: `$MIMEO_DATASETS`, or `../shared/datasets` beside the package.
    public static let root: String = {
        if let path = ProcessInfo.processInfo.environment["MIMEO_DATASETS"], !path.isEmpty { return path }
        return URL(fileURLWithPath: packageRoot).deletingLastPathComponent()
            .appendingPathComponent("shared/datasets").standardized.path
    }()

    /// The path of `relativePath` inside ``root``.
    public static func path(_ relativePath: String) -> String { root + "/" + relativePath }

    /// Adult's training split (39,073 rows).
    public static let adultTrain = path("adult/adult-train.csv")
    /// Flights' training split, gzip-compressed (269,420 rows).
    public static let flightsTrain = path("flights/flights-train.csv.gz")
    /// Bank marketing's training split.
    public static let bankTrain = path("bank_marketing/bank_marketing-train.csv")

    /// The bundled adult sample (5,000 rows), part of the repository.
    public static let adultSample = packageRoot + "/samples/adult-sample.csv"

    /// Whether every one of `paths` (absolute, or relative to ``root``) exists.
    public static func isAvailable(_ paths: String...) -> Bool {
        isAvailable(paths)
    }

    /// Whether every one of `paths` (absolute, or relative to ``root``) exists.
    public static func isAvailable(_ paths: [String]) -> Bool {
        paths.allSatisfy { FileManager.default.fileExists(atPath: absolute($0)) }
    }

    /// A trait that skips the test, saying which file is missing, unless every one of `paths` exists.
    public static func required(_ paths: String..., sourceLocation: SourceLocation = #_sourceLocation) -> ConditionTrait {
        let missing = paths.map(absolute).filter { !FileManager.default.fileExists(atPath: $0) }
        let reason = "needs the shared datasets: \(missing.joined(separator: ", ")) not found "
            + "(set MIMEO_DATASETS or put them in ../shared/datasets)"
        return .enabled(if: missing.isEmpty, Comment(rawValue: reason), sourceLocation: sourceLocation)
    }

    private static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : Self.path(path)
    }
}
