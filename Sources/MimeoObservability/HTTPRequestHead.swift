/// The parts of an HTTP/1.x request head that the metrics endpoint needs, checked strictly.
struct HTTPRequestHead: Equatable {
    /// The method token (`GET`).
    let method: String
    /// The target's path, without the query (`/metrics` for `/metrics?x=1`).
    let path: String

    init(method: String, path: String) {
        self.method = method
        self.path = path
    }

    /// Parses a request head: the bytes before the blank line that ends it (`\r\n\r\n` excluded).
    ///
    /// The request line must be `METHOD SP TARGET SP HTTP/1.d`, with a token method and a target
    /// of visible ASCII; each header line a token name, a colon, and a value without control
    /// characters (tab allowed). Folded header lines, bare CR or LF, and anything else give `nil`.
    init?(_ head: ArraySlice<UInt8>) {
        var lines = head.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)[...]
        // Every line but the last ended in CRLF, and the last had its CRLF stripped with the blank line.
        for index in lines.indices.dropLast() {
            guard lines[index].last == UInt8(ascii: "\r") else { return nil }
            lines[index] = lines[index].dropLast()
        }
        guard let requestLine = lines.popFirst() else { return nil }
        let parts = requestLine.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 3,
              !parts[0].isEmpty, parts[0].allSatisfy(Self.isTokenByte),
              !parts[1].isEmpty, parts[1].allSatisfy({ $0 > 0x20 && $0 < 0x7F }),
              Self.isVersion(parts[2])
        else { return nil }
        for line in lines {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")),
                  colon > line.startIndex,
                  line[..<colon].allSatisfy(Self.isTokenByte),
                  line[(colon + 1)...].allSatisfy({ $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) })
            else { return nil }
        }
        method = String(decoding: parts[0], as: UTF8.self)
        let target = parts[1]
        path = String(decoding: target[..<(target.firstIndex(of: UInt8(ascii: "?")) ?? target.endIndex)], as: UTF8.self)
    }

    /// `HTTP/1.` and one digit.
    private static func isVersion(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.count == 8 && bytes.starts(with: "HTTP/1.".utf8) && (0x30...0x39).contains(bytes.last!)
    }

    /// A `tchar` of RFC 9110: letters, digits and ``!#$%&'*+-.^_`|~``.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}
