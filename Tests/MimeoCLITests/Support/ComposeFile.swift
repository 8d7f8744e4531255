import Foundation
import MimeoTestSupport
import Yams

/// A compose file (the repository's docker-compose.yml) read the way Docker Compose reads the parts tests need:
/// for each service, the program it runs, its environment, its volumes, its health check and what it waits for.
///
/// ```swift
/// let compose = try ComposeFile.repository()
/// let coordinator = try compose.service("coordinator")
/// // coordinator.argv == ["mimeo", "coordinator", "--bind", "tcp://0.0.0.0:5570", ...]
/// ```
///
/// Values are interpolated as Compose does: `$$` is a literal `$`; `$NAME`, `${NAME}`, `${NAME:-default}` and
/// `${NAME-default}` come from `variables` (unset names become "", or the default). Anchors and aliases are
/// resolved by the YAML reader; merge keys (`<<`) are not supported.
struct ComposeFile {
    /// One service of the file.
    struct Service: Equatable {
        var name: String
        /// The process a container of the service runs: the entrypoint (the service's own, or the image's
        /// entrypoint `mimeo`) followed by the command.
        var argv: [String]
        /// The variables the service sets. A variable listed without a value (passed through from the host by
        /// Compose) is left out.
        var environment: [String: String]
        var volumes: [Volume]
        /// The health check's process (`CMD` form; `CMD-SHELL` becomes `/bin/sh -c ...`), or nil without one.
        var healthCheck: [String]?
        /// The services this one waits for, each with its condition (`service_started` when none is given).
        var dependsOn: [String: String]
        /// The profiles the service belongs to; a service with a profile starts only when one is asked for.
        var profiles: [String]

        /// The mount whose target is `path` or a folder above it, deepest first.
        func mount(containing path: String) -> Volume? {
            volumes.filter { path == $0.target || path.hasPrefix($0.target + "/") }
                .max { $0.target.count < $1.target.count }
        }

        /// The argument after the first `flag` in `argv`, or nil when the flag is not there or is last.
        func value(of flag: String) -> String? { ComposeFile.value(of: flag, in: argv) }
    }

    /// A mount: a named volume or host path (`source`; nil for an anonymous volume) at `target`.
    struct Volume: Equatable {
        var source: String?
        var target: String
        var readOnly: Bool

        /// Whether the source is a volume declared in the file, rather than a host path.
        var isNamedVolume: Bool {
            guard let source else { return false }
            return !source.hasPrefix("/") && !source.hasPrefix(".") && !source.hasPrefix("~")
        }
    }

    /// The services by name.
    var services: [String: Service]
    /// The named volumes declared at the top level.
    var volumeNames: [String]

    /// The entrypoint of the `mimeo` image (cluster/Dockerfile), used for services that do not set their own.
    static let imageEntrypoint = ["mimeo"]

    /// Reads the repository's docker-compose.yml.
    static func repository(variables: [String: String] = [:]) throws -> ComposeFile {
        let path = PackageFiles.root + "/docker-compose.yml"
        return try ComposeFile(yaml: String(contentsOfFile: path, encoding: .utf8), variables: variables)
    }

    /// Reads a compose file's text.
    /// - Throws: `ComposeFileError` naming what is malformed; the YAML reader's error for invalid YAML.
    init(yaml: String, variables: [String: String] = [:]) throws {
        guard let root = try Yams.compose(yaml: yaml)?.mapping else {
            throw ComposeFileError("the file is not a YAML mapping")
        }
        guard let serviceNodes = root["services"]?.mapping else { throw ComposeFileError("no services") }
        let interpolate = { (text: String) in try ComposeFile.interpolate(text, variables: variables) }
        var services: [String: Service] = [:]
        for (key, node) in serviceNodes {
            guard let name = key.string, let spec = node.mapping else {
                throw ComposeFileError("a service is not a mapping")
            }
            services[name] = try Service(name: name, spec: spec, interpolate: interpolate)
        }
        self.services = services
        self.volumeNames = root["volumes"]?.mapping?.keys.compactMap(\.string).sorted() ?? []
    }

