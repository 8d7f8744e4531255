import Foundation
import Synchronization
import Logging
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a ``StructuredLogHandler`` writes a record.
public enum LogFormat: String, Sendable, CaseIterable {
    /// logfmt: `ts=2026-12-01T05:30:00.123Z level=info label=coordinator msg="worker joined" worker=w1`.
    case text
    /// One JSON object per line: `{"ts":"…","level":"info","label":"coordinator","msg":"worker joined","worker":"w1"}`.
    case json
}

/// Where a ``StructuredLogHandler`` puts its lines: standard error, or a closure (for tests).
public struct LogSink: Sendable {
    private let writeLine: @Sendable (String) -> Void

    /// A sink that hands each line, without its newline, to `writeLine`.
    public init(_ writeLine: @escaping @Sendable (_ line: String) -> Void) {
        self.writeLine = writeLine
    }

    /// Writes one line (without its newline).
    public func write(_ line: String) {
        writeLine(line)
    }

    /// Standard error, one `write(2)` per line under a process-wide lock, so lines from several
    /// threads never interleave.
    public static let standardError = LogSink { line in
        var bytes = Array(line.utf8)
        bytes.append(UInt8(ascii: "\n"))
        standardErrorLock.withLock { _ in writeAll(bytes, to: 2) }
    }

    private static let standardErrorLock = Mutex(())
}

