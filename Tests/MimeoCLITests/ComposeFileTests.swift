import Foundation
import MimeoZMQ
import Testing
import Yams

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The repository's docker-compose.yml (cluster/README.md) and the reader the tests use for it.
@Suite struct ComposeFileTests {
    // MARK: - The reader

    @Test func readsCommandsEnvironmentVolumesHealthChecksAndDependencies() throws {
        let yaml = """
            services:
              a:
                entrypoint: ["/bin/sh", "-c"]
                command: ["echo $$HOME ${GREETING:-hello}"]
                environment:
                  MODE: fast
                  FROM_HOST:
                volumes:
                  - data:/data:ro
                  - type: bind
                    source: ./models
                    target: /models
                    read_only: true
                  - /scratch
                healthcheck:
                  test: ["CMD-SHELL", "test -f /data/ready"]
                depends_on: [b]
              b:
                command: status --coordinator 'tcp://a:5570' --json
                environment: ["ROOT=${ROOT}", "PASSED_THROUGH"]
                healthcheck:
                  test: ["CMD", "mimeo", "status", "--timeout-ms", "2000"]
                depends_on:
                  a:
                    condition: service_healthy
                profiles: [tools]
            volumes:
              data:
            """

        let file = try ComposeFile(yaml: yaml, variables: ["ROOT": "/out"])
        let a = try file.service("a")
        let b = try file.service("b")

        #expect(a.argv == ["/bin/sh", "-c", "echo $HOME hello"])
        #expect(a.environment == ["MODE": "fast"])
        #expect(a.volumes == [
            ComposeFile.Volume(source: "data", target: "/data", readOnly: true),
            ComposeFile.Volume(source: "./models", target: "/models", readOnly: true),
            ComposeFile.Volume(source: nil, target: "/scratch", readOnly: false),
        ])
        #expect(a.mount(containing: "/data/ready")?.isNamedVolume == true)
        #expect(a.mount(containing: "/models/m.mimeo")?.isNamedVolume == false)
        #expect(a.mount(containing: "/database") == nil)
        #expect(a.healthCheck == ["/bin/sh", "-c", "test -f /data/ready"])
        #expect(a.dependsOn == ["b": "service_started"])
        #expect(a.profiles.isEmpty)
        #expect(b.argv == ["mimeo", "status", "--coordinator", "tcp://a:5570", "--json"])
        #expect(b.value(of: "--coordinator") == "tcp://a:5570")
        #expect(b.value(of: "--json") == nil)
        #expect(b.environment == ["ROOT": "/out"])
        #expect(b.healthCheck == ["mimeo", "status", "--timeout-ms", "2000"])
        #expect(b.dependsOn == ["a": "service_healthy"])
        #expect(b.profiles == ["tools"])
        #expect(file.volumeNames == ["data"])
    }

    @Test func interpolatesAsComposeDoes() throws {
        let variables = ["SET": "x", "EMPTY": ""]

        #expect(try ComposeFile.interpolate("$$SET", variables: variables) == "$SET")
        #expect(try ComposeFile.interpolate("$SET/${SET}", variables: variables) == "x/x")
        #expect(try ComposeFile.interpolate("${UNSET:-d} ${EMPTY:-d} ${EMPTY-d} ${UNSET-d}", variables: variables)
                    == "d d  d")
        #expect(try ComposeFile.interpolate("$UNSET.", variables: variables) == ".")
        #expect(throws: ComposeFileError.self) { try ComposeFile.interpolate("cost: 5$", variables: variables) }
        #expect(throws: ComposeFileError.self) { try ComposeFile.interpolate("${SET", variables: variables) }
    }

    @Test func splitsAStringCommandAsAShellWould() throws {
        #expect(try ComposeFile.words(#"  a 'b c' "d \"e\"" f\ g "#) == ["a", "b c", #"d "e""#, "f g"])
        #expect(try ComposeFile.words(#"x "" y"#) == ["x", "", "y"])
        #expect(throws: ComposeFileError.self) { try ComposeFile.words("a 'b") }
    }

    // MARK: - The repository's docker-compose.yml

    @Test func hasTheClusterServices() throws {
        let compose = try ComposeFile.repository()

        #expect(Set(compose.services.keys) == ["keygen", "coordinator", "worker", "client"])
        #expect(try compose.service("coordinator").argv.prefix(2) == ["mimeo", "coordinator"])
        #expect(try compose.service("worker").argv.prefix(2) == ["mimeo", "worker"])
        // The client runs only when asked for (`docker compose run --rm client ...`), not on `up`.
        let client = try compose.service("client")
        #expect(client.profiles == ["tools"])
        #expect(client.argv.prefix(2) == ["mimeo", "status"])
        #expect(try compose.service("keygen").profiles.isEmpty)
    }

    @Test func theCoordinatorIsEncryptedAndAdmitsOnlyItsAllowList() throws {
        let coordinator = try ComposeFile.repository().service("coordinator")

        #expect(coordinator.value(of: "--curve-secret-file") != nil, "\(coordinator.argv)")
        #expect(coordinator.value(of: "--allow-keys") != nil, "\(coordinator.argv)")
        #expect(!coordinator.argv.contains("--insecure"))
        #expect(coordinator.value(of: "--bind") == "tcp://0.0.0.0:5570")
        // The SQLite state lives on a named volume, so that it outlives the container.
        let state = try #require(coordinator.value(of: "--state"))
        #expect(coordinator.mount(containing: state)?.isNamedVolume == true, "\(state)")
    }

    @Test func workersConnectToTheCoordinatorServiceAndShareItsOutputVolume() throws {
        let compose = try ComposeFile.repository()
        let worker = try compose.service("worker")
        let coordinator = try compose.service("coordinator")

        let connect = try #require(worker.value(of: "--connect"))
        let (host, port) = try endpoint(connect)
        #expect(host == "coordinator", "\(connect)")
        #expect(compose.services[host] != nil)
        #expect(try endpoint(#require(coordinator.value(of: "--bind"))).port == port)
        #expect(worker.value(of: "--curve-secret-file") != nil && worker.value(of: "--coordinator-key") != nil,
                "\(worker.argv)")
        #expect(worker.dependsOn["coordinator"] == "service_healthy")
        #expect(worker.dependsOn["keygen"] == "service_completed_successfully")
        #expect(coordinator.dependsOn["keygen"] == "service_completed_successfully")

        // Workers write parts and the coordinator writes _manifest.json under the same path of the same volume.
        let root = try #require(worker.value(of: "--output-root"))
        let workerMount = try #require(worker.mount(containing: root))
        let coordinatorMount = try #require(coordinator.mount(containing: root))
        #expect(workerMount.isNamedVolume && workerMount.source == coordinatorMount.source)
        #expect(workerMount.target == coordinatorMount.target && !workerMount.readOnly)
    }

    @Test func theHealthCheckAsksMimeoStatusOverLoopbackWithKeys() throws {
        let coordinator = try ComposeFile.repository().service("coordinator")
        let check = try #require(coordinator.healthCheck)

        #expect(check.prefix(2) == ["mimeo", "status"], "\(check)")
        let address = try #require(ComposeFile.value(of: "--coordinator", in: check))
        let (host, port) = try endpoint(address)
        #expect(host == "127.0.0.1")
        #expect(try port == endpoint(#require(coordinator.value(of: "--bind"))).port)
        #expect(ComposeFile.value(of: "--timeout-ms", in: check) != nil)
        #expect(ComposeFile.value(of: "--curve-secret-file", in: check) != nil
                && ComposeFile.value(of: "--coordinator-key", in: check) != nil)
    }

    /// Every key file a service reads is one the keygen service writes into the same volume, and a service's
    /// key volume is mounted read-only and by no other long-running service.
    @Test func everyKeyFileComesFromKeygenAndStaysWithItsService() throws {
        let compose = try ComposeFile.repository()
        let script = try #require(compose.service("keygen").argv.last)
        let reads = try KeyFileRead.all(in: compose)

        for read in reads {
            #expect(read.mount.isNamedVolume && read.mount.readOnly, "\(read.service): \(read.mount)")
            #expect(scriptMentions(script, read.writtenByKeygen),
                    "\(read.service) reads \(read.path); keygen never writes \(read.writtenByKeygen)")
            let others = compose.services.values.filter {
                $0.name != read.service && $0.name != "keygen" && $0.volumes.contains { $0.source == read.mount.source }
            }
            #expect(others.isEmpty, "\(read.mount.source ?? "") is also mounted by \(others.map(\.name))")
        }
        // The coordinator's secret key and allow-list; the probe's, the workers' and the client's secret key and
        // the coordinator's public key.
        #expect(reads.count == 8, "\(reads)")
    }

    /// The keygen service's script, run here with its mount points moved under a temporary folder: it makes
    /// every key file the other services read, secret keys with mode 600, an allow-list of the workers', the
    /// client's and the probe's public keys, and a second run keeps every key.
    @Test func theKeygenScriptMakesEveryKeyOnceAndThenKeepsThem() throws {
        let compose = try ComposeFile.repository()
        let keygen = try compose.service("keygen")
        let executable = try #require(Mimeo.executable)
        let root = NSTemporaryDirectory() + "mimeo-compose-keygen-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        for volume in keygen.volumes {
            try FileManager.default.createDirectory(atPath: root + volume.target, withIntermediateDirectories: true)
        }
        var argv = keygen.argv
        var script = argv.removeLast()
        for parent in Set(keygen.volumes.map { ($0.target as NSString).deletingLastPathComponent }) {
            script = script.replacingOccurrences(of: parent, with: root + parent)
        }
        let path = (executable as NSString).deletingLastPathComponent + ":/usr/bin:/bin"

        let first = try runProcess(argv + [script], environment: ["PATH": path])
        try #require(first == 0, "the keygen script exited with \(first)")

        var files: [String: String] = [:]
        for read in try KeyFileRead.all(in: compose) {
            let file = root + read.writtenByKeygen
            files[file] = try String(contentsOfFile: file, encoding: .utf8)
            if read.path.hasSuffix(".key") {
                #expect(try mode(of: file) == 0o600, "\(file)")
                _ = try ZMQCurveKeyPair.read(secretKeyFile: file)
            } else if read.flag == "--coordinator-key" {
                #expect(try ZMQCurveKey.read(publicKeyFile: file)
                        == ZMQCurveKeyPair.read(secretKeyFile: root + "/keys/coordinator/coordinator.key").publicKey)
            } else {
                let listed = try #require(files[file]).split(separator: "\n").filter { !$0.hasPrefix("#") }
                let expected = try ["worker/worker", "client/client", "coordinator/probe"].map {
                    try ZMQCurveKeyPair.read(secretKeyFile: root + "/keys/\($0).key").publicKey
                }
                #expect(try listed.map { try ZMQCurveKey(z85: String($0)) } == expected)
            }
        }
        #expect(files.count == 8, "\(files.keys.sorted())")

        let second = try runProcess(argv + [script], environment: ["PATH": path])
        #expect(second == 0)
        for (file, text) in files {
            #expect(try String(contentsOfFile: file, encoding: .utf8) == text, "\(file) changed on the second run")
        }
    }

    // MARK: - Every flag the compose file passes is one mimeo has

    @Test func keygenFlagsAreInItsHelp() throws {
        try expectFlagsListed(subcommand: "keygen")
    }

    @Test(.enabled(if: MimeoSubcommands.built("coordinator"),
                   "`mimeo coordinator` is not in this build yet (issue 7's cluster commands merge separately)"))
    func coordinatorFlagsAreInItsHelp() throws {
        try expectFlagsListed(subcommand: "coordinator")
    }

    @Test(.enabled(if: MimeoSubcommands.built("worker"),
                   "`mimeo worker` is not in this build yet (issue 7's cluster commands merge separately)"))
    func workerFlagsAreInItsHelp() throws {
        try expectFlagsListed(subcommand: "worker")
    }

    @Test(.enabled(if: MimeoSubcommands.built("status"),
                   "`mimeo status` is not in this build yet (issue 7's cluster commands merge separately)"))
    func statusFlagsAreInItsHelp() throws {
        try expectFlagsListed(subcommand: "status")
    }

    /// Runs `mimeo <subcommand> --help` and expects every flag of every invocation of it in the compose file
    /// and the Kubernetes manifests.
    private func expectFlagsListed(subcommand: String) throws {
        let compose = try MimeoSubcommands.invocations(in: ComposeFile.repository())
        let invocations = try (compose.map { ("docker-compose.yml", $0) } + MimeoSubcommands.kubernetesInvocations())
            .filter { $0.1.count > 1 && $0.1[1] == subcommand }
        try #require(compose.contains { $0.count > 1 && $0[1] == subcommand },
                     "the compose file never runs mimeo \(subcommand)")
        let help = try Mimeo.run([subcommand, "--help"])
        #expect(help.succeeded, "\(help)")
        try #require(help.standardOutput.contains("USAGE: mimeo \(subcommand)"), "\(help)")

        for (file, argv) in invocations {
            for flag in argv.dropFirst(2) where flag.hasPrefix("-") {
                #expect(lists(help.standardOutput, flag), "\(file): mimeo \(subcommand) --help does not list \(flag)")
            }
        }
    }

    @Test func kubernetesManifestsRunTheClusterCommands() throws {
        let commands = Set(try MimeoSubcommands.kubernetesInvocations().map { $0.argv.prefix(2).joined(separator: " ") })

        #expect(commands == ["mimeo coordinator", "mimeo worker", "mimeo status"], "\(commands)")
    }
}

