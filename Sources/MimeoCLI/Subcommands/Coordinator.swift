import ArgumentParser
import Foundation
import MimeoCluster
import MimeoWire
import MimeoZMQ

extension MimeoCommand {
    /// `mimeo coordinator`: run a cluster's coordinator.
    struct Coordinator: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a cluster coordinator: it hands the shards of jobs to workers and keeps the jobs' state.",
            discussion: """
                The coordinator binds one ZeroMQ socket. Workers (`mimeo worker --connect`) join it and ask \
                for work; clients (`mimeo generate --cluster`, `mimeo status`) submit jobs and watch them. \
                Every job, shard, lease and result is written to the --state file (SQLite) before it is \
                acknowledged, so a coordinator stopped or killed at any point and started again with the \
                same --state resumes every job. Models of submitted jobs are kept beside it in <state>.models/.

                Security: with --curve-secret-file and --allow-keys every connection is CURVE-encrypted and \
                only workers and clients whose public keys are on the allow-list get in. Without keys the \
                coordinator binds only to a loopback address (127.0.0.0/8, ::1) unless --insecure is given: \
                plaintext MWP on a network can be read and forged by anyone on the path.
                Examples:
                  mimeo coordinator --bind tcp://127.0.0.1:5570 --state coordinator.db
                  mimeo keygen -o coord.key; mimeo keygen -o w1.key; cat w1.pub >> allowed.pub
                  mimeo coordinator --bind tcp://0.0.0.0:5570 --state /state/c.db \\
                      --curve-secret-file coord.key --allow-keys allowed.pub
                Stop it with Ctrl-C (or SIGTERM): workers are told and rejoin when it is back.
                """)

        @Option(help: ArgumentHelp("Where to listen, tcp://host:port.", valueName: "endpoint"))
        var bind: String = "tcp://127.0.0.1:5570"

        @Option(help: ArgumentHelp("The state file (SQLite; created if missing).", valueName: "coordinator.db"))
        var state: String

        @Option(help: ArgumentHelp(
            "The coordinator's secret key file (from `mimeo keygen`, mode 600); turns on CURVE. Or set MIMEO_CURVE_SECRET_KEY to the key text.",
            valueName: "coord.key"))
        var curveSecretFile: String?

        @Option(help: ArgumentHelp(
            "The public keys admitted: a file with one key per line (lines starting with '#' are comments), or a folder of .pub files. Or set MIMEO_ALLOW_KEYS_FILE.",
            valueName: "workers.pub"))
        var allowKeys: String?

        @Flag(help: "Allow a plaintext coordinator on a non-loopback address.")
        var insecure = false

        @Option(help: ArgumentHelp("Serve Prometheus metrics at http://host:port/metrics.", valueName: "host:port"))
        var metrics: String?

        @Option(help: "Heartbeat interval in milliseconds (a worker silent for 3 intervals is dead).")
        var heartbeatMs: UInt32 = ProtocolVersion.heartbeatIntervalMilliseconds

        @Option(help: "Lease timeout in milliseconds: a shard not heard of for this long is leased again.")
        var leaseTimeoutMs: UInt32 = ProtocolVersion.leaseTimeoutMilliseconds

        @OptionGroup var log: LogOptions

        func validate() throws {
            try validateTCPEndpoint(bind, option: "--bind", allowWildcardPort: true)
            guard heartbeatMs >= 10 else { throw ValidationError("--heartbeat-ms must be at least 10") }
            guard leaseTimeoutMs >= 100 else { throw ValidationError("--lease-timeout-ms must be at least 100") }
            guard !state.isEmpty else { throw ValidationError("--state needs a file name") }
        }

        func run() throws {
            let environment = ProcessInfo.processInfo.environment
            let curve = try serverKeys(environment: environment)
            if curve == nil && !insecure && !isLoopback(bind) {
                throw ValidationError("""
                    refusing to bind \(bind) in plaintext: without keys the coordinator binds only to a loopback \
                    address. Give --curve-secret-file and --allow-keys (see `mimeo keygen`), or --insecure.
                    """)
            }
            let logger = log.logger(label: "mimeo.coordinator")
            var configuration = CoordinatorConfiguration(endpoint: bind, statePath: state)
            configuration.curve = curve
            configuration.heartbeatIntervalMilliseconds = heartbeatMs
            configuration.leaseTimeoutMilliseconds = leaseTimeoutMs
            configuration.metricsAddress = metrics
            let stop = StopSignal()
            StopOnSignals.install(stop)
            let node = CoordinatorNode(configuration: configuration, logger: logger)
            do {
                try node.run(stop: stop) { endpoint in
                    Terminal.message("coordinator listening on \(endpoint) (\(curve == nil ? "plaintext" : "CURVE, \(curve!.allowList.count) keys allowed"))")
                }
            } catch let error as ClusterError {
                Terminal.message("Error: \(error.description)")
                throw ExitCode(70)
            }
        }

        private func serverKeys(environment: [String: String]) throws -> CurveServerKeys? {
            let allowPath = allowKeys ?? environment["MIMEO_ALLOW_KEYS_FILE"]
            let hasSecret = curveSecretFile != nil || environment["MIMEO_CURVE_SECRET_KEY"] != nil
            guard hasSecret || allowPath != nil else { return nil }
            guard let allowPath else {
                throw ValidationError("a secret key is given but no allow-list: add --allow-keys workers.pub (the public keys of the workers and clients to admit)")
            }
            do {
                guard let pair = try curveSecretKeyPair(file: curveSecretFile, environment: environment) else {
                    throw ValidationError("an allow-list is given but no secret key: add --curve-secret-file coord.key")
                }
                let allowList = try CurveServerKeys.readAllowList(allowPath)
                guard !allowList.isEmpty else {
                    throw ValidationError("\(allowPath): the allow-list holds no keys, so no worker could join")
                }
                return CurveServerKeys(keyPair: pair, allowList: allowList)
            } catch let error as ValidationError {
                throw error
            } catch {
                throw ValidationError("\(error)")
            }
        }
    }
}

/// Whether a tcp:// endpoint's host is a loopback address (127.0.0.0/8, ::1, localhost).
func isLoopback(_ endpoint: String) -> Bool {
    guard endpoint.hasPrefix("tcp://"), let colon = endpoint.lastIndex(of: ":") else { return false }
    var host = String(endpoint[endpoint.index(endpoint.startIndex, offsetBy: 6)..<colon])
    if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    if host == "localhost" || host == "::1" { return true }
    let parts = host.split(separator: ".", omittingEmptySubsequences: false)
    return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
}
