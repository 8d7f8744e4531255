import ArgumentParser
import Foundation
import Logging

/// `--log-format`: how the cluster commands write their logs to standard error.
enum LogOutputFormat: String, ExpressibleByArgument, CaseIterable {
    /// One line per event: time, level, message and `key=value` metadata.
    case text
    /// One JSON object per line: `time`, `level`, `label`, `message` and the metadata's keys.
    case json
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// Loggers of the cluster commands, writing to standard error in the chosen format.
enum LogOutput {
    /// A logger labelled `label` at `level`.
    static func logger(label: String, format: LogOutputFormat, level: Logger.Level) -> Logger {
        var logger = Logger(label: label) { label in
            switch format {
            case .text: StreamLogHandler.standardError(label: label)
            case .json: JSONLineLogHandler(label: label)
            }
        }
        logger.logLevel = level
        return logger
    }
}

/// Writes each event as one JSON object on a line of standard error.
struct JSONLineLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields: [String: String] = [:]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            fields[key] = "\(value)"
        }
        fields["time"] = ISO8601DateFormatter().string(from: Date())
        fields["level"] = event.level.rawValue
        fields["label"] = label
        fields["message"] = "\(event.message)"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard var line = try? encoder.encode(fields) else { return }
        line.append(UInt8(ascii: "\n"))
        FileHandle.standardError.write(line)
    }
}