/// Which subcommands the built `mimeo` has, and where the compose file and the Kubernetes manifests run them.
enum MimeoSubcommands {
    /// Whether `mimeo --help` lists `name` as a subcommand. True when the executable is missing, so that the
    /// test runs and reports that.
    static func built(_ name: String) -> Bool {
        guard Mimeo.executable != nil, let help = try? Mimeo.run(["--help"]), help.succeeded else { return true }
        let section = help.standardOutput.components(separatedBy: "SUBCOMMANDS:").dropFirst().joined()
        return section.split(separator: "\n").contains { line in
            line.hasPrefix("  ") && line.split(separator: " ").first.map(String.init) == name
        }
    }

    /// Every `mimeo ...` command line of the file: services' commands and health checks, and the `mimeo` lines
    /// of shell scripts (the keygen service), each starting with "mimeo".
    static func invocations(in compose: ComposeFile) throws -> [[String]] {
        var invocations: [[String]] = []
        for service in compose.services.values {
            for argv in [service.argv] + (service.healthCheck.map { [$0] } ?? []) {
                if argv.first == "mimeo" {
                    invocations.append(argv)
                } else if argv.first == "/bin/sh", let script = argv.last {
                    // Simple commands only: a line's parts between ||, && and ;, those that start with mimeo.
                    for line in script.split(separator: "\n") {
                        let parts = line.replacingOccurrences(of: "||", with: ";")
                            .replacingOccurrences(of: "&&", with: ";").split(separator: ";")
                        for part in parts where part.trimmingCharacters(in: .whitespaces).hasPrefix("mimeo ") {
                            invocations.append(try ComposeFile.words(String(part)))
                        }
                    }
                }
            }
        }
        return invocations
    }

