import ArgumentParser
import Foundation
import Logging
import MimeoCluster
import MimeoData
import MimeoEval
import MimeoGeneration
import MimeoTabular
import MimeoWire

/// `mimeo generate --workers N` and `--cluster endpoint`: a generation job over a cluster whose parts land in a
/// folder (docs/cluster.md).
struct ClusterGenerate {
    let command: MimeoCommand.Generate

    func run() throws {
        let folder = absolutePath(command.output)
        let trained = try ModelFile.read(from: command.model)
        let delimiter = try parseDelimiter(command.delimiter)
        let parsed: [Condition]
        let sampler: Sampler
        do {
            parsed = try Condition.parse(arguments: command.conditions)
            sampler = try Sampler(model: trained.model, encoder: trained.metadata.encoder, conditions: parsed,
                                  delimiter: delimiter, options: command.samplingOptions)
        } catch let error as ConditionError {
            Terminal.message("Error: \(error.message)")
            throw ExitCode.validationFailure
        }
        try prepare(folder: folder)
        let (hash, bytes) = try ContentHash.sha256(file: command.model)
        let realTable = try command.real.map(checkRealTable)
        if command.n == 0 {
            return try writeHeaderOnly(folder: folder, sampler: sampler, conditions: parsed, hash: hash, modelBytes: bytes)
        }
        let conditions = parsed.map { WireCondition(column: $0.column, value: $0.value) }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        var batchesPerShard = command.shardBatches ?? 0
        if batchesPerShard == 0, let workers = command.workers {
            batchesPerShard = ShardPlan.automaticBatchesPerShard(totalRows: UInt64(command.n), workers: workers)
        }
        let job = GenerateJob(modelHash: hash, modelBytes: bytes, rows: UInt64(command.n), seed: command.seed,
                              batchesPerShard: batchesPerShard, conditions: conditions, delimiter: delimiter,
                              output: folder, maxAttempts: 0, realTable: realTable,
                              sampling: command.samplingOptions.wire)
        let label = command.label ?? "\((command.model as NSString).lastPathComponent) -n \(command.n)"

        if let workers = command.workers {
            let run = try TemporaryFolder(prefix: "mimeo-cluster")
            let threads = command.threads ?? max(1, cores / workers)
            let executable = currentExecutable()
            var logger = Logger(label: "mimeo.coordinator")
            logger.logLevel = .warning
            let local = try LocalCluster(workers: workers, executable: executable, folder: run.path,
                                     statePath: command.state.map(absolutePath), logger: logger) { index, endpoint in
                ["worker", "--connect", endpoint, "--name", "local-\(index + 1)", "--threads", String(threads),
                 "--cache", (run.path as NSString).appendingPathComponent("cache"), "--log-level", "warning"]
            }
            defer { withExtendedLifetime(run) {} }
            return try submitAndWait(job: job, label: label, endpoint: local.endpoint, keys: nil, local: local,
                                     folder: folder)
        }
        try submitAndWait(job: job, label: label, endpoint: command.cluster!, keys: try command.clusterKeys.keys(),
                          local: nil, folder: folder)
    }

    private func submitAndWait(job: GenerateJob, label: String, endpoint: String, keys: CurveClientKeys?,
                               local: LocalCluster?, folder: String) throws {
        defer {
            if let local {
                local.stop()
                // The workers ran on this machine, so their pids say which temporary parts are orphans
                // (a worker killed mid-part); a remote cluster's pids would say nothing here.
                let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
                for name in names where name.hasPrefix("part-") && name.contains(".csv.tmp-") {
                    let part = String(name[..<name.range(of: ".tmp-")!.lowerBound])
                    _ = AtomicFileOutput.removeStaleTemporaries(of: (folder as NSString).appendingPathComponent(part))
                }
            }
        }
        let stop = StopSignal()
        StopOnSignals.install(stop)
        let started = Date()
        let client = try ClusterClient(endpoint: endpoint, curve: keys)
        let id: UInt64
        do {
            id = try client.submit(job, label: label, modelPath: command.model, realTablePath: command.real)
        } catch let error as ClusterError {
            Terminal.message("Error: \(error.description)")
            throw ExitCode(69)
        }
        let showProgress = !command.quiet
        var workersExited = false
        let outcome: ClusterClient.Outcome
        do {
            outcome = try client.wait(for: id, stop: stop) { status in
                // A local cluster whose workers all exited would wait forever: cancel the job instead.
                if let local, local.runningWorkers == 0, !stop.isStopped {
                    workersExited = true
                    stop.stop()
                }
                guard showProgress else { return }
                let total = max(status.unitsTotal, 1)
                let eta = status.unitsPerSecond > 0
                    ? Terminal.duration(Double(status.unitsTotal - min(status.unitsDone, status.unitsTotal)) / Double(status.unitsPerSecond))
                    : "-"
                Terminal.progress("job \(id) \(Terminal.bar(Double(status.unitsDone) / Double(total))) "
                                  + "\(Terminal.count(Int(clamping: status.unitsDone)))/\(Terminal.count(Int(clamping: status.unitsTotal))) rows  "
                                  + "\(Terminal.count(Int(clamping: status.unitsPerSecond))) rows/s  ETA \(eta)  "
                                  + "shards \(status.shardsDone)/\(status.shards)\(status.retries > 0 ? "  retries \(status.retries)" : "")")
            }
        } catch let error as ClusterError {
            Terminal.message("Error: \(error.description)")
            throw ExitCode(69)
        }
        switch outcome.state {
        case .completed:
            if showProgress {
                let elapsed = Date().timeIntervalSince(started)
                let parts = outcome.status?.shards ?? 0
                Terminal.progress("wrote \(Terminal.count(command.n)) rows in \(parts) part\(parts == 1 ? "" : "s") to \(folder) "
                                  + "in \(String(format: "%.2f", elapsed)) s (\(Terminal.count(Int(Double(command.n) / max(elapsed, 1e-9)))) rows/s); "
                                  + "manifest: \(JobManifest.path(in: folder))", final: true)
                if job.realTable != nil { printFidelity(folder: folder, stop: stop) }
            }
        case .cancelled where workersExited:
            Terminal.message("Error: the local worker processes exited (their messages are above); job \(id) cancelled")
            throw ExitCode.failure
        case .cancelled:
            Terminal.message("job \(id) cancelled")
            throw ExitCode(130)
        default:
            Terminal.message("Error: job \(id) failed: \(outcome.message)")
            throw ExitCode.failure
        }
    }