    /// The service called `name`.
    /// - Throws: `ComposeFileError` when there is none.
    func service(_ name: String) throws -> Service {
        guard let service = services[name] else {
            throw ComposeFileError("no service '\(name)' (services: \(services.keys.sorted().joined(separator: ", ")))")
        }
        return service
    }

    /// The argument after the first `flag` in `argv`, or nil when the flag is not there or is last.
    static func value(of flag: String, in argv: [String]) -> String? {
        guard let index = argv.firstIndex(of: flag), index + 1 < argv.count else { return nil }
        return argv[index + 1]
    }

    /// `text` with Compose's variable interpolation applied.
    static func interpolate(_ text: String, variables: [String: String]) throws -> String {
        var result = ""
        var rest = Substring(text)
        while let dollar = rest.firstIndex(of: "$") {
            result += rest[..<dollar]
            rest = rest[rest.index(after: dollar)...]
            guard let next = rest.first else { throw ComposeFileError("'\(text)' ends in a lone $") }
            if next == "$" {
                result += "$"
                rest = rest.dropFirst()
            } else if next == "{" {
                guard let close = rest.firstIndex(of: "}") else { throw ComposeFileError("'\(text)': unclosed ${") }
                let expression = rest[rest.index(after: rest.startIndex)..<close]
                rest = rest[rest.index(after: close)...]
                result += try substitute(expression, variables: variables, in: text)
            } else {
                let name = rest.prefix { $0 == "_" || $0.isLetter || $0.isNumber }
                guard !name.isEmpty else { throw ComposeFileError("'\(text)': $ without a variable name; write $$") }
                rest = rest.dropFirst(name.count)
                result += variables[String(name)] ?? ""
            }
        }
        return result + rest
    }

    /// The value of `NAME`, `NAME:-default` (default when unset or empty) or `NAME-default` (default when unset).
    private static func substitute(_ expression: Substring, variables: [String: String], in text: String) throws -> String {
        if let range = expression.range(of: ":-") {
            let value = variables[String(expression[..<range.lowerBound])] ?? ""
            return value.isEmpty ? String(expression[range.upperBound...]) : value
        }
        if let dash = expression.firstIndex(of: "-") {
            return variables[String(expression[..<dash])] ?? String(expression[expression.index(after: dash)...])
        }
        guard !expression.isEmpty, expression.allSatisfy({ $0 == "_" || $0.isLetter || $0.isNumber }) else {
            throw ComposeFileError("'\(text)': unsupported substitution ${\(expression)}")
        }
        return variables[String(expression)] ?? ""
    }

    /// Splits a command given as one string into words as Compose does (shell quoting, no expansion).
    static func words(_ command: String) throws -> [String] {
        var words: [String] = []
        var word = ""
        var inWord = false
        var quote: Character?
        var characters = command.makeIterator()
        while let character = characters.next() {
            if let open = quote {
                if character == open {
                    quote = nil
                } else if character == "\\" && open == "\"", let escaped = characters.next() {
                    word.append(escaped)
                } else {
                    word.append(character)
                }
            } else if character == "'" || character == "\"" {
                quote = character
                inWord = true
            } else if character == "\\", let escaped = characters.next() {
                word.append(escaped)
                inWord = true
            } else if character.isWhitespace {
                if inWord { words.append(word) }
                word = ""
                inWord = false
            } else {
                word.append(character)
                inWord = true
            }
        }
        guard quote == nil else { throw ComposeFileError("unclosed quote in '\(command)'") }
        if inWord { words.append(word) }
        return words
    }
}

extension ComposeFile.Service {
    fileprivate init(name: String, spec: Node.Mapping, interpolate: (String) throws -> String) throws {
        self.name = name
        let entrypoint = try spec["entrypoint"].map { try Self.strings($0, "\(name).entrypoint", interpolate) }
        let command = try spec["command"].map { try Self.strings($0, "\(name).command", interpolate) } ?? []
        argv = (entrypoint ?? ComposeFile.imageEntrypoint) + command
        environment = try Self.environment(spec["environment"], name: name, interpolate)
        volumes = try (spec["volumes"]?.sequence.map(Array.init) ?? []).map {
            try Self.volume($0, name: name, interpolate)
        }
        healthCheck = try Self.healthCheck(spec["healthcheck"]?.mapping?["test"], name: name, interpolate)
        dependsOn = try Self.dependsOn(spec["depends_on"], name: name)
        profiles = spec["profiles"]?.sequence?.compactMap(\.string) ?? []
    }