    /// Every `mimeo ...` command line of cluster/k8s/*.yaml: containers' and init containers' command and args
    /// (`mimeo` when a container sets no command), and exec probes, with the file each is in.
    static func kubernetesInvocations() throws -> [(file: String, argv: [String])] {
        let folder = PackageFiles.root + "/cluster/k8s"
        var invocations: [(file: String, argv: [String])] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: folder).sorted() where name.hasSuffix(".yaml") {
            let parser = try Parser(yaml: String(contentsOfFile: folder + "/" + name, encoding: .utf8))
            while let document = try parser.nextRoot() {
                let spec = document["spec"]?["template"]?["spec"] ?? document["spec"]
                let containers = (spec?["containers"]?.sequence.map(Array.init) ?? [])
                    + (spec?["initContainers"]?.sequence.map(Array.init) ?? [])
                for container in containers {
                    let command = container["command"]?.sequence?.compactMap(\.string) ?? ComposeFile.imageEntrypoint
                    let args = container["args"]?.sequence?.compactMap(\.string) ?? []
                    var lines = [command + args]
                    for probe in ["readinessProbe", "livenessProbe", "startupProbe"] {
                        if let exec = container[probe]?["exec"]?["command"]?.sequence?.compactMap(\.string) {
                            lines.append(exec)
                        }
                    }
                    invocations += lines.filter { $0.first == "mimeo" }.map { ("cluster/k8s/" + name, $0) }
                }
            }
        }
        return invocations
    }
}

