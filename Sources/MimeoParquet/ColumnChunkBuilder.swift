import Foundation
import MimeoData

/// The values of one column in the row group being built, with its dictionary while that stays small,
/// and the encoding of the finished chunk into pages. A value type, kept by the writer in manually managed
/// memory, so that the per-cell path pays neither reference counting nor exclusivity checks. (Not API.)
struct ColumnChunkBuilder {
    let name: String
    let type: ParquetColumnType
    /// Whether a value that does not fit the type is written as null (a dirty column) rather than refused.
    let nullsInvalid: Bool
    private let datetimeFormat: DateTimeFormat?
    private let booleanSpellings: (false: [UInt8], true: [UInt8])?

    /// 1 for a present value, 0 for null, per row.
    private(set) var definitions: [UInt8] = []
    /// Present values: INT64 / INT32 / DOUBLE bit patterns, booleans as 0/1.
    private var words: [UInt64] = []
    /// Present values so far.
    private var presentCount = 0
    /// Present values of a string column once it is PLAIN (while the dictionary is in use, its entries and
    /// `indices` hold them), back to back, and their end offsets.
    private var stringBytes: [UInt8] = []
    private var stringEnds: [Int] = []
    /// Dictionary indices of the present values, while the dictionary is in use.
    private var indices: [UInt32] = []
    private var wordDictionary = WordTable()
    private var stringDictionary = ByteStringTable()
    private(set) var usesDictionary: Bool
    private let dictionaryLimit: Int
    /// The plain-encoded size of the values so far (the row group's size estimate).
    private(set) var plainBytes = 0

    init(column: ColumnSchema, dictionaryLimit: Int) {
        name = column.name
        type = ParquetColumnType(column)
        nullsInvalid = column.invalidValues != nil
        datetimeFormat = column.format.flatMap { DateTimeFormat(pattern: $0) }
        if let spellings = column.booleanValues, spellings.count == 2 {
            booleanSpellings = (Array(spellings[0].utf8), Array(spellings[1].utf8))
        } else {
            booleanSpellings = nil
        }
        self.dictionaryLimit = dictionaryLimit
        usesDictionary = type != .boolean && dictionaryLimit > 0
    }

    var rowCount: Int { definitions.count }

    /// Appends a null.
    @inline(__always)
    mutating func appendNull() {
        definitions.append(0)
    }

    /// Appends one cell's text, converted to the column's type.
    ///
    /// - Throws: `ParquetError` when the text does not fit the type (unless the column is dirty, when it
    ///   becomes a null).
    mutating func append(_ text: UnsafeBufferPointer<UInt8>) throws {
        switch type {
        case .string:
            definitions.append(1)
            presentCount += 1
            appendString(text)
            return
        case .int64:
            guard let value = CellParser.integer(text) else { return try invalid(text, "an integer") }
            appendWord(UInt64(bitPattern: value), size: 8)
        case .decimal(let scale):
            guard let value = CellParser.decimal(text, scale: scale) else {
                return try invalid(text, "a decimal number of at most \(ParquetColumnType.decimalPrecision) digits")
            }
            appendWord(UInt64(bitPattern: value), size: 8)
        case .double:
            guard let value = NumberSyntax.parse(utf8: text) else { return try invalid(text, "a number") }
            appendWord(value.bitPattern, size: 8)
        case .boolean:
            guard let value = boolean(text) else { return try invalid(text, "a boolean") }
            definitions.append(1)
            presentCount += 1
            words.append(value ? 1 : 0)
            plainBytes += 1
            return
        case .date:
            guard let parts = datetimeFormat?.parse(utf8: text) else { return try invalid(text, "a date") }
            let seconds = DateTimeParts(year: parts.year, month: parts.month, day: parts.day).secondsSinceEpoch
            let days = seconds >= 0 ? seconds / 86_400 : -((-seconds + 86_399) / 86_400)
            guard let narrow = Int32(exactly: days) else { return try invalid(text, "a date in INT32 range") }
            appendWord(UInt64(UInt32(bitPattern: narrow)), size: 4)
        case .timestamp(let unit, _):
            guard let parts = datetimeFormat?.parse(utf8: text) else { return try invalid(text, "a date-time") }
            let (scaled, o1) = parts.secondsSinceEpoch.multipliedReportingOverflow(by: unit.perSecond)
            let (value, o2) = scaled.addingReportingOverflow(Int64(parts.nanosecond) / (1_000_000_000 / unit.perSecond))
            guard !o1, !o2 else { return try invalid(text, "a date-time in the range of \(unit) timestamps") }
            appendWord(UInt64(bitPattern: value), size: 8)
        }
        definitions.append(1)
        presentCount += 1
    }