    /// A command or entrypoint: a list of words, or one string split as a shell would.
    private static func strings(_ node: Node, _ what: String, _ interpolate: (String) throws -> String) throws -> [String] {
        if let sequence = node.sequence {
            return try sequence.map { item in
                guard let text = item.string else { throw ComposeFileError("\(what): an item is not a scalar") }
                return try interpolate(text)
            }
        }
        guard let text = node.string else { throw ComposeFileError("\(what) is neither a string nor a list") }
        return try ComposeFile.words(interpolate(text))
    }

    private static func environment(
        _ node: Node?, name: String, _ interpolate: (String) throws -> String
    ) throws -> [String: String] {
        guard let node else { return [:] }
        var environment: [String: String] = [:]
        if let mapping = node.mapping {
            for (key, value) in mapping {
                guard let variable = key.string else { throw ComposeFileError("\(name).environment: a bad name") }
                if value.null == nil, let text = value.string { environment[variable] = try interpolate(text) }
            }
        } else if let sequence = node.sequence {
            for item in sequence {
                guard let entry = item.string else { throw ComposeFileError("\(name).environment: a bad entry") }
                guard let equals = entry.firstIndex(of: "=") else { continue }
                environment[String(entry[..<equals])] = try interpolate(String(entry[entry.index(after: equals)...]))
            }
        } else {
            throw ComposeFileError("\(name).environment is neither a mapping nor a list")
        }
        return environment
    }

    /// `source:target[:mode]`, `target`, or the long form `{type, source, target, read_only}`.
    private static func volume(
        _ node: Node, name: String, _ interpolate: (String) throws -> String
    ) throws -> ComposeFile.Volume {
        if let long = node.mapping {
            guard let target = long["target"]?.string else { throw ComposeFileError("\(name).volumes: no target") }
            return ComposeFile.Volume(
                source: try long["source"]?.string.map(interpolate), target: try interpolate(target),
                readOnly: long["read_only"]?.bool ?? false)
        }
        guard let text = node.string else { throw ComposeFileError("\(name).volumes: an entry is not a string") }
        let parts = try interpolate(text).split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        switch parts.count {
        case 1: return ComposeFile.Volume(source: nil, target: parts[0], readOnly: false)
        case 2: return ComposeFile.Volume(source: parts[0], target: parts[1], readOnly: false)
        case 3:
            let options = parts[2].split(separator: ",")
            return ComposeFile.Volume(source: parts[0], target: parts[1], readOnly: options.contains("ro"))
        default: throw ComposeFileError("\(name).volumes: cannot read '\(text)'")
        }
    }

    private static func healthCheck(
        _ test: Node?, name: String, _ interpolate: (String) throws -> String
    ) throws -> [String]? {
        guard let test else { return nil }
        if let shell = test.string { return ["/bin/sh", "-c", try interpolate(shell)] }
        let words = try strings(test, "\(name).healthcheck.test", interpolate)
        switch words.first {
        case "CMD": return Array(words.dropFirst())
        case "CMD-SHELL": return ["/bin/sh", "-c", words.dropFirst().joined(separator: " ")]
        case "NONE": return nil
        default: throw ComposeFileError("\(name).healthcheck.test starts with neither CMD nor CMD-SHELL")
        }
    }

    private static func dependsOn(_ node: Node?, name: String) throws -> [String: String] {
        guard let node else { return [:] }
        if let sequence = node.sequence {
            return Dictionary(uniqueKeysWithValues: sequence.compactMap(\.string).map { ($0, "service_started") })
        }
        guard let mapping = node.mapping else { throw ComposeFileError("\(name).depends_on: cannot read") }
        var conditions: [String: String] = [:]
        for (key, value) in mapping {
            guard let other = key.string else { throw ComposeFileError("\(name).depends_on: a bad name") }
            conditions[other] = value.mapping?["condition"]?.string ?? "service_started"
        }
        return conditions
    }
}

/// A compose file that this reader cannot make sense of.
struct ComposeFileError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
