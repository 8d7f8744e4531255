import Synchronization
import Logging

/// Installs ``StructuredLogHandler`` as the process's swift-log backend.
///
/// ```swift
/// LoggingSetup.bootstrap(format: .json, level: .info)
/// let logger = Logger(label: "coordinator")
/// ```
///
/// `LoggingSystem.bootstrap` may run only once per process (a second call traps), so only the
/// first call here runs it. Every call sets the format, level and sink for the loggers made after
/// it, so a process (or a test) that starts a coordinator twice can change them.
public enum LoggingSetup {
    private struct Settings: Sendable {
        var format: LogFormat
        var level: Logger.Level
        var sink: LogSink
    }

    private static let settings = Mutex<Settings?>(nil)

    /// Makes structured lines the backend of every `Logger` made from now on.
    /// - Parameters:
    ///   - format: text (logfmt) or JSON.
    ///   - level: the lowest level written.
    ///   - sink: where lines go; standard error by default.
    /// - Returns: whether this call installed the backend (`false`: an earlier call had; the new
    ///   settings apply all the same).
    @discardableResult
    public static func bootstrap(format: LogFormat, level: Logger.Level, sink: LogSink = .standardError) -> Bool {
        let isFirst = settings.withLock { current in
            defer { current = Settings(format: format, level: level, sink: sink) }
            return current == nil
        }
        if isFirst {
            LoggingSystem.bootstrap { label in
                let current = settings.withLock { $0 } ?? Settings(format: .text, level: .info, sink: .standardError)
                return StructuredLogHandler(label: label, format: current.format, level: current.level, sink: current.sink)
            }
        }
        return isFirst
    }
}