    private mutating func invalid(_ text: UnsafeBufferPointer<UInt8>, _ expected: String) throws {
        if nullsInvalid {
            definitions.append(0)
            return
        }
        let value = String(decoding: text, as: UTF8.self)
        throw ParquetError("column '\(name)': value '\(value.prefix(60))' is not \(expected)")
    }

    private func boolean(_ text: UnsafeBufferPointer<UInt8>) -> Bool? {
        if let spellings = booleanSpellings {
            if text.elementsEqual(spellings.true) { return true }
            if text.elementsEqual(spellings.false) { return false }
        }
        switch String(decoding: text, as: UTF8.self).lowercased() {
        case "true", "t", "yes", "y", "1": return true
        case "false", "f", "no", "n", "0": return false
        default: return nil
        }
    }

    @inline(__always)
    private mutating func appendWord(_ word: UInt64, size: Int) {
        words.append(word)
        plainBytes += size
        guard usesDictionary else { return }
        indices.append(wordDictionary.insert(word))
        if wordDictionary.count * size > dictionaryLimit { dropDictionary() }
    }

    @inline(__always)
    private mutating func appendString(_ text: UnsafeBufferPointer<UInt8>) {
        plainBytes += 4 + text.count
        guard usesDictionary else {
            stringBytes.append(contentsOf: text)
            stringEnds.append(stringBytes.count)
            return
        }
        let index = stringDictionary.insert(text)
        indices.append(index)
        if stringDictionary.plainBytes > dictionaryLimit { dropDictionary() }
    }

    /// Falls back to PLAIN for the rest of this chunk (a string column's values so far are spelled out from
    /// the dictionary).
    private mutating func dropDictionary() {
        if type == .string {
            for index in indices {
                stringBytes.append(contentsOf: stringDictionary.entry(Int(index)))
                stringEnds.append(stringBytes.count)
            }
        }
        usesDictionary = false
        indices = []
        wordDictionary = WordTable()
        stringDictionary = ByteStringTable()
    }

    /// Starts the next row group (the dictionary starts again too).
    mutating func reset() {
        definitions.removeAll(keepingCapacity: true)
        presentCount = 0
        words.removeAll(keepingCapacity: true)
        stringBytes.removeAll(keepingCapacity: true)
        stringEnds.removeAll(keepingCapacity: true)
        indices.removeAll(keepingCapacity: true)
        wordDictionary = WordTable()
        stringDictionary = ByteStringTable()
        usesDictionary = type != .boolean && dictionaryLimit > 0
        plainBytes = 0
    }

    // MARK: - Encoding the chunk

    private func plainValue(_ index: Int, into out: inout [UInt8]) {
        switch type {
        case .string:
            let start = index == 0 ? 0 : stringEnds[index - 1]
            let end = stringEnds[index]
            out.appendLittleEndian(UInt32(end - start))
            out.append(contentsOf: stringBytes[start ..< end])
        case .date:
            out.appendLittleEndian(UInt32(truncatingIfNeeded: words[index]))
        default:
            out.appendLittleEndian(words[index])
        }
    }

