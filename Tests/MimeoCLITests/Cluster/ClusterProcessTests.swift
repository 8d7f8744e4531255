import Foundation
import MimeoTestSupport
import Testing

/// The cluster as a user runs it: `mimeo coordinator`, `mimeo worker` and `mimeo generate` as separate processes
/// on loopback (127.0.0.2 and 127.0.0.3 stand for other hosts), killed and restarted by pid.
@Suite("Cluster processes", .serialized)
struct ClusterProcessTests {
    /// `--workers 2`: a local cluster with no set-up; the parts without their headers are the one-process rows.
    @Test func embeddedWorkersWriteTheOneProcessRows() throws {
        let mimeo = try ClusterSupport.executable()
        let model = try AdultModel.shared().model
        let directory = try TemporaryDirectory()
        let rows = 13_000
        let single = try Mimeo.run(["generate", model, "-n", String(rows), "--seed", "11", "-o", directory.file("one.csv"),
                                    "--threads", "1", "--quiet"])
        #expect(single.succeeded, "\(single)")
        let run = try Mimeo.run(["generate", model, "-n", String(rows), "--seed", "11", "--workers", "2",
                                 "--shard-batches", "1", "-o", directory.file("out"), "--quiet"])
        #expect(run.succeeded, "\(run)")
        let parts = try ClusterSupport.checkManifest(in: directory.file("out"), rows: rows)
        #expect(parts.count == 4)
        #expect(try ClusterSupport.rowsDigest(parts).digest == ClusterSupport.rowsDigest([directory.file("one.csv")]).digest)
        let manifest = try ClusterSupport.manifest(in: directory.file("out"))
        #expect(manifest["rows"] as? Int == rows)
        #expect(manifest["seed"] as? Int == 11)
        _ = mimeo
    }

    /// `--rare-values` and `--temperature` travel to the workers (payload version 3): the parts are the one-process
    /// rows with the same options, which differ from the default rows.
    @Test func samplingOptionsReachTheWorkers() throws {
        let model = try AdultModel.shared().model
        let directory = try TemporaryDirectory()
        let rows = 9_000
        let options = ["--rare-values", "token", "--temperature", "1.3"]
        let single = try Mimeo.run(["generate", model, "-n", String(rows), "--seed", "5", "-o", directory.file("one.csv"),
                                    "--threads", "1", "--quiet"] + options)
        #expect(single.succeeded, "\(single)")
        let plain = try Mimeo.run(["generate", model, "-n", String(rows), "--seed", "5", "-o", directory.file("plain.csv"),
                                   "--threads", "1", "--quiet"])
        #expect(plain.succeeded, "\(plain)")
        let run = try Mimeo.run(["generate", model, "-n", String(rows), "--seed", "5", "--workers", "2",
                                 "--shard-batches", "1", "-o", directory.file("out"), "--quiet"] + options)
        #expect(run.succeeded, "\(run)")
        let parts = try ClusterSupport.checkManifest(in: directory.file("out"), rows: rows)
        let one = try ClusterSupport.rowsDigest([directory.file("one.csv")]).digest
        #expect(try ClusterSupport.rowsDigest(parts).digest == one)
        #expect(try ClusterSupport.rowsDigest([directory.file("plain.csv")]).digest != one)
        let bad = try Mimeo.run(["generate", model, "-n", "10", "--temperature", "0", "--workers", "2", "-o",
                                 directory.file("bad")])
        #expect(bad.status == 64 && bad.standardError.contains("--temperature must be 0.05 to 20"), "\(bad)")
    }