    /// Reads `--real` as `mimeo evaluate --real` does (so a table it would refuse fails here, before any work) and
    /// returns its hash and size for the job.
    private func checkRealTable(_ path: String) throws -> BlobReference {
        do {
            _ = try EvaluationPipeline.prepareFidelity(realTableAt: path)
            let (hash, bytes) = try ContentHash.sha256(file: path)
            return BlobReference(hash: hash, bytes: bytes)
        } catch {
            Terminal.message("Error: --real \(path): \(error)")
            throw ExitCode.failure
        }
    }

    /// The overall scores of `_fidelity.json` once the job is done, or why it has none. The coordinator writes the
    /// manifest before it sends DONE and the fidelity report right after, off its loop: when the manifest is
    /// visible here, this waits (up to 10 minutes, or Ctrl-C) for the report; when it is not, this machine does not
    /// see the folder as the coordinator does, which is only mentioned.
    private func printFidelity(folder: String, stop: StopSignal) {
        let path = JobFidelity.path(in: folder)
        let visible = FileManager.default.fileExists(atPath: JobManifest.path(in: folder))
        let deadline = Date().addingTimeInterval(600)
        while visible, !FileManager.default.fileExists(atPath: path), Date() < deadline, !stop.isStopped {
            usleep(50_000)
        }
        guard let document = try? JobFidelity.read(from: path) else {
            Terminal.message("fidelity: \(path) is not readable here (the coordinator wrote it into the folder as it sees it)")
            return
        }
        guard let fidelity = document.fidelity else {
            Terminal.message("fidelity: not measured: \(document.note ?? "no report")")
            return
        }
        func score(_ value: Double?) -> String { value.map { String(format: "%.4f", $0) } ?? "n/a" }
        Terminal.message("fidelity: overall \(score(fidelity.overall)), column shapes \(score(fidelity.columnShapes)), "
                         + "column pair trends \(score(fidelity.columnPairTrends)) (\(path))")
    }

    /// Creates the folder, refusing one that already holds the parts or manifest of a job.
    private func prepare(folder: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                Terminal.message("Error: \(folder) is a file; a cluster job writes its parts into a folder")
                throw ExitCode(73)
            }
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            let existing = names.filter { name in
                name == "_manifest.json" || name == JobFidelity.fileName || (name.hasPrefix("part-") && name.hasSuffix(".csv"))
            }.sorted()
            guard existing.isEmpty else {
                Terminal.message("Error: \(folder) already holds \(existing.prefix(3).joined(separator: ", "))\(existing.count > 3 ? ", ..." : "") "
                                 + "from another job; remove them or choose another folder (parts of two jobs never mix)")
                throw ExitCode(73)
            }
        } else {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                Terminal.message("Error: cannot create the output folder \(folder): \(error.localizedDescription)")
                throw ExitCode(73)
            }
        }
    }

    /// `-n 0`: one part holding the header line and its manifest, written here without a cluster (what
    /// `mimeo generate -n 0` writes, as a folder).
    private func writeHeaderOnly(folder: String, sampler: Sampler, conditions: [Condition], hash: ContentHash,
                                 modelBytes: UInt64) throws {
        let header = sampler.headerBytes()
        let name = ShardPlan.partName(0, shardCount: 1)
        let part = try TemporaryFiles.output(path: (folder as NSString).appendingPathComponent(name))
        try part.write(header)
        try part.commit()
        let now = wallClockMilliseconds()
        let manifest = JobManifest(
            job: 0, label: command.label ?? "", modelSHA256: hash.description, modelBytes: modelBytes, rows: 0,
            seed: command.seed,
            conditions: conditions.map { .init(column: $0.column, value: $0.value) },
            delimiter: String(decoding: [sampler.delimiter], as: UTF8.self), batchRows: UInt32(Sampler.batchSize),
            shardCount: 1,
            parts: [.init(index: 0, file: name, firstRow: 0, rows: 0, bytes: UInt64(header.count),
                          sha256: ContentHash.sha256(header).description, worker: "", attempt: 0, elapsedMilliseconds: 0)],
            retries: 0, failedAttempts: 0, submittedAt: now, startedAt: now, finishedAt: now, summaries: nil)
        try manifest.write(to: JobManifest.path(in: folder))
        if !command.quiet { Terminal.progress("wrote the header line to \(folder)/\(name) (-n 0)", final: true) }
    }
}

/// The absolute form of a path given on the command line.
func absolutePath(_ path: String) -> String {
    let expanded = (path as NSString).expandingTildeInPath
    if expanded.hasPrefix("/") { return (expanded as NSString).standardizingPath }
    return ((FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(expanded) as NSString).standardizingPath
}

/// This process's executable, for starting worker processes of the same build.
func currentExecutable() -> String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
}

/// A temporary folder removed when dropped.
final class TemporaryFolder {
    let path: String

    init(prefix: String) throws {
        path = (NSTemporaryDirectory() as NSString).appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
