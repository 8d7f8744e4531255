import ArgumentParser
import Foundation
import Logging
import MimeoCluster
import MimeoObservability
import MimeoZMQ

/// The CURVE keys of a worker or client (`mimeo worker`, `mimeo status`, `mimeo generate --cluster`): its own
/// secret key and the coordinator's public key, from files or environment variables, never from arguments.
struct ClusterClientKeyOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "This node's secret key file (from `mimeo keygen`, mode 600). Or set MIMEO_CURVE_SECRET_KEY to the key text.",
        valueName: "file.key"))
    var curveSecretFile: String?

    @Option(help: ArgumentHelp(
        "The coordinator's public key file (its .pub). Or set MIMEO_COORDINATOR_KEY_FILE to the file's path.",
        valueName: "coord.pub"))
    var coordinatorKey: String?

    /// The keys, or nil for a plaintext connection.
    func keys(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> CurveClientKeys? {
        let serverKeyFile = coordinatorKey ?? environment["MIMEO_COORDINATOR_KEY_FILE"]
        let hasSecret = curveSecretFile != nil || environment["MIMEO_CURVE_SECRET_KEY"] != nil
        guard hasSecret || serverKeyFile != nil else { return nil }
        guard let serverKeyFile else {
            throw ClusterError("a CURVE secret key is given, but not the coordinator's public key: add --coordinator-key coord.pub (or set MIMEO_COORDINATOR_KEY_FILE)")
        }
        do {
            guard let pair = try curveSecretKeyPair(file: curveSecretFile, environment: environment) else {
                throw ClusterError("the coordinator's public key is given, but not this node's secret key: add --curve-secret-file node.key (or set MIMEO_CURVE_SECRET_KEY; make one with `mimeo keygen -o node.key`)")
            }
            return CurveClientKeys(keyPair: pair, serverKey: try ZMQCurveKey.read(publicKeyFile: serverKeyFile))
        } catch let error as ClusterError {
            throw error
        } catch let error as ZMQUsageError {
            throw ClusterError(error.message)
        }
    }
}

/// A node's CURVE key pair: from the secret key `file` (mode 600), else from the key text in
/// MIMEO_CURVE_SECRET_KEY; nil when neither is given.
func curveSecretKeyPair(file: String?, environment: [String: String]) throws -> ZMQCurveKeyPair? {
    if let file { return try ZMQCurveKeyPair.read(secretKeyFile: file) }
    guard environment["MIMEO_CURVE_SECRET_KEY"] != nil else { return nil }
    return try ZMQCurveKeyPair.fromEnvironment("MIMEO_CURVE_SECRET_KEY", environment: environment)
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// How a node logs (`--log-format`, `--log-level`): structured lines on standard error.
struct LogOptions: ParsableArguments {
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Option(help: "Log line format: text (key=value) or json.")
    var logFormat: Format = .text

    @Option(help: ArgumentHelp("Least severe level logged: trace, debug, info, notice, warning, error, critical.",
                               valueName: "level"))
    var logLevel: Logger.Level = .info

    /// Sets up the process's logging and returns a logger labelled `label`.
    func logger(label: String) -> Logger {
        LoggingSetup.bootstrap(format: logFormat == .json ? .json : .text, level: logLevel)
        var logger = Logger(label: label)
        logger.logLevel = logLevel
        return logger
    }
}

/// Stops a node's loop on SIGINT or SIGTERM (the signals are then handled on a dispatch queue, not by the
/// default action).
enum StopOnSignals {
    /// Sources kept alive for the process's life.
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    static func install(_ stop: StopSignal, onSignal: @escaping @Sendable (Int32) -> Void = { _ in }) {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                onSignal(number)
                stop.stop()
            }
            source.resume()
            sources.append(source)
        }
    }
}

/// Checks a ZeroMQ endpoint of the form tcp://host:port.
func validateTCPEndpoint(_ endpoint: String, option: String, allowWildcardPort: Bool = false) throws {
    guard endpoint.hasPrefix("tcp://"), let colon = endpoint.lastIndex(of: ":"),
          endpoint.index(after: colon) < endpoint.endIndex else {
        throw ValidationError("\(option) must look like tcp://host:port (for example tcp://127.0.0.1:5570), got '\(endpoint)'")
    }
    let host = endpoint[endpoint.index(endpoint.startIndex, offsetBy: 6)..<colon]
    let port = endpoint[endpoint.index(after: colon)...]
    guard !host.isEmpty else { throw ValidationError("\(option): '\(endpoint)' has no host") }
    if allowWildcardPort && port == "*" { return }
    guard let number = Int(port), (1...65_535).contains(number) else {
        throw ValidationError("\(option): '\(port)' is not a port number (1 to 65535) in '\(endpoint)'")
    }
}
