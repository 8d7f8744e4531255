import Foundation
import MimeoData
import MimeoTensor

// Dimension key: B = rows in a batch, S = sub-columns, H = H_s, V = V_s, d = d_t.

/// One `--where column=value` condition.
public struct Condition: Sendable, Equatable {
    public var column: String
    /// The value to fix; `nil` fixes the column to missing.
    public var value: String?

    public init(column: String, value: String?) {
        self.column = column
        self.value = value
    }
}

/// Draws synthetic rows from a trained model, batch by batch, as CSV bytes.
///
/// Columns are generated in one order: the conditioned columns first, then the others in schema order.
/// Because the first layer of each head is linear in the embeddings of the columns before it,
/// `x_s · W1_s = Σ_t E_t[token_t] · W1_s[block t]`, the sampler precomputes for every pair (s, t) with t
/// before s the table `E_t · W1_s[block t]` (`[V_t, H_s]`), so a head's hidden layer is a sum of looked-up
/// rows instead of a matrix product. The random numbers of batch `i` come from stream `i` of the seed,
/// so output is byte-identical for a seed whatever the number of threads.
public final class Sampler: @unchecked Sendable {
    /// Rows per batch; part of the output's identity (changing it changes which numbers rows get).
    public static let batchSize = 4096

    public let model: TabularModel
    public let encoder: TableEncoder
    public let delimiter: UInt8
    /// Sub-columns in generation order.
    let order: [Int]
    /// The fixed token of each conditioned sub-column.
    let fixedTokens: [Int32?]
    /// The output bytes of each conditioned column.
    let fixedFields: [[UInt8]?]
    /// For each sub-column s: (t, offset of the `[V_t, H_s]` table in `lookupTables`) for every t before s.
    let lookups: [[(source: Int, offset: Int)]]
    let lookupTables: [Float]
    /// Per column, the output bytes of each categorical token or exact number.
    let tokenFields: [[[UInt8]]]
    /// Per column, the parsed output format of datetime columns.
    let datetimeFormats: [DateTimeFormat?]

    /// Prepares generation with the given conditions.
    ///
    /// - Throws: `ConditionError` for an unknown column or a value the model cannot produce.
    public init(model: TabularModel, encoder: TableEncoder, conditions: [Condition] = [],
                delimiter: UInt8 = UInt8(ascii: ",")) throws {
        self.model = model
        self.encoder = encoder
        self.delimiter = delimiter
        let architecture = model.architecture
        let S = architecture.subColumnCount
        let firstSubColumns = encoder.firstSubColumns

        var fixedTokens = [Int32?](repeating: nil, count: S)
        var fixedFields = [[UInt8]?](repeating: nil, count: encoder.encodings.count)
        var conditionedColumns: [Int] = []
        for condition in conditions {
            guard let column = encoder.schema.columns.firstIndex(where: { $0.name == condition.column }) else {
                let names = encoder.schema.columns.map(\.name).joined(separator: ", ")
                throw ConditionError(message: "unknown column '\(condition.column)' in --where; columns are: \(names)")
            }
            let tokens = try encoder.encode(value: condition.value, column: column)
            for (part, token) in tokens.enumerated() { fixedTokens[firstSubColumns[column] + part] = token }
            fixedFields[column] = condition.value.map { CSVField.encoded($0, delimiter: delimiter) } ?? []
            if !conditionedColumns.contains(column) { conditionedColumns.append(column) }
        }
        self.fixedTokens = fixedTokens
        self.fixedFields = fixedFields
        let columnOrder = conditionedColumns + architecture.modelledColumns.filter { !conditionedColumns.contains($0) }
        order = columnOrder.flatMap { column in Array(firstSubColumns[column]..<firstSubColumns[column + 1]) }

        // Lookup tables E_t · W1_s[block t] for t before s.
        let offsets = architecture.embeddingOffsets
        var lookups = [[(source: Int, offset: Int)]](repeating: [], count: S)
        var total = 0
        for (position, s) in order.enumerated() where fixedTokens[s] == nil {
            for t in order[..<position] {
                lookups[s].append((t, total))
                total += architecture.cardinalities[t] * architecture.hiddenWidths[s]
            }
        }
        var tables = [Float](repeating: 0, count: total)
        model.parameters.withUnsafeBufferPointer { p in
            tables.withUnsafeMutableBufferPointer { out in
                for s in 0..<S {
                    let H = architecture.hiddenWidths[s]
                    for (t, offset) in lookups[s] {
                        let V = architecture.cardinalities[t], d = architecture.embeddingWidths[t]
                        // [V_t, d_t] · [d_t, H_s]: rows offsets[t]..<offsets[t]+d of W1_s ([D, H_s]).
                        BLAS.sgemm(m: V, n: H, k: d, a: p.baseAddress! + model.layout.embedding[t], lda: d,
                                   b: p.baseAddress! + model.layout.hiddenWeight[s] + offsets[t] * H, ldb: H,
                                   c: out.baseAddress! + offset, ldc: H)
                    }
                }
            }
        }
        self.lookups = lookups
        lookupTables = tables

        tokenFields = encoder.encodings.map { encoding in
            switch encoding {
            case .categorical(let e):
                return e.values.map { $0.map { CSVField.encoded($0, delimiter: delimiter) } ?? [] }
            case .numeric(let e):
                return e.buckets.map { bucket in
                    var bytes: [UInt8] = []
                    NumberParsing.append(bucket.lower, decimals: e.decimals, to: &bytes)
                    return bytes
                }
            case .datetime, .identifier:
                return []
            }
        }
        datetimeFormats = encoder.encodings.map { encoding in
            if case .datetime(let e) = encoding { return DateTimeFormat(pattern: e.format) }
            return nil
        }
    }