/// Writes all of `bytes` to `descriptor`, retrying after signals; gives up on any other error.
private func writeAll(_ bytes: [UInt8], to descriptor: Int32) {
    var written = 0
    while written < bytes.count {
        let result = bytes[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        if result > 0 {
            written += result
        } else if result < 0, errno == EINTR {
            continue
        } else {
            return
        }
    }
}

/// A swift-log handler that writes one structured line per record, as logfmt or JSON.
///
/// ```swift
/// var logger = Logger(label: "coordinator") { StructuredLogHandler(label: $0, format: .json) }
/// logger[metadataKey: "job"] = "j-7"
/// logger.info("worker joined", metadata: ["worker": "w1"])
/// // {"ts":"2026-12-01T05:30:00.123Z","level":"info","label":"coordinator","msg":"worker joined","job":"j-7","worker":"w1"}
/// ```
///
/// Every line starts with `ts` (UTC, milliseconds), `level`, `label` and `msg`, then `error` when
/// the record carries one, then the metadata sorted by key: the handler's, then its metadata
/// provider's, then the record's, later ones winning. A metadata key equal to one of those field
/// names is written as `meta.KEY`. In text, nested dictionaries become dotted keys (`peer.id=…`)
/// and arrays their JSON text; in JSON they stay nested, and integers, finite floating-point
/// numbers and booleans given as values (not strings) stay numbers and booleans.
public struct StructuredLogHandler: LogHandler {
    /// The logger's label.
    public let label: String
    /// The line format.
    public let format: LogFormat
    /// The lowest level written; `Logger` drops records below it.
    public var logLevel: Logger.Level
    /// Metadata written with every record.
    public var metadata: Logger.Metadata = [:]
    /// Metadata added at each record (task-local values, say).
    public var metadataProvider: Logger.MetadataProvider?
    private let sink: LogSink
    private let now: @Sendable () -> Date

    /// A handler for one logger.
    /// - Parameters:
    ///   - label: the logger's label, written as `label`.
    ///   - format: text (logfmt) or JSON.
    ///   - level: the lowest level written.
    ///   - sink: where the lines go; standard error by default.
    ///   - metadataProvider: metadata added at each record.
    ///   - now: the clock for `ts`.
    public init(
        label: String,
        format: LogFormat = .text,
        level: Logger.Level = .info,
        sink: LogSink = .standardError,
        metadataProvider: Logger.MetadataProvider? = nil,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.label = label
        self.format = format
        self.logLevel = level
        self.sink = sink
        self.metadataProvider = metadataProvider
        self.now = now
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        sink.write(line(for: event))
    }

    /// The line written for `event`, without its newline.
    func line(for event: LogEvent) -> String {
        var merged = metadata
        if let provided = metadataProvider?.get() {
            merged.merge(provided) { _, provided in provided }
        }
        if let explicit = event.metadata {
            merged.merge(explicit) { _, explicit in explicit }
        }
        var fields: [(key: String, value: Logger.MetadataValue)] = [
            ("ts", .string(Self.timestamp(now()))),
            ("level", .string(event.level.rawValue)),
            ("label", .string(label)),
            ("msg", .string(event.message.description)),
        ]
        if let error = event.error {
            fields.append(("error", .string(String(describing: error))))
        }
        for key in merged.keys.sorted() {
            let name = Self.reservedKeys.contains(key) ? "meta.\(key)" : key
            fields.append((name, merged[key]!))
        }
        var out: [UInt8] = []
        out.reserveCapacity(160)
        switch format {
        case .text: LogfmtEncoder.append(fields, to: &out)
        case .json: JSONLineEncoder.appendObject(fields, to: &out)
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static let reservedKeys: Set<String> = ["ts", "level", "label", "msg", "error"]

    /// `2026-12-01T05:30:00.123Z`: UTC, milliseconds, rounded down.
    static func timestamp(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let (secondsPart, millisecondPart) = milliseconds.quotientAndRemainder(dividingBy: 1000)
        var seconds = time_t(millisecondPart < 0 ? secondsPart - 1 : secondsPart)
        let fraction = millisecondPart < 0 ? millisecondPart + 1000 : millisecondPart
        var parts = tm()
        guard gmtime_r(&seconds, &parts) != nil else { return "invalid-time" }
        func padded(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return padded(parts.tm_year + 1900, 4) + "-" + padded(parts.tm_mon + 1, 2) + "-" + padded(parts.tm_mday, 2)
            + "T" + padded(parts.tm_hour, 2) + ":" + padded(parts.tm_min, 2) + ":" + padded(parts.tm_sec, 2)
            + "." + padded(Int32(fraction), 3) + "Z"
    }
}

/// logfmt: `key=value` pairs separated by spaces, values quoted when they need it.
enum LogfmtEncoder {
    static func append(_ fields: [(key: String, value: Logger.MetadataValue)], to out: inout [UInt8]) {
        for (key, value) in fields {
            append(key: key, value: value, to: &out)
        }
    }

    private static func append(key: String, value: Logger.MetadataValue, to out: inout [UInt8]) {
        if case .dictionary(let dictionary) = value {
            for subkey in dictionary.keys.sorted() {
                append(key: "\(key).\(subkey)", value: dictionary[subkey]!, to: &out)
            }
            return
        }
        if !out.isEmpty { out.append(UInt8(ascii: " ")) }
        appendKey(key, to: &out)
        out.append(UInt8(ascii: "="))
        switch value {
        case .string(let string): appendValue(string, to: &out)
        case .stringConvertible(let convertible): appendValue(convertible.description, to: &out)
        case .array:
            var json: [UInt8] = []
            JSONLineEncoder.appendValue(value, to: &json)
            appendValue(String(decoding: json, as: UTF8.self), to: &out)
        case .dictionary: break
        }
    }

    /// A key with every space, control character, `=`, `"` and `\` replaced by `_` (`_` if empty).
    static func appendKey(_ key: String, to out: inout [UInt8]) {
        guard !key.isEmpty else {
            out.append(UInt8(ascii: "_"))
            return
        }
        for byte in key.utf8 {
            out.append(needsQuoting(byte) ? UInt8(ascii: "_") : byte)
        }
    }

    /// A value as is, or quoted with `\"`, `\\`, `\n`, `\r`, `\t` and `\u00XX` escapes when it is
    /// empty or holds a space, a control character, `=`, `"` or `\`.
    static func appendValue(_ value: String, to out: inout [UInt8]) {
        let bytes = value.utf8
        guard bytes.isEmpty || bytes.contains(where: needsQuoting) else {
            out.append(contentsOf: bytes)
            return
        }
        out.append(UInt8(ascii: "\""))
        JSONLineEncoder.appendEscaped(bytes, to: &out)
        out.append(UInt8(ascii: "\""))
    }

    private static func needsQuoting(_ byte: UInt8) -> Bool {
        byte <= 0x20 || byte == 0x7F || byte == UInt8(ascii: "=") || byte == UInt8(ascii: "\"")
            || byte == UInt8(ascii: "\\")
    }
}

/// Compact JSON for log lines.
enum JSONLineEncoder {
    static func appendObject(_ fields: [(key: String, value: Logger.MetadataValue)], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        for (index, field) in fields.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            appendString(field.key, to: &out)
            out.append(UInt8(ascii: ":"))
            appendValue(field.value, to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    static func appendValue(_ value: Logger.MetadataValue, to out: inout [UInt8]) {
        switch value {
        case .string(let string):
            appendString(string, to: &out)
        case .stringConvertible(let convertible):
            if let literal = literal(convertible) {
                out.append(contentsOf: literal.utf8)
            } else {
                appendString(convertible.description, to: &out)
            }
        case .array(let values):
            out.append(UInt8(ascii: "["))
            for (index, element) in values.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                appendValue(element, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .dictionary(let dictionary):
            appendObject(dictionary.keys.sorted().map { ($0, dictionary[$0]!) }, to: &out)
        }
    }

    /// The JSON literal for a number or boolean, or `nil` for anything else (then a string).
    private static func literal(_ value: any CustomStringConvertible & Sendable) -> String? {
        switch value {
        case let boolean as Bool: return boolean ? "true" : "false"
        case let integer as any BinaryInteger: return integer.description
        case let double as Double: return double.isFinite ? double.description : nil
        case let float as Float: return float.isFinite ? float.description : nil
        default: return nil
        }
    }

    static func appendString(_ string: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        appendEscaped(string.utf8, to: &out)
        out.append(UInt8(ascii: "\""))
    }

    /// The bytes with `"` and `\` escaped, and control characters as `\n`, `\r`, `\t`, `\b`, `\f`
    /// or `\u00XX`; valid inside both JSON and logfmt quotes.
    static func appendEscaped(_ bytes: String.UTF8View, to out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x08: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x00..<0x20, 0x7F:
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            default: out.append(byte)
            }
        }
    }
}
