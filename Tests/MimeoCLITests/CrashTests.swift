import MimeoTestSupport
import Foundation
import Testing

/// Inputs that used to take `mimeo` down (issue 6): extreme integers, a huge `-n`, hostile model files.
@Suite struct CrashTests {
    /// 300 integers, three of them at the ends of `Int64` and the rest frequent small values: the three
    /// form one range spanning all of `Int64` (which used to trap when drawn from). Train, then generate,
    /// end to end.
    @Test func extremeIntegersTrainAndGenerate() throws {
        let directory = try TemporaryDirectory()
        var lines = ["id,amount,group"]
        for row in 0..<300 {
            let amount: String
            switch row {
            case 17: amount = "-9223372036854775808"
            case 150, 299: amount = "9223372036854775807"
            default: amount = String(row % 10 * 3)
            }
            lines.append("\(row % 7),\(amount),\(["a", "b", "c"][row % 3])")
        }
        let csv = try directory.write(lines.joined(separator: "\n") + "\n", to: "extreme.csv")
        let model = directory.file("extreme.mimeo")
        let train = try Mimeo.run(["train", csv, "-o", model, "--max-epochs", "2", "--quiet"])
        #expect(train.succeeded, "\(train)")

        let output = directory.file("out.csv")
        for seed in ["1", "2", "3"] {
            let run = try Mimeo.run(["generate", model, "-n", "5000", "-o", output, "--seed", seed, "--quiet"])
            #expect(run.succeeded, "\(run)")
            let rows = String(decoding: try directory.read("out.csv"), as: UTF8.self).split(separator: "\n").dropFirst()
            #expect(rows.count == 5000)
            for row in rows {
                let amount = row.split(separator: ",", omittingEmptySubsequences: false)[1]
                #expect(Int64(amount) != nil, "'\(amount)' is not within Int64")
            }
        }
        #expect(try directory.contents() == ["extreme.csv", "extreme.mimeo", "out.csv"], "no temporary file is left")
    }

    /// A `--rare-threshold` near `Int.max` on a column with more distinct values than bins (whose
    /// sub-range test doubled the threshold, and overflowed).
    @Test func hugeRareThresholdsTrain() throws {
        let directory = try TemporaryDirectory()
        let rows = (0..<300).map { "\($0 * 7),\(["x", "y"][$0 % 2])" }
        let csv = try directory.write((["amount,label"] + rows).joined(separator: "\n") + "\n", to: "wide.csv")
        let model = directory.file("wide.mimeo")
        let train = try Mimeo.run(["train", csv, "-o", model, "--max-epochs", "1", "--quiet",
                                   "--rare-threshold", "9223372036854775807"])
        #expect(train.succeeded, "\(train)")
        let run = try Mimeo.run(["generate", model, "-n", "20"])
        #expect(run.succeeded, "\(run)")
        #expect(run.standardOutput.split(separator: "\n").count == 21)
    }

    @Test(arguments: ["9223372036854775807", "1000000000001"])
    func hugeRowCountsAreUsageErrors(n: String) throws {
        let adult = try AdultModel.shared()
        let directory = try TemporaryDirectory()
        let run = try Mimeo.run(["generate", adult.model, "-n", n, "-o", directory.file("out.csv")])
        #expect(run.status == 64, "\(run)")
        #expect(run.standardError.contains("-n must be at most 1,000,000,000,000"), "\(run)")
        #expect(try directory.contents().isEmpty)
    }

    /// Hostile model files, made from the shared adult model with the checksum fixed up: `generate` and
    /// `info` exit with the message, never a crash.
    @Test(arguments: CraftedModel.all)
    func craftedModelsFailCleanly(_ crafted: CraftedModel) throws {
        let directory = try TemporaryDirectory()
        let good = [UInt8](try Data(contentsOf: URL(fileURLWithPath: try AdultModel.shared().model)))
        let model = try directory.write(crafted.make(good), to: "\(crafted.name).mimeo")
        for arguments in [["generate", model, "-n", "10", "-o", directory.file("out.csv")], ["info", model]] {
            let run = try Mimeo.run(arguments)
            #expect(run.failedCleanly, "\(arguments[0]): \(run)")
            #expect(run.standardError.hasPrefix("Error: \(model): error: "), "\(run)")
            #expect(run.standardError.contains(crafted.message), "\(run)")
        }
        #expect(try directory.contents() == ["\(crafted.name).mimeo"])
    }
}

/// A model file crafted from a good one, and a fragment of the message expected for it.
struct CraftedModel: Sendable, CustomTestStringConvertible {
    let name: String
    let message: String
    let make: @Sendable ([UInt8]) -> [UInt8]
    var testDescription: String { name }

    static func architecture(_ change: @escaping @Sendable (inout [String: Any]) -> Void) -> @Sendable ([UInt8]) -> [UInt8] {
        { bytes in
            editingMetadata(of: bytes) { metadata in
                var architecture = metadata["architecture"] as! [String: Any]
                change(&architecture)
                metadata["architecture"] = architecture
            }
        }
    }

    static func numeric(decimals: Int) -> @Sendable ([UInt8]) -> [UInt8] {
        { bytes in
            editingMetadata(of: bytes) { metadata in
                var encoder = metadata["encoder"] as! [String: Any]
                var encodings = encoder["encodings"] as! [[String: Any]]
                let index = encodings.firstIndex { ($0["numeric"] as? [String: Any]).map { (($0["_0"] as! [String: Any])["isInteger"] as! Bool) == false } ?? false }
                    ?? encodings.firstIndex { $0["numeric"] != nil }!
                var outer = encodings[index]["numeric"] as! [String: Any]
                var inner = outer["_0"] as! [String: Any]
                inner["decimals"] = decimals
                outer["_0"] = inner
                encodings[index]["numeric"] = outer
                encoder["encodings"] = encodings
                metadata["encoder"] = encoder
            }
        }
    }

    static let all: [CraftedModel] = [
        CraftedModel(name: "huge-parameter-count", message: "truncated or padded model file") { bytes in
            var length = 0
            for i in 0 ..< 8 { length |= Int(bytes[12 + i]) << (8 * i) }
            var copy = Array(bytes.dropLast(4))
            let count: UInt64 = 0x3FFF_FFFF_FFFF_D135
            for i in 0 ..< 8 { copy[20 + length + i] = UInt8(truncatingIfNeeded: count >> (8 * UInt64(i))) }
            return withChecksum(copy)
        },
        CraftedModel(name: "short-hidden-widths", message: "architecture lists of different lengths",
                     make: architecture { $0["hiddenWidths"] = ($0["hiddenWidths"] as! [Int]).dropLast(3).map { $0 } }),
        CraftedModel(name: "short-embedding-widths", message: "architecture lists of different lengths",
                     make: architecture { $0["embeddingWidths"] = Array(($0["embeddingWidths"] as! [Int]).prefix(2)) }),
        CraftedModel(name: "decimals-16", message: "bad decimals", make: numeric(decimals: 16)),
        CraftedModel(name: "decimals-18", message: "bad decimals", make: numeric(decimals: 18)),
        CraftedModel(name: "decimals-20", message: "bad decimals", make: numeric(decimals: 20)),
    ]
}