    /// The header row as CSV bytes.
    public func headerBytes() -> [UInt8] {
        var bytes: [UInt8] = []
        for (index, column) in encoder.schema.columns.enumerated() {
            if index > 0 { bytes.append(delimiter) }
            CSVField.append(column.name, delimiter: delimiter, to: &bytes)
        }
        bytes.append(0x0A)
        return bytes
    }

    /// Generates batch `index` (`count` rows, at most `batchSize`) as CSV bytes.
    public func generateBatch(index: Int, count: Int, seed: UInt64) -> [UInt8] {
        let S = model.architecture.subColumnCount
        var tokens = [Int32](repeating: 0, count: count * S)
        var random = RandomStream(seed: seed, stream: UInt64(index) &* 2)
        sampleTokens(into: &tokens, count: count, random: &random)
        var decodeRandom = RandomStream(seed: seed, stream: UInt64(index) &* 2 &+ 1)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count * 16 * max(1, encoder.encodings.count))
        tokens.withUnsafeBufferPointer { t in
            for row in 0..<count {
                appendRow(tokens: t.baseAddress! + row * S, random: &decodeRandom, to: &bytes)
            }
        }
        return bytes
    }

    /// Samples `count` token rows (`[count, S]`) in generation order.
    func sampleTokens(into tokens: inout [Int32], count B: Int, random: inout RandomStream) {
        let architecture = model.architecture
        let S = architecture.subColumnCount
        let maxH = architecture.hiddenWidths.max() ?? 1
        let maxV = architecture.cardinalities.max() ?? 1
        var hidden = [Float](repeating: 0, count: B * maxH)
        var logits = [Float](repeating: 0, count: B * maxV)
        model.parameters.withUnsafeBufferPointer { pBuffer in
            lookupTables.withUnsafeBufferPointer { tablesBuffer in
                tokens.withUnsafeMutableBufferPointer { tokenBuffer in
                    hidden.withUnsafeMutableBufferPointer { hiddenBuffer in
                        logits.withUnsafeMutableBufferPointer { logitBuffer in
                            let P = pBuffer.baseAddress!, T = tablesBuffer.baseAddress!
                            let tok = tokenBuffer.baseAddress!
                            let Hd = hiddenBuffer.baseAddress!, L = logitBuffer.baseAddress!
                            for s in order {
                                if let fixed = fixedTokens[s] {
                                    for b in 0..<B { tok[b * S + s] = fixed }
                                    continue
                                }
                                let H = architecture.hiddenWidths[s], V = architecture.cardinalities[s]
                                // h = relu(b1_s + Σ_t table_{s,t}[token_t])                      [B, H]
                                let bias = P + model.layout.hiddenBias[s]
                                for b in 0..<B { (Hd + b * H).update(from: bias, count: H) }
                                for (t, offset) in lookups[s] {
                                    let table = T + offset
                                    for b in 0..<B {
                                        let row = table + Int(tok[b * S + t]) * H
                                        let h = Hd + b * H
                                        for j in 0..<H { h[j] += row[j] }
                                    }
                                }
                                for i in 0..<(B * H) where Hd[i] < 0 { Hd[i] = 0 }
                                // logits = h · W2_s + b2_s                                          [B, V]
                                let outputBias = P + model.layout.outputBias[s]
                                for b in 0..<B { (L + b * V).update(from: outputBias, count: V) }
                                BLAS.sgemm(m: B, n: V, k: H, a: Hd, lda: H, b: P + model.layout.outputWeight[s],
                                           ldb: V, beta: 1, c: L, ldc: V)
                                for b in 0..<B {
                                    tok[b * S + s] = Self.sample(logits: L + b * V, count: V, uniform: random.nextFloat())
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Draws an index from softmax(`logits`) by inverting the cumulative distribution at `uniform`.
    @inline(__always)
    static func sample(logits: UnsafeMutablePointer<Float>, count V: Int, uniform: Float) -> Int32 {
        var maxLogit = logits[0]
        for v in 1..<V where logits[v] > maxLogit { maxLogit = logits[v] }
        var sum: Float = 0
        for v in 0..<V {
            let e = expf(logits[v] - maxLogit)
            logits[v] = e
            sum += e
        }
        let target = uniform * sum
        var cumulative: Float = 0
        for v in 0..<V {
            cumulative += logits[v]
            if target < cumulative { return Int32(v) }
        }
        // Rounding left the target above the sum: take the last token with mass.
        var last = V - 1
        while last > 0 && logits[last] == 0 { last -= 1 }
        return Int32(last)
    }

    /// Appends one decoded row (all columns in schema order) and a newline.
    func appendRow(tokens: UnsafePointer<Int32>, random: inout RandomStream, to bytes: inout [UInt8]) {
        let first = encoder.firstSubColumns
        for (c, encoding) in encoder.encodings.enumerated() {
            if c > 0 { bytes.append(delimiter) }
            if let fixed = fixedFields[c] {
                bytes.append(contentsOf: fixed)
                continue
            }
            let token = tokens + first[c]
            switch encoding {
            case .categorical:
                bytes.append(contentsOf: tokenFields[c][Int(token[0])])
            case .numeric(let e):
                let t = token[0]
                if t == e.nullToken { break }
                let bucket = e.buckets[Int(t)]
                if bucket.isExact || bucket.lower == bucket.upper {
                    bytes.append(contentsOf: tokenFields[c][Int(t)])
                } else if let value = e.decode(t, random: &random) {
                    NumberParsing.append(value, decimals: e.decimals, to: &bytes)
                }
            case .datetime(let e):
                if let parts = e.decode(token), let format = datetimeFormats[c] {
                    CSVField.append(format.format(parts), delimiter: delimiter, to: &bytes)
                }
            case .identifier(let e):
                if let value = e.generate(random: &random) {
                    CSVField.append(value, delimiter: delimiter, to: &bytes)
                }
            }
        }
        bytes.append(0x0A)
    }

}
