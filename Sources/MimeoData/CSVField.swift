/// RFC 4180 quoting of single fields into a byte buffer, for writers that build rows in parallel
/// and write them in order.
public enum CSVField {
    /// Whether `bytes` must be quoted (it holds the delimiter, a quote, CR or LF).
    @inlinable
    public static func needsQuotes<Bytes: Sequence<UInt8>>(_ bytes: Bytes, delimiter: UInt8) -> Bool {
        bytes.contains { $0 == delimiter || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }
    }

    /// Appends `text` as one field, quoted (with doubled quotes) only when needed.
    public static func append(_ text: String, delimiter: UInt8, to bytes: inout [UInt8]) {
        let utf8 = text.utf8
        guard needsQuotes(utf8, delimiter: delimiter) else {
            bytes.append(contentsOf: utf8)
            return
        }
        bytes.append(UInt8(ascii: "\""))
        for byte in utf8 {
            bytes.append(byte)
            if byte == UInt8(ascii: "\"") { bytes.append(byte) }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Ends the row that starts at `rowStart` in `bytes` with `\n`. A row made of one empty field is written as
    /// `""`, so that it is not a blank line (which most CSV readers skip).
    @inlinable
    public static func endRow(startingAt rowStart: Int, in bytes: inout [UInt8]) {
        if bytes.count == rowStart {
            bytes.append(UInt8(ascii: "\""))
            bytes.append(UInt8(ascii: "\""))
        }
        bytes.append(0x0A)
    }

    /// The bytes of `text` as one field.
    public static func encoded(_ text: String, delimiter: UInt8) -> [UInt8] {
        var bytes: [UInt8] = []
        append(text, delimiter: delimiter, to: &bytes)
        return bytes
    }
}
