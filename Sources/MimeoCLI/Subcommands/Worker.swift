import ArgumentParser
import Dispatch
import Foundation
import Logging
import MimeoCluster
import MimeoZMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension MimeoCommand {
    /// `mimeo worker`: join a coordinator and generate the shards it leases.
    struct Worker: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a cluster worker: join a coordinator and generate the shards of jobs it leases.",
            discussion: """
                The worker connects to the coordinator (mimeo coordinator), asks for work whenever a slot is \
                free, fetches each job's model once by its SHA-256 (cached in --cache), and writes each shard \
                as a part file (out/part-00003.csv) through a temporary name, renamed into place only when \
                complete. Part paths come from the job; a path with a '..' component, or outside \
                --output-root, is refused. Relative part paths are taken from the worker's working directory, \
                so workers and coordinator should see the output folder at the same path (shared storage).

                If the coordinator goes silent, the worker reconnects forever, waiting 1 s, then 2 s, ... up \
                to 32 s between attempts. SIGINT or SIGTERM stops it cleanly: it tells the coordinator it is \
                leaving (its leases go to other workers at once), removes unfinished parts and exits 0.

                With keys, the connection is encrypted and authenticated with CURVE: give the worker's \
                secret key (mimeo keygen -o w1.key; put w1.pub in the coordinator's allow-list) and the \
                coordinator's public key. Keys come from files or environment variables, never arguments: \
                MIMEO_CURVE_SECRET_KEY holds the secret key's text, MIMEO_COORDINATOR_KEY_FILE the path of \
                the coordinator's public key file.
                Examples:
                  mimeo worker --connect tcp://127.0.0.1:5570
                  mimeo worker --connect tcp://coord:5570 --name w1 --slots 2 --threads 4
                  mimeo worker --connect tcp://coord:5570 --output-root /data --cache /cache
                  mimeo worker --connect tcp://coord:5570 \\
                    --curve-secret-file w1.key --coordinator-key coord.pub
                  MIMEO_CURVE_SECRET_KEY="$(cat w1.key)" MIMEO_COORDINATOR_KEY_FILE=coord.pub \\
                    mimeo worker --connect tcp://coord:5570 --log-format json
                """)

        @Option(help: ArgumentHelp("The coordinator's endpoint.", valueName: "tcp://host:port"))
        var connect: String

        @Option(help: "The worker's name in status and logs (default: hostname-pid).")
        var name: String?

        @Option(parsing: .unconditional, help: "Threads per lease (default: all cores divided among the slots).")
        var threads: Int?

        @Option(parsing: .unconditional, help: "Leases run at once.")
        var slots: Int = 1

        @OptionGroup var keys: ClusterClientKeyOptions

        @Option(help: ArgumentHelp("Part files must lie inside this folder.", valueName: "dir"))
        var outputRoot: String = "/"

        @Option(help: ArgumentHelp("The model cache folder (default: $MIMEO_CACHE, else ~/.cache/mimeo/models).",
                                   valueName: "dir"))
        var cache: String?

        @Flag(help: "Send per-column statistics of each part with its result (the coordinator merges them into the manifest); costs a parse of every batch.")
        var statistics = false

        @Option(help: ArgumentHelp("Federated training: this site's own table (.csv or .csv.gz). It is read once and never sent; the worker then runs train tasks for the site named --name.", valueName: "site.csv"))
        var data: String?

        @OptionGroup var inputOptions: InputOptions

        @Option(help: ArgumentHelp("With --data: the secret the sites share (a file of at least 16 bytes, e.g. head -c 32 /dev/urandom); category values are hashed with it, and the coordinator never holds it.", valueName: "file"))
        var siteKey: String?

        @Option(help: ArgumentHelp("With --data: the id of --site-key (a train job names the key it needs).", valueName: "id"))
        var siteKeyID: String = "default"

        @Option(help: ArgumentHelp("Append every frame this worker sends to this file (an audit of what leaves a site).", valueName: "file"))
        var recordFrames: String?

        @OptionGroup var log: LogOptions

        func validate() throws {
            do {
                try WorkerConfiguration.validate(endpoint: connect)
            } catch let error as WorkerError {
                throw ValidationError(error.description)
            }
            if let threads, !(1 ... 65_535).contains(threads) { throw ValidationError("--threads must be 1 to 65535") }
            guard (1 ... 65_535).contains(slots) else { throw ValidationError("--slots must be 1 to 65535") }
            if let name, name.isEmpty { throw ValidationError("--name must not be empty") }
            if data != nil {
                guard siteKey != nil else { throw ValidationError("--data needs --site-key, the secret the sites share") }
                guard name != nil else { throw ValidationError("--data needs --name: a site's name is its identity") }
            } else if siteKey != nil {
                throw ValidationError("--site-key is only used with --data")
            }
            guard !outputRoot.isEmpty else { throw ValidationError("--output-root must not be empty; use / for any folder") }
        }

        func run() throws {
            let environment = ProcessInfo.processInfo.environment
            let logger = log.logger(label: "mimeo.worker")
            let cores = ProcessInfo.processInfo.activeProcessorCount
            var configuration = WorkerConfiguration(
                endpoint: connect, name: name ?? WorkerConfiguration.defaultName,
                threads: threads ?? max(1, cores / slots), slots: slots,
                curve: try keys.keys(environment: environment),
                outputRoot: outputRoot, cacheDirectory: Self.cacheDirectory(cache, environment: environment))
            configuration.computesStatistics = statistics
            configuration.software = "mimeo \(MimeoCommand.configuration.version)"
            configuration.recordFramesPath = recordFrames
            if let data, let siteKey {
                let (table, schema) = try TableInput.load(path: data, options: inputOptions, quiet: true)
                let keyBytes: [UInt8]
                do {
                    keyBytes = Array(try Data(contentsOf: URL(fileURLWithPath: siteKey)))
                } catch {
                    throw ValidationError("cannot read --site-key \(siteKey): \(error.localizedDescription)")
                }
                configuration.site = try SiteData(table: table, schema: schema, keyID: siteKeyID, keyBytes: keyBytes)
                logger.info("site data loaded", metadata: ["rows": "\(table.rowCount)", "columns": "\(schema.columns.count)"])
            }
            let node = try WorkerNode(configuration: configuration, logger: logger)

            // Signals arrive on a queue, not as handlers: the loop notices the flag within one poll slice.
            signal(SIGINT, SIG_IGN)
            signal(SIGTERM, SIG_IGN)
            let queue = DispatchQueue(label: "mimeo.worker.signals")
            let sources = [SIGINT, SIGTERM].map { number in
                let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
                source.setEventHandler {
                    logger.info("signal received; stopping", metadata: ["signal": "\(number)"])
                    node.stop()
                }
                source.resume()
                return source
            }
            defer { sources.forEach { $0.cancel() } }
            try node.run()
        }

        /// `--cache`, else `$MIMEO_CACHE`, else `~/.cache/mimeo/models`.
        static func cacheDirectory(_ flag: String?, environment: [String: String]) -> String {
            if let flag { return flag }
            if let variable = environment["MIMEO_CACHE"], !variable.isEmpty { return variable }
            return NSHomeDirectory() + "/.cache/mimeo/models"
        }
    }
}