/// A key file a service reads: given with `flag` to a command or health check of `service`, found at `path` on
/// the volume mounted at `mount`, and written by the keygen service at `writtenByKeygen`.
struct KeyFileRead: CustomStringConvertible {
    var service: String
    var flag: String
    var path: String
    var mount: ComposeFile.Volume
    var writtenByKeygen: String

    var description: String { "\(service) \(flag) \(path)" }

    /// Every key file read by a service other than keygen.
    /// - Throws: when a key file is on no volume, or on one the keygen service does not mount.
    static func all(in compose: ComposeFile) throws -> [KeyFileRead] {
        let keygen = try compose.service("keygen")
        var reads: [KeyFileRead] = []
        for service in compose.services.values.sorted(by: { $0.name < $1.name }) where service.name != "keygen" {
            for argv in [service.argv] + (service.healthCheck.map { [$0] } ?? []) {
                for (index, flag) in argv.enumerated()
                where ["--curve-secret-file", "--allow-keys", "--coordinator-key"].contains(flag) && index + 1 < argv.count {
                    let path = argv[index + 1]
                    guard let mount = service.mount(containing: path) else {
                        throw MimeoTestError("\(service.name): \(path) is on no volume")
                    }
                    guard let keygenMount = keygen.volumes.first(where: { $0.source == mount.source }) else {
                        throw MimeoTestError("\(service.name): keygen does not mount \(mount.source ?? mount.target)")
                    }
                    reads.append(KeyFileRead(
                        service: service.name, flag: flag, path: path, mount: mount,
                        writtenByKeygen: keygenMount.target + path.dropFirst(mount.target.count)))
                }
            }
        }
        return reads
    }
}

