import Foundation
import MimeoData
import MimeoNN
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
/// rows instead of a matrix product. A projected model (see `ModelArchitecture.contextWidth`) keeps one
/// table per sub-column instead, `E_t · P_t` (`[V_t, K]`), adds the row's looked-up rows into a running
/// context as tokens are drawn, and runs each head's first layer as one `[B, K] · [K, H_s]` product;
/// its tables grow linearly with the number of sub-columns. The random numbers of batch `i` come from stream `i` of the seed,
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
    /// H_s rounded up to a multiple of 16: the row stride of lookup tables and hidden activations.
    let paddedWidths: [Int]
    /// Projected models: for each sub-column t, the offset of `E_t · P_t` (`[V_t, K]`) in `lookupTables`.
    let contextLookups: [Int]
    /// For each column, its first sub-column (and the total, last).
    let firstSubColumns: [Int]
    /// How rows are drawn beyond seed and conditions: rare values, temperature.
    public let options: SamplingOptions
    /// 1 / `options.temperature`; logits are scaled by it unless it is 1.
    let inverseTemperature: Float
    /// Per sub-column, the rare-values token never to draw (with `RareValuePolicy.sample`).
    let rareMasks: [RareMask?]
    /// `--rebalance`: the sub-column whose distribution is replaced, and the share of each of its tokens that has
    /// one (the other tokens share the rest in the model's proportions).
    let rebalance: (subColumn: Int, shares: [Int: Float])?
    /// Per column, how tokens become output bytes.
    let decoders: [ColumnDecoder]

    /// Prepares generation with the given conditions and sampling options.
    ///
    /// - Throws: `ConditionError` for an unknown column, a column given twice, a value the model cannot produce,
    ///   or a temperature outside `SamplingOptions.temperatureRange`.
    public init(model: TabularModel, encoder: TableEncoder, conditions: [Condition] = [],
                delimiter: UInt8 = UInt8(ascii: ","), options: SamplingOptions = SamplingOptions()) throws {
        self.model = model
        self.encoder = encoder
        self.delimiter = delimiter
        guard options.temperature.isFinite, SamplingOptions.temperatureRange.contains(options.temperature) else {
            let range = SamplingOptions.temperatureRange
            throw ConditionError(message: "--temperature must be \(range.lowerBound) to \(range.upperBound), got \(options.temperature)")
        }
        guard SamplingOptions.edgeCasePools.contains(options.edgeCasePool) else {
            let pools = SamplingOptions.edgeCasePools
            throw ConditionError(message: "--edge-case-pool must be \(pools.lowerBound) to \(pools.upperBound), got \(options.edgeCasePool)")
        }
        self.options = options
        inverseTemperature = 1 / options.temperature
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
            guard !conditionedColumns.contains(column) else {
                throw ConditionError(message: "column '\(condition.column)' is fixed twice by --where; give one value per column")
            }
            let tokens = try encoder.encode(value: condition.value, column: column)
            for (part, token) in tokens.enumerated() { fixedTokens[firstSubColumns[column] + part] = token }
            fixedFields[column] = condition.value.map {
                Self.normalizedField($0, encoding: encoder.encodings[column], delimiter: delimiter)
            } ?? []
            conditionedColumns.append(column)
        }
        self.fixedTokens = fixedTokens
        self.fixedFields = fixedFields
        rareMasks = options.rareValues == .sample
            ? Self.rareMasks(encoder: encoder, subColumnCount: architecture.subColumnCount) : []
        let rebalance = try Self.resolve(options.rebalance, encoder: encoder, conditioned: conditionedColumns)
        self.rebalance = rebalance.map { (firstSubColumns[$0.column], $0.shares) }
        // The rebalanced column is drawn right after the conditions, so the rest is drawn given its value.
        let leading = conditionedColumns + (rebalance.map { [$0.column] } ?? [])
        let columnOrder = leading + architecture.modelledColumns.filter { !leading.contains($0) }
        order = columnOrder.flatMap { column in Array(firstSubColumns[column]..<firstSubColumns[column + 1]) }

        // Lookup tables E_t · W1_s[block t] for t before s (full), or E_t · P_t (projected).
        let offsets = architecture.embeddingOffsets
        var lookups = [[(source: Int, offset: Int)]](repeating: [], count: S)
        var total = 0
        let paddedWidths = architecture.hiddenWidths.map { ($0 + 15) / 16 * 16 }
        var contextLookups: [Int] = []
        if let K = architecture.contextWidth {
            for t in 0..<S {
                contextLookups.append(total)
                total += architecture.cardinalities[t] * K
            }
        }
        for (position, s) in order.enumerated() where fixedTokens[s] == nil && !architecture.isProjected {
            for t in order[..<position] {
                lookups[s].append((t, total))
                total += architecture.cardinalities[t] * paddedWidths[s]
                // A model file's sizes are bounded (ModelFile.Limits), but their products may still ask for
                // more memory than is sensible: refuse rather than be killed allocating it.
                guard total <= Self.maximumLookupFloats else { throw ConditionError(message: Self.tooLarge) }
            }
        }
        var tables = [Float](repeating: 0, count: total)
        model.parameters.withUnsafeBufferPointer { p in
            tables.withUnsafeMutableBufferPointer { out in
                if let K = architecture.contextWidth {
                    for t in 0..<S {
                        let V = architecture.cardinalities[t], d = architecture.embeddingWidths[t]
                        // [V_t, d_t] · [d_t, K]
                        BLAS.sgemm(m: V, n: K, k: d, a: p.baseAddress! + model.layout.embedding[t], lda: d,
                                   b: p.baseAddress! + model.layout.projection[t], ldb: K,
                                   c: out.baseAddress! + contextLookups[t], ldc: K)
                    }
                }
                for s in 0..<S {
                    let H = architecture.hiddenWidths[s], Hp = paddedWidths[s]
                    for (t, offset) in lookups[s] {
                        let V = architecture.cardinalities[t], d = architecture.embeddingWidths[t]
                        // [V_t, d_t] · [d_t, H_s]: rows offsets[t]..<offsets[t]+d of W1_s ([D, H_s]).
                        BLAS.sgemm(m: V, n: H, k: d, a: p.baseAddress! + model.layout.embedding[t], lda: d,
                                   b: p.baseAddress! + model.layout.hiddenWeight[s] + offsets[t] * H, ldb: H,
                                   c: out.baseAddress! + offset, ldc: Hp)
                    }
                }
            }
        }
        self.lookups = lookups
        self.paddedWidths = paddedWidths
        self.contextLookups = contextLookups
        lookupTables = tables
        self.firstSubColumns = firstSubColumns

        decoders = encoder.encodings.enumerated().map { column, encoding in
            if let fixed = fixedFields[column] { return ColumnDecoder(fixed: fixed) }
            return ColumnDecoder(encoding: encoding, delimiter: delimiter, rareValues: options.rareValues)
        }
    }

    /// The rare-values token of a sub-column, masked out of its head's logits; in a split vocabulary (group, then
    /// member) the rare token is a member of group 0, masked only in rows whose group sub-column drew 0.
    struct RareMask {
        var token: Int
        var group: Int?
    }

    /// Per sub-column, the rare token to mask: categorical columns with a rare token and at least one other token.
    static func rareMasks(encoder: TableEncoder, subColumnCount S: Int) -> [RareMask?] {
        var masks = [RareMask?](repeating: nil, count: S)
        for (column, encoding) in encoder.encodings.enumerated() {
            guard case .categorical(let e) = encoding, let rare = e.rareToken, e.cardinality > 1 else { continue }
            let first = encoder.firstSubColumns[column]
            if e.subColumnCardinalities.count == 2 {
                // Tokens are ordered null, rare, frequent values: the rare token is in group 0.
                masks[first + 1] = RareMask(token: Int(rare) % CategoricalEncoding.groupWidth, group: first)
            } else {
                masks[first] = RareMask(token: Int(rare), group: nil)
            }
        }
        return masks
    }

    /// What a token pass records besides the tokens: each row's log-likelihood (summed over the sub-columns it
    /// draws, under the adjusted distributions) and, when scoring given rows, that the tokens are already in place.
    struct Scoring {
        /// `[B]` accumulators, one per row.
        var logLikelihood: UnsafeMutablePointer<Float>
        /// Keep the tokens in the buffer (teacher forcing) instead of drawing them.
        var usesGivenTokens: Bool
    }

    /// Adjusts a head's logits (`adjust`) and draws (or, scoring given rows, keeps) each row's token; with
    /// `scoring`, adds the token's log-probability `z_token − log Σ exp z` to the row's log-likelihood.
    @inline(__always)
    func draw(logits L: UnsafeMutablePointer<Float>, subColumn s: Int, count B: Int, cardinality V: Int,
              tokens tok: UnsafeMutablePointer<Int32>, stride S: Int, random: inout RandomStream, scoring: Scoring?) {
        adjust(logits: L, subColumn: s, count: B, cardinality: V, tokens: tok, stride: S)
        guard let scoring else {
            for b in 0..<B { tok[b * S + s] = Self.sample(logits: L + b * V, count: V, uniform: random.nextFloat()) }
            return
        }
        for b in 0..<B {
            let row = L + b * V
            let maxLogit = SoftmaxCrossEntropy.maximum(row, count: V)
            var sum: Float = 0
            for v in 0..<V { sum += exp(row[v] - maxLogit) }
            let logSum = maxLogit + log(sum)
            if scoring.usesGivenTokens {
                scoring.logLikelihood[b] += row[Int(tok[b * S + s])] - logSum
            } else {
                let token = Self.sample(logits: row, count: V, uniform: random.nextFloat())
                tok[b * S + s] = token
                // `sample` left exp(z − max) in the row.
                scoring.logLikelihood[b] += log(row[Int(token)]) + maxLogit - logSum
            }
        }
    }

    /// The column and token shares of `--rebalance` targets, checked against the model.
    static func resolve(_ targets: [RebalanceTarget], encoder: TableEncoder,
                        conditioned: [Int]) throws -> (column: Int, shares: [Int: Float])? {
        guard let first = targets.first else { return nil }
        let names = encoder.schema.columns.map(\.name)
        guard let column = names.firstIndex(of: first.column) else {
            throw ConditionError(message: "unknown column '\(first.column)' in --rebalance; columns are: \(names.joined(separator: ", "))")
        }
        guard !conditioned.contains(column) else {
            throw ConditionError(message: "column '\(first.column)' is fixed by --where; it cannot also be rebalanced")
        }
        guard case .categorical(let e) = encoder.encodings[column] else {
            throw ConditionError(message: "--rebalance works on categorical columns; '\(first.column)' is \(encoder.schema.columns[column].kind)")
        }
        guard e.subColumnCardinalities.count == 1 else {
            throw ConditionError(message: "--rebalance works on columns of at most \(CategoricalEncoding.splitThreshold) values; '\(first.column)' has \(e.cardinality)")
        }
        var shares: [Int: Float] = [:]
        for target in targets {
            shares[Int(try encoder.encode(value: target.value, column: column)[0])] = Float(target.share)
        }
        return (column, shares)
    }

    /// Replaces each row's distribution of the rebalanced sub-column (`[B, V]` logits): a token with a share gets
    /// it, the others share what is left in proportion to the model's probabilities for that row (written back
    /// as log-probabilities; a token of probability 0 gets −∞).
    static func rebalance(logits: UnsafeMutablePointer<Float>, count B: Int, cardinality V: Int,
                          shares: [Int: Float], excluded: Int?) {
        let fixed = shares.values.reduce(0, +)
        var probabilities = [Float](repeating: 0, count: V)
        for b in 0..<B {
            let row = logits + b * V
            let maxLogit = (0..<V).reduce(-Float.infinity) { max($0, row[$1]) }
            var others: Float = 0
            for v in 0..<V {
                probabilities[v] = v == excluded ? 0 : exp(row[v] - maxLogit)
                if shares[v] == nil { others += probabilities[v] }
            }
            for v in 0..<V {
                let p: Float = if let share = shares[v] { share }
                    else if others > 0 { (1 - fixed) * probabilities[v] / others }
                    else { 0 }
                row[v] = p > 0 ? log(p) : -.infinity
            }
        }
    }

    /// Scales a head's logits (`[B, V]` at `logits`) by the inverse temperature and masks its rare token.
    @inline(__always)
    func adjust(logits: UnsafeMutablePointer<Float>, subColumn s: Int, count B: Int, cardinality V: Int,
                tokens: UnsafePointer<Int32>, stride S: Int) {
        if inverseTemperature != 1 {
            for i in 0..<(B * V) { logits[i] *= inverseTemperature }
        }
        let mask = rareMasks.isEmpty ? nil : rareMasks[s]
        if let rebalance, rebalance.subColumn == s {
            Self.rebalance(logits: logits, count: B, cardinality: V, shares: rebalance.shares, excluded: mask?.token)
            return
        }
        guard let mask else { return }
        for b in 0..<B where mask.group.map({ tokens[b * S + $0] == 0 }) ?? true {
            logits[b * V + mask.token] = -.infinity
        }
    }

    /// The most `Float`s of lookup tables a sampler allocates (4 GiB).
    static let maximumLookupFloats = 1 << 30

    static let tooLarge =
        "the model is too large to generate from: its lookup tables would need more than \(maximumLookupFloats >> 28) GiB"

    /// A fixed value written as the column writes its own values: numbers with the column's decimals
    /// (`40.0` in an integer column becomes `40`), dates in the column's format.
    static func normalizedField(_ value: String, encoding: ColumnEncoding, delimiter: UInt8) -> [UInt8] {
        switch encoding {
        case .numeric(let e):
            if let number = NumberSyntax.parse(value) {
                var bytes: [UInt8] = []
                e.append(number, to: &bytes)
                return bytes
            }
        case .datetime(let e):
            if let format = DateTimeFormat(pattern: e.format), let parts = format.parse(value) {
                return CSVField.encoded(format.format(parts), delimiter: delimiter)
            }
        case .categorical, .identifier:
            break
        }
        return CSVField.encoded(value, delimiter: delimiter)
    }

    /// The header row as CSV bytes.
    public func headerBytes() -> [UInt8] {
        var bytes: [UInt8] = []
        for (index, column) in encoder.schema.columns.enumerated() {
            if index > 0 { bytes.append(delimiter) }
            CSVField.append(column.name, delimiter: delimiter, to: &bytes)
        }
        CSVField.endRow(startingAt: 0, in: &bytes)
        return bytes
    }

    /// Generates batch `index` (`count` rows, at most `batchSize`) as CSV bytes.
    public func generateBatch(index: Int, count: Int, seed: UInt64) -> [UInt8] {
        let S = model.architecture.subColumnCount
        var tokens = [Int32](repeating: 0, count: count * S)
        if options.edgeCasePool > 1 {
            tokens = edgeCaseTokens(index: index, count: count, seed: seed)
        } else {
            var random = RandomStream(seed: seed, stream: UInt64(index) &* 2)
            sampleTokens(into: &tokens, count: count, random: &random)
        }
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

    /// `--edge-cases`: draws `edgeCasePool` candidate batches (candidate c from stream `2·index` of seed
    /// `seed + (c + 1)·φ`, φ = 0x9E3779B97F4A7C15) with their log-likelihoods and keeps the `count` least likely rows,
    /// in candidate order.
    func edgeCaseTokens(index: Int, count: Int, seed: UInt64) -> [Int32] {
        let S = model.architecture.subColumnCount, pool = options.edgeCasePool
        var candidates = [Int32](repeating: 0, count: pool * count * S)
        var logLikelihoods = [Float](repeating: 0, count: pool * count)
        var batch = [Int32](repeating: 0, count: count * S)
        for c in 0..<pool {
            var random = RandomStream(seed: seed &+ (UInt64(c) &+ 1) &* 0x9E37_79B9_7F4A_7C15, stream: UInt64(index) &* 2)
            logLikelihoods.withUnsafeMutableBufferPointer { ll in
                sampleTokens(into: &batch, count: count, random: &random,
                             scoring: Scoring(logLikelihood: ll.baseAddress! + c * count, usesGivenTokens: false))
            }
            candidates.replaceSubrange((c * count * S)..<((c + 1) * count * S), with: batch)
        }
        let kept = (0..<(pool * count)).sorted {
            logLikelihoods[$0] != logLikelihoods[$1] ? logLikelihoods[$0] < logLikelihoods[$1] : $0 < $1
        }.prefix(count).sorted()
        var tokens: [Int32] = []
        tokens.reserveCapacity(count * S)
        for row in kept { tokens += candidates[(row * S)..<((row + 1) * S)] }
        return tokens
    }

    /// The log-likelihood (natural log) of each row of `table` under the model, in generation order: the sum over
    /// sub-columns of the log-probability of the row's token given the tokens before it. Numbers and dates count by
    /// their bucket token (and sub-range), so this is the likelihood of the rows' tokens, not a density; a rare or
    /// unseen category counts as the rare-values token. Conditions fix their columns, which then add nothing.
    public func logLikelihoods(of table: Table) -> [Float] {
        let S = model.architecture.subColumnCount
        let all = encoder.encode(table)
        var result = [Float](repeating: 0, count: table.rowCount)
        var first = 0
        var random = RandomStream(seed: 0, stream: 0)
        while first < table.rowCount {
            let count = min(Self.batchSize, table.rowCount - first)
            var tokens = Array(all[(first * S)..<((first + count) * S)])
            result.withUnsafeMutableBufferPointer { ll in
                sampleTokens(into: &tokens, count: count, random: &random,
                             scoring: Scoring(logLikelihood: ll.baseAddress! + first, usesGivenTokens: true))
            }
            first += count
        }
        return result
    }

    /// Samples `count` token rows (`[count, S]`) in generation order.
    func sampleTokens(into tokens: inout [Int32], count B: Int, random: inout RandomStream, scoring: Scoring? = nil) {
        if model.architecture.isProjected {
            sampleProjectedTokens(into: &tokens, count: B, random: &random, scoring: scoring)
            return
        }
        let architecture = model.architecture
        let S = architecture.subColumnCount
        let maxH = paddedWidths.max() ?? 16
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
                                let Hp = paddedWidths[s], blocks = Hp / 16
                                // h = relu(b1_s + Σ_t table_{s,t}[token_t])            [B, Hp], padding stays 0
                                let bias = P + model.layout.hiddenBias[s]
                                for b in 0..<B {
                                    (Hd + b * Hp).update(from: bias, count: H)
                                    (Hd + b * Hp + H).update(repeating: 0, count: Hp - H)
                                }
                                for (t, offset) in lookups[s] {
                                    let table = UnsafeRawPointer(T + offset)
                                    for b in 0..<B {
                                        let row = table + Int(tok[b * S + t]) * Hp * 4
                                        let h = UnsafeMutableRawPointer(Hd + b * Hp)
                                        for k in 0..<(blocks * 4) {
                                            let sum = h.loadUnaligned(fromByteOffset: k * 16, as: SIMD4<Float>.self)
                                                + row.loadUnaligned(fromByteOffset: k * 16, as: SIMD4<Float>.self)
                                            h.storeBytes(of: sum, toByteOffset: k * 16, as: SIMD4<Float>.self)
                                        }
                                    }
                                }
                                let hidden = UnsafeMutableRawPointer(Hd)
                                for k in 0..<(B * blocks * 4) {
                                    let value = hidden.loadUnaligned(fromByteOffset: k * 16, as: SIMD4<Float>.self)
                                    hidden.storeBytes(of: value.replacing(with: 0, where: value .< 0), toByteOffset: k * 16,
                                                      as: SIMD4<Float>.self)
                                }
                                // logits = h · W2_s + b2_s                                          [B, V]
                                let outputBias = P + model.layout.outputBias[s]
                                for b in 0..<B { (L + b * V).update(from: outputBias, count: V) }
                                BLAS.sgemm(m: B, n: V, k: H, a: Hd, lda: Hp, b: P + model.layout.outputWeight[s],
                                           ldb: V, beta: 1, c: L, ldc: V)
                                draw(logits: L, subColumn: s, count: B, cardinality: V, tokens: tok, stride: S,
                                     random: &random, scoring: scoring)
                            }
                        }
                    }
                }
            }
        }
    }

    /// `sampleTokens` for a projected model: a running context `x = Σ_{t drawn so far} (E_t · P_t)[token_t]`
    /// (`[B, K]`), and per head `h = relu(x · W1_s + b1_s)`, `logits = h · W2_s + b2_s`.
    func sampleProjectedTokens(into tokens: inout [Int32], count B: Int, random: inout RandomStream,
                               scoring: Scoring? = nil) {
        let architecture = model.architecture
        let S = architecture.subColumnCount
        let K = architecture.contextWidth!
        let maxH = architecture.hiddenWidths.max() ?? 1
        let maxV = architecture.cardinalities.max() ?? 1
        var context = [Float](repeating: 0, count: B * K)
        var hidden = [Float](repeating: 0, count: B * maxH)
        var logits = [Float](repeating: 0, count: B * maxV)
        let layout = model.layout, contextLookups = self.contextLookups
        model.parameters.withUnsafeBufferPointer { pBuffer in
            lookupTables.withUnsafeBufferPointer { tablesBuffer in
                tokens.withUnsafeMutableBufferPointer { tokenBuffer in
                    context.withUnsafeMutableBufferPointer { contextBuffer in
                        hidden.withUnsafeMutableBufferPointer { hiddenBuffer in
                            logits.withUnsafeMutableBufferPointer { logitBuffer in
                                let P = pBuffer.baseAddress!, T = tablesBuffer.baseAddress!
                                let tok = tokenBuffer.baseAddress!, X = contextBuffer.baseAddress!
                                let Hd = hiddenBuffer.baseAddress!, L = logitBuffer.baseAddress!
                                for s in order {
                                    if let fixed = fixedTokens[s] {
                                        for b in 0..<B { tok[b * S + s] = fixed }
                                    } else {
                                        let H = architecture.hiddenWidths[s], V = architecture.cardinalities[s]
                                        Linear.forward(out: Hd, input: X, weight: P + layout.hiddenWeight[s],
                                                       bias: P + layout.hiddenBias[s], batchSize: B, inFeatures: K,
                                                       outFeatures: H)                                   // [B, H]
                                        ReLU.forward(Hd, count: B * H)
                                        Linear.forward(out: L, input: Hd, weight: P + layout.outputWeight[s],
                                                       bias: P + layout.outputBias[s], batchSize: B, inFeatures: H,
                                                       outFeatures: V)                                   // [B, V]
                                        draw(logits: L, subColumn: s, count: B, cardinality: V, tokens: tok,
                                             stride: S, random: &random, scoring: scoring)
                                    }
                                    // x += (E_s · P_s)[token_s] for the heads that come later.
                                    let table = T + contextLookups[s]
                                    for b in 0..<B {
                                        let row = table + Int(tok[b * S + s]) * K, x = X + b * K
                                        for k in 0..<K { x[k] += row[k] }
                                    }
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
        let maxLogit = SoftmaxCrossEntropy.maximum(logits, count: V)
        let sum = SoftmaxCrossEntropy.exponentiate(logits, into: logits, shift: maxLogit, count: V)
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
        let rowStart = bytes.count
        for (c, decoder) in decoders.enumerated() {
            if c > 0 { bytes.append(delimiter) }
            decoder.append(tokens: tokens + firstSubColumns[c], random: &random, to: &bytes)
        }
        CSVField.endRow(startingAt: rowStart, in: &bytes)
    }

}

/// Turns one column's tokens into output bytes; built once per generation run so rows decode without
/// copying encodings.
final class ColumnDecoder: @unchecked Sendable {
    private enum Kind { case fixed, tokens, numeric, datetime, identifier }
    private let categorical: CategoricalEncoding?
    private let kind: Kind
    /// Output bytes per token (categorical tokens, exact numbers) or the fixed value.
    private let fields: [[UInt8]]
    private let numeric: NumericEncoding?
    private let datetime: DatetimeEncoding?
    private let datetimeFormat: DateTimeFormat?
    private let identifier: IdentifierEncoding?
    private let delimiter: UInt8

    init(fixed: [UInt8]) {
        kind = .fixed
        fields = [fixed]
        numeric = nil; datetime = nil; datetimeFormat = nil; identifier = nil; categorical = nil; delimiter = 0
    }

    init(encoding: ColumnEncoding, delimiter: UInt8, rareValues: RareValuePolicy = .sample) {
        self.delimiter = delimiter
        var numeric: NumericEncoding?, datetime: DatetimeEncoding?, identifier: IdentifierEncoding?
        var categorical: CategoricalEncoding?
        switch encoding {
        case .categorical(let e):
            kind = .tokens
            categorical = e
            // The rare token writes `_RARE_` only when asked to; with `.sample` it is drawn only from a column
            // that has no other token, and is then missing.
            fields = e.values.enumerated().map { token, value in
                if Int32(token) == e.rareToken && rareValues != .token { return [] }
                return value.map { CSVField.encoded($0, delimiter: delimiter) } ?? []
            }
        case .numeric(let e):
            kind = .numeric
            numeric = e
            fields = e.buckets.map { bucket in
                var bytes: [UInt8] = []
                e.append(bucket.lower, to: &bytes)
                return bytes
            }
        case .datetime(let e):
            kind = .datetime
            datetime = e
            fields = []
        case .identifier(let e):
            kind = .identifier
            identifier = e
            fields = []
        }
        self.numeric = numeric
        self.categorical = categorical
        self.datetime = datetime
        self.identifier = identifier
        datetimeFormat = datetime.flatMap { DateTimeFormat(pattern: $0.format) }
    }

    /// Appends the field for the column's tokens (starting at `tokens`).
    @inline(__always)
    func append(tokens: UnsafePointer<Int32>, random: inout RandomStream, to bytes: inout [UInt8]) {
        switch kind {
        case .fixed:
            bytes.append(contentsOf: fields[0])
        case .tokens:
            bytes.append(contentsOf: fields[Int(categorical.unsafelyUnwrapped.join(tokens))])
        case .numeric:
            let e = numeric.unsafelyUnwrapped
            let token = tokens[0]
            if token == e.nullToken { return }
            let bucket = e.buckets[Int(token)]
            if bucket.isExact || bucket.lower == bucket.upper {
                bytes.append(contentsOf: fields[Int(token)])
            } else if let value = e.decode(tokens, random: &random) {
                e.append(value, to: &bytes)
            }
        case .datetime:
            if let parts = datetime.unsafelyUnwrapped.decode(tokens, random: &random), let format = datetimeFormat {
                CSVField.append(format.format(parts), delimiter: delimiter, to: &bytes)
            }
        case .identifier:
            if let value = identifier.unsafelyUnwrapped.generate(random: &random) {
                CSVField.append(value, delimiter: delimiter, to: &bytes)
            }
        }
    }
}
