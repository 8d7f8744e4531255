import Foundation
import MimeoData

/// Text for the report: HTML escaping and number, share and date formats. Every function is
/// locale-independent, so the same numbers always give the same bytes.
enum ReportFormat {
    /// `text` with `& < > " '` escaped, safe in element content and in quoted attributes.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                // Control characters other than tab and newline have no business in a page.
                if c.value < 0x20 && c != "\t" && c != "\n" || c.value == 0x7f {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(c)
                }
            }
        }
        return out
    }

    /// `text` cut to `limit` characters (with an ellipsis), then escaped.
    static func escape(_ text: String, limit: Int) -> String {
        escape(truncate(text, limit: limit))
    }

    /// `text` cut to `limit` characters, the last one an ellipsis.
    static func truncate(_ text: String, limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(max(limit - 1, 0))) + "…"
    }

    /// An SVG coordinate: one decimal, no trailing `.0`.
    static func coordinate(_ x: Double) -> String {
        let rounded = (x * 10).rounded() / 10
        if rounded == rounded.rounded() { return String(Int(rounded)) }
        return String(format: "%.1f", rounded)
    }

    /// A whole number with thousands separators: `32,561`.
    static func count(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
            out.append(c)
        }
        return n < 0 ? "-" + out : out
    }

    /// A score in `0...1` with three decimals; `n/a` for none.
    static func score(_ x: Double?) -> String {
        guard let x, x.isFinite else { return "n/a" }
        return String(format: "%.3f", x)
    }

    /// A share as a percentage: `12.3%`, `0.04%`, `0%`.
    static func percent(_ share: Double?) -> String {
        guard let share, share.isFinite else { return "n/a" }
        let p = share * 100
        if p == 0 { return "0%" }
        if abs(p) < 0.01 { return p > 0 ? "<0.01%" : ">-0.01%" }
        if abs(p) < 0.1 { return String(format: "%.2f%%", p) }
        return trimmed(String(format: "%.1f", p)) + "%"
    }

    /// A number in at most about four characters of digits: `39`, `0.25`, `12.3k`, `1.5M`.
    static func compact(_ x: Double) -> String {
        guard x.isFinite else { return x.isNaN ? "n/a" : (x > 0 ? "∞" : "-∞") }
        let a = abs(x)
        if a == 0 { return "0" }
        if a >= 1e4 {
            for (scale, suffix) in [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")] where a >= scale * 0.9995 {
                let v = x / scale
                return (abs(v) >= 99.95 ? String(format: "%.0f", v) : trimmed(String(format: "%.3g", v))) + suffix
            }
        }
        if a >= 99.95 { return String(format: "%.0f", x) }
        if a >= 1e-3 { return trimmed(String(format: "%.3g", x)) }
        return String(format: "%.1e", x)
    }

    /// A number with up to `digits` decimals, trailing zeros dropped: `0.5`, `12`.
    static func decimal(_ x: Double?, digits: Int = 3) -> String {
        guard let x, x.isFinite else { return "n/a" }
        return trimmed(String(format: "%.\(digits)f", x))
    }

    /// A time `seconds` after the epoch (UTC): `2021-03-04` when `withTime` is false, else
    /// `2021-03-04 17:05`.
    static func date(_ seconds: Double, withTime: Bool) -> String {
        guard seconds.isFinite, abs(seconds) < 1e15 else { return "n/a" }
        let p = DateTimeParts(secondsSinceEpoch: Int64(seconds.rounded(.down)))
        let day = String(format: "%04d-%02d-%02d", p.year, p.month, p.day)
        return withTime ? day + String(format: " %02d:%02d", p.hour, p.minute) : day
    }

    /// Drops trailing zeros after a decimal point (`1.50` → `1.5`, `2.0` → `2`).
    private static func trimmed(_ text: String) -> String {
        guard text.contains("."), !text.contains("e") else { return text }
        var t = Substring(text)
        while t.last == "0" { t.removeLast() }
        if t.last == "." { t.removeLast() }
        return String(t)
    }
}
