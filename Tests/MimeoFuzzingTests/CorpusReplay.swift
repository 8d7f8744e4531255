import Foundation
import MimeoFuzzing
import Testing

/// Replays a harness's committed inputs in-process: the seed corpus (`Fuzz/corpus/<harness>/`) and the
/// crashes found so far (`Fuzz/crashes/<harness>/`). Inputs in `Fuzz/pending/<harness>/` still crash
/// until a fix lands elsewhere and are skipped (docs/fuzzing.md).
///
/// A trap in a harness kills the test process: that is the assertion that no input traps. Each input
/// must otherwise be accepted or rejected with a clean, documented error.
enum CorpusReplay {
    static let fuzzDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Fuzz").standardizedFileURL

    /// The committed inputs of `harness` in `folder` (`corpus` or `crashes`), sorted by name.
    static func inputs(_ harness: FuzzHarness, in folder: String) throws -> [URL] {
        let directory = fuzzDirectory.appendingPathComponent(folder).appendingPathComponent(harness.rawValue)
        guard FileManager.default.fileExists(atPath: directory.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { !$0.lastPathComponent.hasPrefix(".") && $0.lastPathComponent != "README.md" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    /// Runs `harness` on every seed and crash input; returns how many were accepted and rejected.
    static func replay(_ harness: FuzzHarness) throws -> (accepted: Int, rejected: Int) {
        let seeds = try inputs(harness, in: "corpus")
        #expect(!seeds.isEmpty, "no seed corpus in Fuzz/corpus/\(harness.rawValue)")
        var accepted = 0, rejected = 0
        for file in seeds + (try inputs(harness, in: "crashes")) {
            let bytes = [UInt8](try Data(contentsOf: file))
            switch harness.run(bytes) {
            case .accepted:
                accepted += 1
            case .rejected(let error):
                rejected += 1
                #expect(FuzzHarness.isClean(error), "\(file.lastPathComponent): unclean error \(type(of: error)): \(error)")
            }
        }
        return (accepted, rejected)
    }
}