    /// The PLAIN encoding of the present values `range`.
    private func plainValues(_ range: Range<Int>) -> [UInt8] {
        var out: [UInt8] = []
        if type == .boolean {
            RLEHybrid.packBits(words[range].map { UInt32($0) }[...], groups: (range.count + 7) / 8, bitWidth: 1, into: &out)
            return out
        }
        out.reserveCapacity(range.count * 8)
        for index in range { plainValue(index, into: &out) }
        return out
    }

    /// The PLAIN encoding of the dictionary's entries.
    private func dictionaryPage() -> (bytes: [UInt8], count: Int) {
        var out: [UInt8] = []
        if type == .string {
            for entry in 0 ..< stringDictionary.count {
                let bytes = stringDictionary.entry(entry)
                out.appendLittleEndian(UInt32(bytes.count))
                out.append(contentsOf: bytes)
            }
            return (out, stringDictionary.count)
        }
        for word in wordDictionary.entries {
            if type == .date { out.appendLittleEndian(UInt32(truncatingIfNeeded: word)) } else { out.appendLittleEndian(word) }
        }
        return (out, wordDictionary.count)
    }

    /// The column's statistics over the chunk: null count, min and max (omitted for strings over 1 KiB).
    private func statistics() -> Statistics {
        let nulls = definitions.count - presentCount
        var stats = Statistics(nullCount: Int64(nulls))
        switch type {
        case .string:
            var minimum: ArraySlice<UInt8>?
            var maximum: ArraySlice<UInt8>?
            func consider(_ value: ArraySlice<UInt8>) {
                if minimum == nil || value.lexicographicallyPrecedes(minimum!) { minimum = value }
                if maximum == nil || maximum!.lexicographicallyPrecedes(value) { maximum = value }
            }
            if usesDictionary {
                for entry in 0 ..< stringDictionary.count { consider(stringDictionary.entry(entry)) }
            } else {
                for index in 0 ..< stringEnds.count {
                    consider(stringBytes[(index == 0 ? 0 : stringEnds[index - 1]) ..< stringEnds[index]])
                }
            }
            if let minimum, let maximum, minimum.count <= 1024, maximum.count <= 1024 {
                stats.minValue = Array(minimum)
                stats.maxValue = Array(maximum)
            }
        case .double:
            let values = words.map { Double(bitPattern: $0) }.filter { !$0.isNaN }
            if let minimum = values.min(), let maximum = values.max() {
                var low: [UInt8] = [], high: [UInt8] = []
                // -0.0 and +0.0 compare equal: write the min as -0 and the max as +0, as the format asks.
                low.appendLittleEndian((minimum == 0 ? -0.0 : minimum).bitPattern)
                high.appendLittleEndian((maximum == 0 ? 0.0 : maximum).bitPattern)
                stats.minValue = low
                stats.maxValue = high
            }
        case .boolean:
            if !words.isEmpty {
                stats.minValue = [words.contains(0) ? 0 : 1]
                stats.maxValue = [words.contains(1) ? 1 : 0]
            }
        case .date:
            let values = words.map { Int32(bitPattern: UInt32(truncatingIfNeeded: $0)) }
            if let minimum = values.min(), let maximum = values.max() {
                var low: [UInt8] = [], high: [UInt8] = []
                low.appendLittleEndian(UInt32(bitPattern: minimum))
                high.appendLittleEndian(UInt32(bitPattern: maximum))
                stats.minValue = low
                stats.maxValue = high
            }
        case .int64, .decimal, .timestamp:
            var minimum = Int64.max, maximum = Int64.min
            for word in words {
                let value = Int64(bitPattern: word)
                if value < minimum { minimum = value }
                if value > maximum { maximum = value }
            }
            if !words.isEmpty {
                var low: [UInt8] = [], high: [UInt8] = []
                low.appendLittleEndian(UInt64(bitPattern: minimum))
                high.appendLittleEndian(UInt64(bitPattern: maximum))
                stats.minValue = low
                stats.maxValue = high
            }
        }
        return stats
    }

