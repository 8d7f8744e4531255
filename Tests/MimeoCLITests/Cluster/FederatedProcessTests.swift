import Foundation
import MimeoTestSupport
import Testing

/// Federated training as a user runs it: three site workers (`mimeo worker --data`), each holding one site of a
/// skewed split of the adult sample (scripts/split-sites.py), a coordinator, and `mimeo train --cluster
/// --federated`, all separate processes on loopback, stopped by pid.
@Suite("Federated training processes", .serialized)
struct FederatedProcessTests {
    static let sites = ["site-a", "site-b", "site-c"]
    static let rareThreshold = 5

    /// The run ends with a model file that loads and generates rows of the sites' columns, and no site sent any
    /// value that is rare in the union of the sites' tables (count below the rare threshold), in its text form or
    /// (numbers) as a binary64 in either byte order: the frames each worker sent are recorded (`--record-frames`).
    @Test func threeSitesTrainAModelAndSendNoRareCell() throws {
        let mimeo = try ClusterSupport.executable()
        let directory = try TemporaryDirectory()
        let split = try Self.split(into: directory.file("sites"))
        let key = directory.file("site.key")
        try Data((0..<32).map { UInt8(($0 * 37 + 11) & 0xFF) }).write(to: URL(fileURLWithPath: key))

        let (coordinator, endpoint) = try ClusterSupport.startCoordinator(executable: mimeo, state: directory.file("c.db"))
        defer { _ = coordinator.stop() }
        var workers: [BackgroundProcess] = []
        defer { for worker in workers { _ = worker.stop() } }
        for site in Self.sites {
            workers.append(try ClusterSupport.startWorker(
                executable: mimeo, endpoint: endpoint, name: site, cache: directory.file("cache-\(site)"),
                extra: ["--data", split[site]!, "--site-key", key, "--record-frames", directory.file("\(site).frames")]))
        }
        let model = directory.file("model.mimeo")
        let train = try BackgroundProcess(mimeo, [
            "train", "--cluster", endpoint, "--federated", "-o", model, "--rounds", "2", "--min-sites", "3",
            "--width-factor", "1", "--batch-size", "64", "--seed", "3", "--rare-threshold", String(Self.rareThreshold),
        ], name: "train")
        let status = train.wait(timeout: 120)
        if status == nil { train.killNow() }
        #expect(status == 0, "train: \(train.standardError)\ncoordinator: \(coordinator.standardError.suffix(4_000))")
        guard status == 0 else { return }
        #expect(train.standardError.contains("round 1/2"), "\(train.standardError)")
        #expect(train.standardError.contains("round 2/2"), "\(train.standardError)")

        // The model is an ordinary model file: it generates rows with the sites' header.
        let generated = try Mimeo.run(["generate", model, "-n", "300", "--seed", "1", "-o", directory.file("gen.csv"),
                                       "--quiet"])
        #expect(generated.succeeded, "\(generated)")
        let lines = try String(contentsOfFile: directory.file("gen.csv"), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: true)
        let header = try String(contentsOfFile: Datasets.adultSample, encoding: .utf8)
            .split(separator: "\n").first.map(String.init)
        #expect(lines.count == 301)
        #expect(lines.first.map(String.init) == header)

        // `mimeo status` shows the train job's rounds and sites.
        let shown = try Mimeo.run(["status", "--coordinator", endpoint])
        #expect(shown.succeeded && shown.standardOutput.contains("train job 1: finished, round"), "\(shown)")
        #expect(shown.standardOutput.contains("site-b:"), "\(shown.standardOutput)")

        // No rare cell left its site.
        let rare = try Self.rareCells(Array(split.values))
        #expect(rare.count > 100, "the split should hold many rare values, found \(rare.count)")
        for site in Self.sites {
            let frames = try Self.frames(directory.file("\(site).frames"))
            #expect(frames.count > 10, "\(site) recorded \(frames.count) frames")
            let sent = Data(frames.joined())
            var leaked: [String] = []
            for cell in rare {
                for needle in Self.encodings(of: cell) where sent.range(of: needle) != nil {
                    leaked.append(cell)
                    break
                }
            }
            #expect(leaked.isEmpty, "\(site) sent rare cells: \(leaked.prefix(20))")
            // The search finds the site's rare cells where they are: in its own table.
            let table = try Data(contentsOf: URL(fileURLWithPath: split[site]!))
            let found = rare.filter { table.range(of: Data($0.utf8)) != nil }
            #expect(found.count > 30, "\(site)'s table holds only \(found.count) of the rare cells")
        }
    }

