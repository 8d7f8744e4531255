import Foundation
import MimeoTestSupport
import Testing

/// docker-compose.yml's services started as local processes with the same commands, so that compose and the CLI
/// cannot drift apart: keygen's script makes the keys, the coordinator starts with its command (CURVE, allow-list,
/// metrics), its health check passes, two workers join, the client's status works, and a job submitted with the
/// client's keys completes with the one-process rows.
///
/// Volumes become folders of a temporary root; `0.0.0.0` and the `coordinator` host name become 127.0.0.2 (a
/// loopback address standing for the coordinator's container), ports become free ones.
@Suite("Compose services as processes", .serialized)
struct ComposeClusterTests {
    @Test func composeServicesCompleteAJob() throws {
        let compose = try ComposeFile.repository()
        let mimeo = try ClusterSupport.executable()
        let model = try AdultModel.shared().model
        let root = try TemporaryDirectory()
        let port = try freeLoopbackPort(), metricsPort = try freeLoopbackPort()
        let coordinatorEndpoint = "tcp://127.0.0.2:\(port)"

        // keygen mounts every key volume; the other services see the same folders.
        let keygen = try compose.service("keygen")
        var volumeFolders: [String: String] = [:]
        for volume in keygen.volumes {
            let folder = root.path + volume.target
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            if let source = volume.source { volumeFolders[source] = folder }
        }
        func folder(for volume: ComposeFile.Volume) throws -> String {
            guard let source = volume.source else { throw MimeoTestError("an anonymous volume at \(volume.target)") }
            if let known = volumeFolders[source] { return known }
            let folder = source.hasPrefix("./") ? root.path + "/bind/" + source.dropFirst(2) : root.path + "/volumes/" + source
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            volumeFolders[source] = folder
            return folder
        }
        /// The service's argv as a local process (without the image's `mimeo` entrypoint): container paths to
        /// folders, addresses to loopback.
        func localArguments(_ service: ComposeFile.Service, _ fullArgv: [String]) throws -> [String] {
            let argv = fullArgv.first == "mimeo" ? Array(fullArgv.dropFirst()) : fullArgv
            let mounts = try service.volumes.sorted { $0.target.count > $1.target.count }.map { ($0.target, try folder(for: $0)) }
            return argv.map { argument in
                var value = argument
                for (target, folder) in mounts where value == target || value.hasPrefix(target + "/") {
                    value = folder + value.dropFirst(target.count)
                    break
                }
                return value
                    .replacingOccurrences(of: "tcp://0.0.0.0:5570", with: coordinatorEndpoint)
                    .replacingOccurrences(of: "tcp://coordinator:5570", with: coordinatorEndpoint)
                    .replacingOccurrences(of: "tcp://127.0.0.1:5570", with: coordinatorEndpoint)
                    .replacingOccurrences(of: "0.0.0.0:9570", with: "127.0.0.2:\(metricsPort)")
            }
        }

        // keygen: its own script, with /keys under the root.
        var keygenArguments = keygen.argv
        var script = keygenArguments.removeLast()
        for parent in Set(keygen.volumes.map { ($0.target as NSString).deletingLastPathComponent }) {
            script = script.replacingOccurrences(of: parent, with: root.path + parent)
        }
        let path = (mimeo as NSString).deletingLastPathComponent + ":/usr/bin:/bin"
        let keys = try BackgroundProcess(keygenArguments[0], Array(keygenArguments.dropFirst()) + [script],
                                         environment: ["PATH": path], name: "keygen")
        try #require(keys.wait(timeout: 60) == 0, "keygen: \(keys.standardError)")

        let coordinatorService = try compose.service("coordinator")
        let coordinator = try BackgroundProcess(mimeo, try localArguments(coordinatorService, coordinatorService.argv),
                                                environment: coordinatorService.environment, name: "coordinator")
        let healthCheck = try #require(coordinatorService.healthCheck)
        let probe = try localArguments(coordinatorService, Array(healthCheck.drop { $0 != "mimeo" }))
        #expect(eventually(timeout: 30) { (try? Mimeo.run(probe))?.succeeded == true },
                "the health check never passed: \(coordinator.standardError)")

        let workerService = try compose.service("worker")
        let workers = try (1...2).map { index in
            try BackgroundProcess(mimeo, try localArguments(workerService, workerService.argv)
                                    + ["--name", "compose-worker-\(index)", "--cache", root.file("cache-\(index)")],
                                  environment: workerService.environment, name: "worker-\(index)")
        }

        let client = try compose.service("client")
        let status = try Mimeo.run(try localArguments(client, client.argv))
        #expect(status.succeeded, "the client's default command (status) failed: \(status)")
        let modelsMount = try #require(client.mount(containing: "/models/model.mimeo"))
        try FileManager.default.copyItem(atPath: model, toPath: try folder(for: modelsMount) + "/model.mimeo")
        let keyFlags = ["--curve-secret-file", try #require(client.value(of: "--curve-secret-file")),
                        "--coordinator-key", try #require(client.value(of: "--coordinator-key"))]
        let rows = 10_000
        let job = try Mimeo.run(try localArguments(client, ["generate", "/models/model.mimeo", "-n", String(rows),
                                                            "--seed", "7", "--cluster", "tcp://coordinator:5570",
                                                            "--shard-batches", "1", "-o", "/out/job1", "--quiet"] + keyFlags))
        #expect(job.succeeded, "\(job)\ncoordinator: \(coordinator.standardError)")
        let output = try folder(for: try #require(client.mount(containing: "/out/job1"))) + "/job1"
        let parts = try ClusterSupport.checkManifest(in: output, rows: rows)
        let single = try Mimeo.run(["generate", model, "-n", String(rows), "--seed", "7", "-o", root.file("one.csv"), "--quiet"])
        #expect(single.succeeded)
        #expect(try ClusterSupport.rowsDigest(parts).digest == ClusterSupport.rowsDigest([root.file("one.csv")]).digest)
        let metrics = try httpGet(host: "127.0.0.2", port: metricsPort, path: "/metrics")
        #expect(metrics.contains("200 OK") && metrics.contains("mimeo_shards_done_total 3"), "\(metrics.prefix(300))")
        for worker in workers { #expect(worker.stop() == 0, "\(worker.name): \(worker.standardError)") }
        #expect(coordinator.stop() == 0, "\(coordinator.standardError)")
    }
}