    /// `--workers 2 --real`: the coordinator's `_fidelity.json`, merged from the workers' per-part summaries without
    /// reading the parts, gives the fidelity that `mimeo evaluate` gives the concatenated parts against the same
    /// real table (the first 3,000 rows of adult's training split): every count and name equal, every score within
    /// 1e-12, and the scores `evaluate` prints equal to the last printed digit. Not bit for bit by design: a worker
    /// summarises each 4,096-row batch and merges them, `evaluate` summarises 131,072-row chunks, and the
    /// Pearson pairs' co-moments (Chan's merge) round differently with other splits.
    @Test(Datasets.required(Datasets.adultTrain))
    func realTableFidelityEqualsEvaluateOnTheConcatenatedParts() throws {
        let model = try AdultModel.shared().model
        let directory = try TemporaryDirectory()
        let realLines = try String(contentsOfFile: Datasets.adultTrain, encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false).prefix(3_001)
        let real = try directory.write(realLines.joined(separator: "\n") + "\n", to: "real.csv")
        let rows = 9_000
        let out = directory.file("out")
        let run = try Mimeo.run(["generate", model, "-n", String(rows), "--seed", "5", "--workers", "2",
                                 "--shard-batches", "1", "-o", out, "--real", real])
        #expect(run.succeeded, "\(run)")
        let parts = try ClusterSupport.checkManifest(in: out, rows: rows)
        #expect(parts.count == 3)
        let manifest = try ClusterSupport.manifest(in: out)
        #expect(manifest["fidelity"] as? String == "_fidelity.json")
        #expect(manifest["real_sha256"] as? String == (try ClusterSupport.fileDigest(real)))

        // The parts concatenated, one header line.
        var concatenated = Data()
        for (index, part) in parts.enumerated() {
            var bytes = try Data(contentsOf: URL(fileURLWithPath: part))
            if index > 0, let newline = bytes.firstIndex(of: 0x0A) { bytes = bytes[(newline + 1)...] }
            concatenated.append(bytes)
        }
        let synthetic = directory.file("all.csv")
        try concatenated.write(to: URL(fileURLWithPath: synthetic))
        let evaluation = try Mimeo.run(["evaluate", "--real", real, "--synthetic", synthetic,
                                        "--json", directory.file("evaluate.json")])
        #expect(evaluation.succeeded, "\(evaluation)")

        let document = try Self.jsonObject(out + "/_fidelity.json")
        #expect(document["missing_parts"] as? [String] == [])
        #expect(document["summarized_rows"] as? Int == rows)
        let merged = try #require(document["fidelity"] as? [String: Any], "no fidelity in \(document)")
        let reference = try #require(try Self.jsonObject(directory.file("evaluate.json"))["fidelity"] as? [String: Any])
        var differences: [String] = []
        Self.compare(merged, reference, path: "fidelity", tolerance: 1e-12, differences: &differences)
        #expect(differences.isEmpty, "\(differences.prefix(10))")
        #expect((merged["columns"] as? [Any])?.count == 15)
        #expect(((merged["pairs"] as? [Any])?.count ?? 0) > 50)
        #expect(merged["syntheticRowCount"] as? Int == rows)
        // What `evaluate` prints, from the merged report.
        for (name, key) in [("overall", "overall"), ("column shapes", "columnShapes"),
                            ("column pair trends", "columnPairTrends")] {
            let printed = String(format: "%.4f", try #require(merged[key] as? Double))
            let line = evaluation.standardOutput.split(separator: "\n").first { $0.hasPrefix("  \(name) ") }
            #expect(line?.split(separator: " ", omittingEmptySubsequences: true).contains(Substring(printed)) == true,
                    "\(name): \(printed) vs \(line ?? "no line")")
        }
        #expect(run.standardError.contains("fidelity: overall \(String(format: "%.4f", merged["overall"] as? Double ?? .nan))"),
                "\(run.standardError)")
    }

    static func jsonObject(_ path: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw MimeoTestError("\(path) is not a JSON object")
        }
        return object
    }

    /// Records where two JSON values differ: structure, strings, booleans and integers exactly; other numbers
    /// within `tolerance`.
    static func compare(_ a: Any, _ b: Any, path: String, tolerance: Double, differences: inout [String]) {
        switch (a, b) {
        case let (a as [String: Any], b as [String: Any]):
            if Set(a.keys) != Set(b.keys) { differences.append("\(path): keys \(a.keys.sorted()) vs \(b.keys.sorted())") }
            for key in a.keys.sorted() where b[key] != nil {
                compare(a[key]!, b[key]!, path: path + "." + key, tolerance: tolerance, differences: &differences)
            }
        case let (a as [Any], b as [Any]):
            if a.count != b.count { differences.append("\(path): \(a.count) vs \(b.count) elements") }
            for (index, (x, y)) in zip(a, b).enumerated() {
                compare(x, y, path: "\(path)[\(index)]", tolerance: tolerance, differences: &differences)
            }
        case let (a as NSNumber, b as NSNumber):
            // Counts are integers on both sides and must be equal; scores need only be close.
            let exact = (a as? Int).flatMap { x in (b as? Int).map { x == $0 } }
            if !(exact ?? (abs(a.doubleValue - b.doubleValue) <= tolerance)) {
                differences.append("\(path): \(a) vs \(b)")
            }
        case let (a as String, b as String):
            if a != b { differences.append("\(path): \(a) vs \(b)") }
        case (is NSNull, is NSNull):
            break
        default:
            differences.append("\(path): \(a) vs \(b)")
        }
    }

    /// Two workers generate 20,000,000 rows while one of them is SIGKILLed in the middle of a shard: the job
    /// finishes on the other, and the parts' rows are byte for byte those of one process. Needs the release build
    /// (`make test` builds it first): a debug build generates about a hundred times slower.
    @Test(.enabled(if: ClusterSupport.releaseExecutable() != nil, "needs .build/release/mimeo: run `make build` (make test does)"))
    func workerKilledMidShardStillGivesTheOneProcessRows() throws {
        let mimeo = try #require(ClusterSupport.releaseExecutable())
        let model = try AdultModel.shared().model
        let directory = try TemporaryDirectory()
        let rows = 20_000_000
        let (coordinator, endpoint) = try ClusterSupport.startCoordinator(executable: mimeo, host: "127.0.0.2",
                                                                          state: directory.file("c.db"))
        let victim = try ClusterSupport.startWorker(executable: mimeo, endpoint: endpoint, name: "victim",
                                                    cache: directory.file("cache1"))
        let survivor = try ClusterSupport.startWorker(executable: mimeo, endpoint: endpoint, name: "survivor",
                                                      cache: directory.file("cache2"))
        let client = try BackgroundProcess(mimeo, ["generate", model, "-n", String(rows), "--seed", "7", "--cluster", endpoint,
                                                   "--shard-batches", "64", "-o", directory.file("out"), "--quiet"],
                                           name: "client")
        // Wait until the victim has finished a shard and holds another, half written.
        let busy = eventually(timeout: 300) {
            guard let status = try? Mimeo.run(["status", "--coordinator", endpoint, "--json"]),
                  let object = try? JSONSerialization.jsonObject(with: status.stdout) as? [String: Any],
                  let workers = object["workers"] as? [[String: Any]],
                  let victim = workers.first(where: { $0["name"] as? String == "victim" }) else { return false }
            return (victim["shards_done"] as? Int ?? 0) >= 1 && !((victim["leases"] as? [Any]) ?? []).isEmpty
        }
        try #require(busy, "the victim never got to work: \(victim.standardError)")
        usleep(300_000)
        victim.killNow()
        #expect(client.wait(timeout: 900) == 0, "client: \(client.standardError)\ncoordinator: \(coordinator.standardError)")
        let parts = try ClusterSupport.checkManifest(in: directory.file("out"), rows: rows)
        let manifest = try ClusterSupport.manifest(in: directory.file("out"))
        #expect((manifest["failed_attempts"] as? Int ?? 0) >= 1, "the killed worker's lease was not retried: \(manifest["failed_attempts"] ?? "")")
        let clustered = try ClusterSupport.rowsDigest(parts)
        for part in parts { try FileManager.default.removeItem(atPath: part) }
        let single = try Mimeo.run(["generate", model, "-n", String(rows), "--seed", "7", "--threads", "2",
                                    "-o", directory.file("one.csv"), "--quiet"], executable: mimeo)
        #expect(single.succeeded, "\(single)")
        let reference = try ClusterSupport.rowsDigest([directory.file("one.csv")])
        #expect(clustered.bytes == reference.bytes)
        #expect(clustered.digest == reference.digest)
        survivor.stop()
        coordinator.stop()
    }

    /// A coordinator SIGKILLed mid-job and started again on the same state file resumes the job; the parts are the
    /// one-process rows, each shard accepted once.
    @Test func coordinatorKilledMidJobResumes() throws {
        let mimeo = try ClusterSupport.executable()
        let model = try AdultModel.shared().model
        let directory = try TemporaryDirectory()
        let state = directory.file("coordinator.db")
        let rows = 8 * 4_096
        let port = try freeLoopbackPort()
        var (coordinator, endpoint) = try ClusterSupport.startCoordinator(executable: mimeo, host: "127.0.0.2", state: state,
                                                                          port: port)
        let worker = try ClusterSupport.startWorker(executable: mimeo, endpoint: endpoint, name: "w1",
                                                    cache: directory.file("cache1"))
        let client = try BackgroundProcess(mimeo, ["generate", model, "-n", String(rows), "--seed", "5", "--cluster", endpoint,
                                                   "--shard-batches", "1", "-o", directory.file("out"), "--quiet"],
                                           name: "client")
        // Kill the coordinator once at least one part is written and the job is not finished.
        #expect(eventually(timeout: 120) { ((try? ClusterSupport.parts(in: directory.file("out")).count) ?? 0) >= 1 },
                "no part written: \(worker.standardError)")
        #expect(client.poll() == nil, "the job ended before the coordinator could be killed")
        coordinator.killNow()
        (coordinator, endpoint) = try ClusterSupport.startCoordinator(executable: mimeo, host: "127.0.0.2", state: state,
                                                                      port: port)
        #expect(client.wait(timeout: 300) == 0, "client: \(client.standardError)\ncoordinator: \(coordinator.standardError)")
        let parts = try ClusterSupport.checkManifest(in: directory.file("out"), rows: rows)
        let single = try Mimeo.run(["generate", model, "-n", String(rows), "--seed", "5", "-o", directory.file("one.csv"), "--quiet"])
        #expect(single.succeeded)
        #expect(try ClusterSupport.rowsDigest(parts).digest == ClusterSupport.rowsDigest([directory.file("one.csv")]).digest)
        #expect(coordinator.standardError.contains("state recovered"))
        worker.stop()
        coordinator.stop()
    }

    /// With keys, a worker whose key is not on the allow-list cannot join, a plaintext client gets no answer, and a
    /// listed worker and client work.
    @Test func curveAdmitsOnlyListedKeys() throws {
        let mimeo = try ClusterSupport.executable()
        let directory = try TemporaryDirectory()
        for name in ["coord", "w1", "intruder", "client"] {
            let made = try Mimeo.run(["keygen", "-o", directory.file("\(name).key")])
            #expect(made.succeeded, "\(made)")
        }
        let allow = try String(contentsOfFile: directory.file("w1.pub"), encoding: .utf8)
            + (try String(contentsOfFile: directory.file("client.pub"), encoding: .utf8))
        _ = try directory.write(allow, to: "allowed.pub")
        let (coordinator, endpoint) = try ClusterSupport.startCoordinator(
            executable: mimeo, state: directory.file("c.db"),
            extra: ["--curve-secret-file", directory.file("coord.key"), "--allow-keys", directory.file("allowed.pub")])
        let keys = ["--coordinator-key", directory.file("coord.pub")]
        let intruder = try ClusterSupport.startWorker(executable: mimeo, endpoint: endpoint, name: "intruder",
                                                      cache: directory.file("c2"),
                                                      extra: ["--curve-secret-file", directory.file("intruder.key")] + keys)
        let worker = try ClusterSupport.startWorker(executable: mimeo, endpoint: endpoint, name: "w1", cache: directory.file("c1"),
                                                    extra: ["--curve-secret-file", directory.file("w1.key")] + keys)
        let clientKeys = ["--curve-secret-file", directory.file("client.key")] + keys
        #expect(eventually(timeout: 20) {
            let status = (try? Mimeo.run(["status", "--coordinator", endpoint, "--json"] + clientKeys))
            return status?.standardOutput.contains("\"name\":\"w1\"") == true
        })
        Thread.sleep(forTimeInterval: 1)
        let status = try Mimeo.run(["status", "--coordinator", endpoint, "--json"] + clientKeys)
        #expect(status.succeeded, "\(status)")
        #expect(!status.standardOutput.contains("intruder"), "an unlisted key joined: \(status.standardOutput)")
        #expect(status.standardOutput.contains("\"address\":\"127.0.0.1\""), "the worker's address as the coordinator sees it")
        #expect(coordinator.standardError.contains("connection refused"), "\(coordinator.standardError)")
        let plaintext = try Mimeo.run(["status", "--coordinator", endpoint, "--timeout-ms", "1500"])
        #expect(plaintext.status == 69, "a plaintext client talked to a CURVE coordinator: \(plaintext)")
        let wrongKey = try Mimeo.run(["status", "--coordinator", endpoint, "--timeout-ms", "1500",
                                      "--curve-secret-file", directory.file("intruder.key")] + keys)
        #expect(wrongKey.status == 69, "\(wrongKey)")
        intruder.stop()
        worker.stop()
        coordinator.stop()
    }

    /// An unreachable coordinator is a clear error within the reply timeout, and nothing is written.
    @Test func unreachableCoordinatorIsAClearError() throws {
        let model = try AdultModel.shared().model
        let directory = try TemporaryDirectory()
        let port = try freeLoopbackPort()
        let started = Date()
        let run = try Mimeo.run(["generate", model, "-n", "1000", "--cluster", "tcp://127.0.0.1:\(port)", "-o",
                                 directory.file("out")])
        #expect(run.status == 69, "\(run)")
        #expect(run.standardError.contains("did not answer"), "\(run.standardError)")
        #expect(Date().timeIntervalSince(started) < 30)
        #expect(try ClusterSupport.parts(in: directory.file("out")).isEmpty)
        let status = try Mimeo.run(["status", "--coordinator", "tcp://127.0.0.1:\(port)", "--timeout-ms", "500"])
        #expect(status.status == 69, "\(status)")
    }

    /// A worker that cannot write the job's parts (here: the output is outside its --output-root) fails the
    /// attempts; the job fails, and the client says why and exits 1 without leaving a part or temporary file.
    @Test func aWorkerThatCannotWriteFailsTheJobWithItsReason() throws {
        let mimeo = try ClusterSupport.executable()
        let model = try AdultModel.shared().model
        let directory = try TemporaryDirectory()
        let (coordinator, endpoint) = try ClusterSupport.startCoordinator(executable: mimeo, state: directory.file("c.db"))
        try FileManager.default.createDirectory(atPath: directory.file("root"), withIntermediateDirectories: true)
        let worker = try ClusterSupport.startWorker(executable: mimeo, endpoint: endpoint, name: "w1", cache: directory.file("cache"),
                                                    extra: ["--output-root", directory.file("root")])
        let run = try Mimeo.run(["generate", model, "-n", "5000", "--cluster", endpoint, "-o", directory.file("out"), "--quiet"])
        #expect(run.status == 1, "\(run)")
        #expect(run.standardError.contains("failed") && run.standardError.contains("422"), "\(run.standardError)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.file("out")).isEmpty)
        worker.stop()
        coordinator.stop()
    }

    /// `--workers 2` whose worker processes are all SIGKILLed: the job is cancelled instead of waiting forever, the
    /// client exits 1 saying why, and the killed workers' temporary parts are removed.
    @Test func embeddedClusterWhoseWorkersDieEndsWithAnError() throws {
        let mimeo = try ClusterSupport.executable()
        let model = try AdultModel.shared().model
        let directory = try TemporaryDirectory()
        let client = try BackgroundProcess(mimeo, ["generate", model, "-n", "5000000", "--workers", "2", "-o",
                                                   directory.file("out"), "--quiet"], name: "client")
        var workers: [pid_t] = []
        #expect(eventually(timeout: 30) {
            let children = (try? String(contentsOfFile: "/proc/\(client.pid)/task/\(client.pid)/children", encoding: .utf8)) ?? ""
            workers = children.split(separator: " ").compactMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            let temporaries = (try? FileManager.default.contentsOfDirectory(atPath: directory.file("out")))?
                .filter { $0.contains(".tmp-") } ?? []
            return workers.count == 2 && temporaries.count == 2
        }, "the local workers never started writing")
        for worker in workers { kill(worker, SIGKILL) }
        #expect(client.wait(timeout: 60) == 1, "\(client.standardError)")
        #expect(client.standardError.contains("local worker processes exited"), "\(client.standardError)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.file("out")).isEmpty)
    }

    /// A folder that already holds another job's parts is refused before anything runs; `-n 0` writes the header part.
    @Test func existingPartsAreRefusedAndZeroRowsWritesTheHeader() throws {
        let model = try AdultModel.shared()
        let directory = try TemporaryDirectory()
        let empty = try Mimeo.run(["generate", model.model, "-n", "0", "--workers", "2", "-o", directory.file("out")])
        #expect(empty.succeeded, "\(empty)")
        let parts = try ClusterSupport.checkManifest(in: directory.file("out"), rows: 0)
        #expect(try String(contentsOfFile: parts[0], encoding: .utf8) == model.header + "\n")
        let again = try Mimeo.run(["generate", model.model, "-n", "100", "--workers", "2", "-o", directory.file("out")])
        #expect(again.status == 73, "\(again)")
        #expect(again.standardError.contains("already holds"))
        #expect(try String(contentsOfFile: parts[0], encoding: .utf8) == model.header + "\n")
    }

    /// The Python client written from the spec alone joins a live coordinator as a status client and as a worker
    /// that gets a lease.
    @Test func pythonClientFromTheSpecTalksToALiveCoordinator() throws {
        let mimeo = try ClusterSupport.executable()
        let model = try AdultModel.shared().model
        let directory = try TemporaryDirectory()
        let (coordinator, endpoint) = try ClusterSupport.startCoordinator(executable: mimeo, state: directory.file("c.db"))
        let client = try BackgroundProcess(mimeo, ["generate", model, "-n", "5000", "--cluster", endpoint, "-o",
                                                   directory.file("out"), "--quiet"], name: "client")
        #expect(eventually(timeout: 30) {
            ((try? Mimeo.run(["status", "--coordinator", endpoint, "--json"]))?.standardOutput.contains("\"jobs\":[{") ?? false)
        })
        let worker = try InteropClient.run(["worker", "--connect", endpoint, "--name", "py1", "--fail",
                                            "--timeout-ms", "20000"], timeout: 60)
        #expect(worker.status == 0, "\(worker)")
        #expect(worker.standardOutput.contains("\"part\""), "\(worker.standardOutput)")
        let status = try InteropClient.run(["status", "--connect", endpoint], timeout: 30)
        #expect(status.status == 0, "\(status)")
        #expect(status.standardOutput.contains("\"failed_attempts\": 1"), "\(status.standardOutput)")
        // A real worker finishes the job the Python worker gave back.
        let real = try ClusterSupport.startWorker(executable: mimeo, endpoint: endpoint, name: "w1", cache: directory.file("cache"))
        #expect(client.wait(timeout: 120) == 0, "\(client.standardError)")
        _ = try ClusterSupport.checkManifest(in: directory.file("out"), rows: 5000)
        real.stop()
        coordinator.stop()
    }
}