    /// Failures mid-run: the coordinator SIGKILLed after round 1's checkpoint and restarted on the same state and
    /// port resumes the job from that checkpoint (the sites and the client reconnect); then a site SIGKILLed in the
    /// middle of round 2 is dropped from it, the round completes with the other two (the quorum, `--min-sites 2`)
    /// and training finishes with a model.
    @Test func killedSiteAndRestartedCoordinatorStillFinish() throws {
        let mimeo = try ClusterSupport.executable()
        let directory = try TemporaryDirectory()
        let split = try Self.split(into: directory.file("sites"))
        let key = directory.file("site.key")
        try Data((0..<32).map { UInt8(($0 * 53 + 7) & 0xFF) }).write(to: URL(fileURLWithPath: key))
        let state = directory.file("c.db")
        var (coordinator, endpoint) = try ClusterSupport.startCoordinator(executable: mimeo, state: state)
        defer { _ = coordinator.stop() }
        var workers: [String: BackgroundProcess] = [:]
        defer { for worker in workers.values { _ = worker.stop() } }
        for site in Self.sites {
            workers[site] = try ClusterSupport.startWorker(
                executable: mimeo, endpoint: endpoint, name: site, cache: directory.file("cache-\(site)"),
                extra: ["--data", split[site]!, "--site-key", key])
        }
        // Wait until every site joined, so that round 1 has three participants.
        #expect(eventually(timeout: 30) { coordinator.standardError.components(separatedBy: "worker joined").count == 4 })
        let model = directory.file("model.mimeo")
        let train = try BackgroundProcess(mimeo, [
            "train", "--cluster", endpoint, "--federated", "-o", model, "--rounds", "3", "--min-sites", "2",
            "--local-epochs", "10", "--width-factor", "1", "--batch-size", "64", "--seed", "4",
        ], name: "train")
        defer { if train.poll() == nil { train.killNow() } }

        // Round 1 checkpointed (committed: a site got round 2's lease, sent after the pass's transaction): SIGKILL
        // the coordinator, restart it on the same state.
        #expect(eventually(timeout: 60) {
            workers.values.contains { $0.standardError.contains("phase=trainRound round=2") }
        }, "\(coordinator.standardError.suffix(3_000))")
        coordinator.signal(SIGKILL)
        _ = coordinator.wait(timeout: 10)
        let port = Int(endpoint.split(separator: ":").last!)!
        (coordinator, endpoint) = try ClusterSupport.startCoordinator(executable: mimeo, state: state, port: port)
        #expect(eventually(timeout: 60) { coordinator.standardError.contains("train job resumed from its checkpoint") },
                "\(coordinator.standardError.suffix(3_000))")
        #expect(coordinator.standardError.contains("resumed from its checkpoint\" job=1 round=2"),
                "\(coordinator.standardError.suffix(3_000))")

        // Round 2 under way: SIGKILL one of its participants (the sites rejoin the restarted coordinator one by one,
        // so the round has two or three) before it answers.
        var started: Substring?
        #expect(eventually(timeout: 60) {
            started = coordinator.standardError.split(separator: "\n").first {
                $0.contains("msg=\"round started\"") && $0.contains(" round=2")
            }
            return started != nil
        }, "\(coordinator.standardError.suffix(3_000))")
        let participants = Self.sites.filter { started?.contains($0) == true }
        let victim = try #require(participants.last, "no participants in \(started ?? "")")
        workers[victim]!.signal(SIGKILL)
        _ = workers[victim]!.wait(timeout: 10)

        let status = train.wait(timeout: 120)
        #expect(status == 0, "train: \(train.standardError)\ncoordinator: \(coordinator.standardError.suffix(4_000))")
        let lines = coordinator.standardError.split(separator: "\n")
        let round2 = lines.first { $0.contains("msg=\"round checkpointed\"") && $0.contains(" round=2 ") }
        #expect(round2 != nil, "round 2 was not checkpointed: \(coordinator.standardError.suffix(3_000))")
        // Three participants: the round completes without the victim (the quorum); two: it is retried without it.
        let voided = lines.contains { $0.contains("msg=\"round attempt voided\"") && $0.contains(" round=2") }
        #expect(participants.count == 3 ? round2?.contains(victim) == true : voided,
                "participants \(participants), victim \(victim): \(coordinator.standardError.suffix(3_000))")
        #expect(!lines.contains { $0.contains("msg=\"round result\"") && $0.contains(" round=2 ") && $0.contains("site=\(victim)") })
        #expect(train.standardError.contains("round 3/3"), "\(train.standardError)")
        let generated = try Mimeo.run(["generate", model, "-n", "50", "--seed", "1", "-o", directory.file("gen.csv"),
                                       "--quiet"])
        #expect(generated.succeeded, "\(generated)")
    }

    /// Splits the first 900 rows of the adult sample by `relationship` into three skewed sites.
    static func split(into folder: String) throws -> [String: String] {
        let script = Datasets.packageRoot + "/scripts/split-sites.py"
        let process = try BackgroundProcess("/usr/bin/env", ["python3", script, Datasets.adultSample, "--out-dir", folder,
                                                             "--limit", "900"], name: "split")
        guard process.wait(timeout: 60) == 0 else { throw MimeoTestError("split-sites.py failed: \(process.standardError)") }
        return Dictionary(uniqueKeysWithValues: sites.map { ($0, folder + "/\($0).csv") })
    }

    /// The cells whose count over all the sites' rows is below the rare threshold and whose text cannot turn up in
    /// the frames for another reason: categories of 3 characters and more that are no part of a frequent value (a
    /// frequent value is revealed by design: "India" is rare, "Amer-Indian-Eskimo" is not), numbers of 5 characters
    /// and more (shorter digit strings occur in the summaries' counts and sketch bucket indices). Every nonzero
    /// rare number is also searched as a binary64 (`encodings`).
    static func rareCells(_ files: [String]) throws -> [String] {
        var counts: [String: Int] = [:]
        for file in files {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            for line in text.split(separator: "\n").dropFirst() {
                for cell in line.split(separator: ",", omittingEmptySubsequences: false) { counts[String(cell), default: 0] += 1 }
            }
        }
        let frequent = counts.filter { $0.value >= rareThreshold }.keys
        return counts.filter { cell, count in
            guard count < rareThreshold else { return false }
            if Double(cell) != nil { return true }
            return cell.utf8.count >= 3 && !frequent.contains { $0.contains(cell) }
        }.keys.sorted()
    }

    /// A category's text; a number's text (5 characters and more) and, nonzero, its binary64 in both byte orders.
    static func encodings(of cell: String) -> [Data] {
        guard let number = Double(cell) else { return [Data(cell.utf8)] }
        var result = cell.utf8.count >= 5 ? [Data(cell.utf8)] : []
        if number != 0 {
            let bits = number.bitPattern
            result.append(withUnsafeBytes(of: bits.bigEndian) { Data($0) })
            result.append(withUnsafeBytes(of: bits.littleEndian) { Data($0) })
        }
        return result
    }

    /// The frames of a `--record-frames` file: per message a `u32` frame count, then each frame as a `u32` length
    /// and its bytes.
    static func frames(_ path: String) throws -> [[UInt8]] {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        var frames: [[UInt8]] = [], offset = 0
        func u32() throws -> Int {
            guard offset + 4 <= bytes.count else { throw MimeoTestError("\(path) is truncated at \(offset)") }
            defer { offset += 4 }
            return bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
        }
        while offset < bytes.count {
            let count = try u32()
            for _ in 0..<count {
                let length = try u32()
                guard offset + length <= bytes.count else { throw MimeoTestError("\(path) is truncated at \(offset)") }
                frames.append(Array(bytes[offset..<offset + length]))
                offset += length
            }
        }
        return frames
    }
}
