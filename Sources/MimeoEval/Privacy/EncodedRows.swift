/// Rows in the compact form the distance features are built from: per row, one `Float` per
/// numeric column (min-max scaled, NaN when missing) and one level code per categorical column
/// (`-1`: a value outside the kept levels). `FeatureLayout` turns them into dense features.
struct EncodedRows: Codable, Sendable, Equatable {
    /// Numbers per row.
    let numericWidth: Int
    /// Level codes per row.
    let categoricalWidth: Int
    /// `numbers[row * numericWidth + c]`: the scaled value of numeric column `c`, NaN if missing.
    private(set) var numbers: [Float] = []
    /// `codes[row * categoricalWidth + c]`: the level of categorical column `c`, `-1` if not kept.
    private(set) var codes: [Int32] = []
    /// The number of rows.
    private(set) var count = 0

    init(numericWidth: Int, categoricalWidth: Int) {
        self.numericWidth = numericWidth
        self.categoricalWidth = categoricalWidth
    }

    /// Appends one row.
    mutating func append(numbers rowNumbers: some Collection<Float>, codes rowCodes: some Collection<Int32>) {
        precondition(rowNumbers.count == numericWidth && rowCodes.count == categoricalWidth, "row width")
        numbers.append(contentsOf: rowNumbers)
        codes.append(contentsOf: rowCodes)
        count += 1
    }

    /// Appends row `row` of `other` (same widths).
    mutating func append(_ other: EncodedRows, row: Int) {
        numbers.append(contentsOf: other.numbers[row * numericWidth ..< (row + 1) * numericWidth])
        codes.append(contentsOf: other.codes[row * categoricalWidth ..< (row + 1) * categoricalWidth])
        count += 1
    }

    /// Reserves room for `rows` more rows.
    mutating func reserveCapacity(_ rows: Int) {
        numbers.reserveCapacity(numbers.count + rows * numericWidth)
        codes.reserveCapacity(codes.count + rows * categoricalWidth)
    }

    /// The rows `indices`, in that order.
    func subset(_ indices: some Sequence<Int>) -> EncodedRows {
        var out = EncodedRows(numericWidth: numericWidth, categoricalWidth: categoricalWidth)
        for row in indices { out.append(self, row: row) }
        return out
    }

    /// The same rows restricted to some columns (for the attribute-inference attacker).
    func projected(numericColumns: [Int], categoricalColumns: [Int]) -> EncodedRows {
        var out = EncodedRows(numericWidth: numericColumns.count, categoricalWidth: categoricalColumns.count)
        out.numbers.reserveCapacity(count * numericColumns.count)
        out.codes.reserveCapacity(count * categoricalColumns.count)
        for row in 0 ..< count {
            for c in numericColumns { out.numbers.append(numbers[row * numericWidth + c]) }
            for c in categoricalColumns { out.codes.append(codes[row * categoricalWidth + c]) }
        }
        out.count = count
        return out
    }

    /// The rows of `parts`, one after another.
    static func concatenated(_ parts: [EncodedRows], numericWidth: Int, categoricalWidth: Int) -> EncodedRows {
        var out = EncodedRows(numericWidth: numericWidth, categoricalWidth: categoricalWidth)
        for part in parts {
            out.numbers.append(contentsOf: part.numbers)
            out.codes.append(contentsOf: part.codes)
            out.count += part.count
        }
        return out
    }
}