/// Runs `argv` (an absolute program path first) with exactly `environment`, output discarded, for at most 60 s.
/// - Returns: the exit status.
private func runProcess(_ argv: [String], environment: [String: String]) throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: argv[0])
    process.arguments = Array(argv.dropFirst())
    process.environment = environment
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    let deadline = Date().addingTimeInterval(60)
    while process.isRunning && Date() < deadline { usleep(20_000) }
    if process.isRunning {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        throw MimeoTestError("\(argv.prefix(2)) did not end within 60 s")
    }
    return process.terminationStatus
}

private func mode(of path: String) throws -> mode_t {
    var info = stat()
    guard stat(path, &info) == 0 else { throw MimeoTestError("cannot stat \(path)") }
    return info.st_mode & 0o777
}

/// Whether `help` names `flag` as a whole word (not as the start of a longer flag).
private func lists(_ help: String, _ flag: String) -> Bool {
    let wordCharacters = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-"))
    var searchFrom = help.startIndex
    while let range = help.range(of: flag, range: searchFrom..<help.endIndex) {
        let before = range.lowerBound == help.startIndex ? nil : help[help.index(before: range.lowerBound)]
        let after = range.upperBound == help.endIndex ? nil : help[range.upperBound]
        let isWord = { (character: Character?) in
            character.map { $0.unicodeScalars.allSatisfy(wordCharacters.contains) } ?? false
        }
        if !isWord(before) && !isWord(after) { return true }
        searchFrom = range.upperBound
    }
    return false
}

/// Whether a shell script names `path`, absolutely or relative to a folder it changes to with `cd`.
private func scriptMentions(_ script: String, _ path: String) -> Bool {
    if script.contains(path) { return true }
    for line in script.split(separator: "\n") {
        let words = line.split(separator: " ")
        guard words.count == 2, words[0] == "cd", path.hasPrefix(words[1] + "/") else { continue }
        if script.contains(path.dropFirst(words[1].count + 1)) { return true }
    }
    return false
}

/// The host and port of a `tcp://host:port` address.
private func endpoint(_ address: String) throws -> (host: String, port: Int) {
    guard address.hasPrefix("tcp://"), let colon = address.lastIndex(of: ":"),
          let port = Int(address[address.index(after: colon)...])
    else { throw MimeoTestError("not a tcp://host:port address: \(address)") }
    return (String(address.dropFirst("tcp://".count)[..<colon]), port)
}
