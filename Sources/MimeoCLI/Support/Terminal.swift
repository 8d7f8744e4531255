import Foundation

/// Writing to standard error: progress lines (rewritten in place on a terminal) and messages.
enum Terminal {
    static let isInteractive = isatty(STDERR_FILENO) != 0

    /// Writes `text` and a newline to standard error.
    static func message(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// Shows a progress line: rewritten in place on a terminal, printed at most every few seconds otherwise.
    static func progress(_ text: String, final: Bool = false) {
        if isInteractive {
            FileHandle.standardError.write(Data(("\r\u{1B}[2K" + text + (final ? "\n" : "")).utf8))
        } else {
            let now = Date()
            if final || now.timeIntervalSince(lastPlain) >= 5 {
                lastPlain = now
                message(text)
            }
        }
    }

    nonisolated(unsafe) private static var lastPlain = Date.distantPast

    /// A text bar of `width` cells for a fraction in 0...1.
    static func bar(_ fraction: Double, width: Int = 24) -> String {
        let filled = Int((min(max(fraction, 0), 1) * Double(width)).rounded())
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
    }

    /// `1m05s`-style durations.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds.rounded())
        return s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s)s"
    }

    /// Thousands separators: 1234567 -> 1,234,567.
    static func count(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var result = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { result.append(",") }
            result.append(character)
        }
        return (value < 0 ? "-" : "") + result
    }
}