    /// Writes the chunk (a dictionary page if the dictionary is in use, then data pages v1 of about
    /// `pageBytes` each) through `output` starting at file offset `offset`; returns its metadata.
    func writeChunk(codec: ParquetCodec, level: Int32, pageBytes: Int,
                    output: (_ bytes: [UInt8]) throws -> Void, offset: Int64) throws -> ColumnMetaData {
        var position = offset
        var uncompressedTotal: Int64 = 0
        var dictionaryOffset: Int64?
        func emit(_ header: PageHeader, _ body: [UInt8]) throws {
            var writer = ThriftWriter()
            writer.write(header)
            try output(writer.bytes)
            try output(body)
            position += Int64(writer.bytes.count + body.count)
            uncompressedTotal += Int64(writer.bytes.count) + Int64(header.uncompressedPageSize)
        }
        func pageSize(_ count: Int) throws -> Int32 {
            guard let size = Int32(exactly: count) else { throw ParquetError("column '\(name)': a page of \(count) bytes is too large") }
            return size
        }
        let dictionaryBitWidth: Int
        if usesDictionary {
            let (plain, count) = dictionaryPage()
            let compressed = try PageCodec.compress(plain, codec: codec, level: level)
            dictionaryOffset = position
            var header = PageHeader(type: PageType.dictionaryPage.rawValue, uncompressedPageSize: try pageSize(plain.count),
                                    compressedPageSize: try pageSize(compressed.count))
            header.dictionaryNumValues = Int32(count)
            header.dictionaryEncoding = ParquetEncoding.plain.rawValue
            try emit(header, compressed)
            dictionaryBitWidth = max(1, bitWidth(UInt64(max(count, 1) - 1)))
        } else {
            dictionaryBitWidth = 0
        }
        let dataOffset = position
        let rows = definitions.count
        let averageValue = max(1, plainBytes / max(1, rows))
        let rowsPerPage = max(1, min(rows, pageBytes / averageValue))
        var row = 0
        var valueIndex = 0
        repeat {
            let end = min(rows, row + rowsPerPage)
            var present = 0
            for r in row ..< end where definitions[r] != 0 { present += 1 }
            var page: [UInt8] = [0, 0, 0, 0]
            RLEHybrid.encode(definitions[row ..< end].map { UInt32($0) }, bitWidth: 1, into: &page)
            let levelBytes = UInt32(page.count - 4)
            for k in 0 ..< 4 { page[k] = UInt8(truncatingIfNeeded: levelBytes >> (8 * UInt32(k))) }
            let encoding: ParquetEncoding
            if usesDictionary {
                page.append(UInt8(dictionaryBitWidth))
                RLEHybrid.encode(Array(indices[valueIndex ..< valueIndex + present]), bitWidth: dictionaryBitWidth, into: &page)
                encoding = .rleDictionary
            } else {
                page.append(contentsOf: plainValues(valueIndex ..< valueIndex + present))
                encoding = .plain
            }
            let compressed = try PageCodec.compress(page, codec: codec, level: level)
            var header = PageHeader(type: PageType.dataPage.rawValue, uncompressedPageSize: try pageSize(page.count),
                                    compressedPageSize: try pageSize(compressed.count))
            header.dataPage = DataPageInfo(numValues: Int32(end - row), encoding: encoding.rawValue)
            try emit(header, compressed)
            valueIndex += present
            row = end
        } while row < rows
        let encodings: [ParquetEncoding] = usesDictionary ? [.plain, .rle, .rleDictionary] : [.plain, .rle]
        return ColumnMetaData(
            type: type.physicalType, encodings: encodings.map(\.rawValue), pathInSchema: [name], codec: codec.rawValue,
            numValues: Int64(rows), totalUncompressedSize: uncompressedTotal, totalCompressedSize: position - offset,
            dataPageOffset: dataOffset, dictionaryPageOffset: dictionaryOffset, statistics: statistics())
    }
}

/// A set of byte strings, each given a dense index in insertion order: an open-addressing hash table
/// over one flat byte buffer, so that inserting a value already present allocates nothing. (Not API.)
struct ByteStringTable {
    private var bytes: [UInt8] = []
    private var ends: [Int] = []
    private var slots = [Int32](repeating: -1, count: 1024)
    private var hashes: [UInt64] = []

    var count: Int { ends.count }
    /// The PLAIN-encoded size of the entries.
    private(set) var plainBytes = 0

    func entry(_ index: Int) -> ArraySlice<UInt8> {
        bytes[(index == 0 ? 0 : ends[index - 1]) ..< ends[index]]
    }

    /// A hash of `text`, eight bytes at a time.
    @inline(__always)
    private static func hash(_ text: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(text.count)
        guard let base = text.baseAddress else { return h }
        let n = text.count
        var i = 0
        while i + 8 <= n {
            h = (h ^ UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)) &* 0x9E37_79B9_7F4A_7C15
            h ^= h >> 29
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < n {
            tail |= UInt64(base[i]) << shift
            shift += 8
            i += 1
        }
        h = (h ^ tail) &* 0x9E37_79B9_7F4A_7C15
        return h ^ (h >> 32)
    }

    /// The index of `text`, inserting it if new.
    mutating func insert(_ text: UnsafeBufferPointer<UInt8>) -> UInt32 {
        let h = Self.hash(text)
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: h) & mask
        while true {
            let candidate = slots[slot]
            if candidate < 0 { break }
            let index = Int(candidate)
            if hashes[index] == h {
                let start = index == 0 ? 0 : ends[index - 1]
                let length = ends[index] - start
                if length == text.count {
                    let equal = bytes.withUnsafeBufferPointer { all in
                        length == 0 || memcmp(all.baseAddress! + start, text.baseAddress!, length) == 0
                    }
                    if equal { return UInt32(index) }
                }
            }
            slot = (slot + 1) & mask
        }
        let index = ends.count
        bytes.append(contentsOf: text)
        ends.append(bytes.count)
        hashes.append(h)
        plainBytes += 4 + text.count
        slots[slot] = Int32(index)
        if ends.count * 2 > slots.count { grow() }
        return UInt32(index)
    }

    private mutating func grow() {
        slots = [Int32](repeating: -1, count: slots.count * 2)
        let mask = slots.count - 1
        for (index, h) in hashes.enumerated() {
            var slot = Int(truncatingIfNeeded: h) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(index)
        }
    }
}

/// A set of 64-bit words, each given a dense index in insertion order: open addressing with a
/// multiplicative hash (cheaper per lookup than `Dictionary`'s seeded hashing). (Not API.)
struct WordTable {
    private(set) var entries: [UInt64] = []
    private var slots = [Int32](repeating: -1, count: 256)
    private var shift: UInt64 = 56

    var count: Int { entries.count }

    /// The index of `word`, inserting it if new.
    @inline(__always)
    mutating func insert(_ word: UInt64) -> UInt32 {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: (word &* 0x9E37_79B9_7F4A_7C15) >> shift)
        while true {
            let candidate = slots[slot]
            if candidate < 0 { break }
            if entries[Int(candidate)] == word { return UInt32(candidate) }
            slot = (slot + 1) & mask
        }
        let index = entries.count
        entries.append(word)
        slots[slot] = Int32(index)
        if entries.count * 2 > slots.count { grow() }
        return UInt32(index)
    }

    private mutating func grow() {
        slots = [Int32](repeating: -1, count: slots.count * 2)
        shift -= 1
        let mask = slots.count - 1
        for (index, word) in entries.enumerated() {
            var slot = Int(truncatingIfNeeded: (word &* 0x9E37_79B9_7F4A_7C15) >> shift)
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(index)
        }
    }
}
