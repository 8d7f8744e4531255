import Foundation
import MimeoTensor

// Dimension key (llm.c style):
//   B = rows in a batch, S = sub-columns (tokens per row), C = modelled columns,
//   D = Σ_s d_s, the width of all embeddings side by side,
//   d_s = embedding width of sub-column s, H_s = hidden width of its head, V_s = its vocabulary size,
//   K = the context width of a projected model (`contextWidth`).

/// The shape of a model: everything needed to lay out its parameters.
public struct ModelArchitecture: Codable, Sendable, Equatable {
    /// V_s for each sub-column.
    public var cardinalities: [Int]
    /// The column each sub-column belongs to (columns are indexed as in the schema).
    public var columns: [Int]
    /// d_s for each sub-column.
    public var embeddingWidths: [Int]
    /// H_s for each sub-column's head.
    public var hiddenWidths: [Int]
    /// K, the width of the projected context, or `nil` for the full architecture.
    ///
    /// Full (`nil`): head s reads all embeddings side by side, masked (`W1_s` is `[D, H_s]`), so the
    /// parameters grow with S². Projected (`K`): every sub-column t has a projection `P_t [d_t, K]`,
    /// head s reads `Σ_{t before s} E_t[tok_t] · P_t` (`W1_s` is `[K, H_s]`), and the parameters grow
    /// linearly with S. See docs/model.md.
    public var contextWidth: Int?

    /// Sizes chosen from the vocabulary sizes: d_s = max(10, 3·⌈V^¼⌉) (TabularARGN's medium size),
    /// H_s = clamp(⌈widthFactor · ln(V + 1)⌉ + 16, 16, 256).
    ///
    /// - Parameter contextWidth: `.automatic` keeps the full architecture up to
    ///   `ModelArchitecture.fullInputLimit` and projects to `defaultContextWidth` above it.
    public init(cardinalities: [Int], columns: [Int], widthFactor: Double = 16,
                contextWidth: ContextWidthChoice = .automatic) {
        self.cardinalities = cardinalities
        self.columns = columns
        embeddingWidths = cardinalities.map { max(10, 3 * Int(ceil(pow(Double($0), 0.25)))) }
        hiddenWidths = cardinalities.map { min(256, max(16, Int(ceil(widthFactor * log(Double($0) + 1))) + 16)) }
        switch contextWidth {
        case .automatic:
            let D = embeddingWidths.reduce(0, +)
            self.contextWidth = D > Self.fullInputLimit ? Self.defaultContextWidth : nil
        case .full:
            self.contextWidth = nil
        case .projected(let width):
            precondition(width >= 1, "context width must be at least 1")
            self.contextWidth = width
        }
    }

    /// The largest D (all embeddings side by side) for which `.automatic` keeps the full architecture.
    /// Adult (15 columns) has D = 174; 40 columns of 10-wide embeddings reach about 500.
    public static let fullInputLimit = 512
    /// K for `.automatic` above `fullInputLimit`.
    public static let defaultContextWidth = 128

    /// Whether head inputs are a projected context (`contextWidth` set) rather than all embeddings.
    public var isProjected: Bool { contextWidth != nil }
    /// The width of each head's input: K when projected, D otherwise.
    public var headInputWidth: Int { contextWidth ?? inputWidth }

    /// S, the number of sub-columns.
    public var subColumnCount: Int { cardinalities.count }
    /// D, the width of the concatenated embeddings.
    public var inputWidth: Int { embeddingWidths.reduce(0, +) }
    /// The start of each sub-column's block in the concatenated embeddings (S + 1 entries).
    public var embeddingOffsets: [Int] {
        var offsets = [0]
        for width in embeddingWidths { offsets.append(offsets.last! + width) }
        return offsets
    }
    /// For each sub-column, its position inside its column (0 for the first part).
    public var partIndices: [Int] {
        var result: [Int] = []
        for s in 0..<columns.count { result.append(s > 0 && columns[s - 1] == columns[s] ? result[s - 1] + 1 : 0) }
        return result
    }
    /// The distinct modelled columns, in schema order.
    public var modelledColumns: [Int] {
        var seen: [Int] = []
        for column in columns where seen.last != column { seen.append(column) }
        return seen
    }
}

/// How wide the context of a projected model is (`--context-width`).
public enum ContextWidthChoice: Sendable, Equatable {
    /// Full architecture for narrow tables, projected to `ModelArchitecture.defaultContextWidth` for wide ones.
    case automatic
    /// Always the full architecture (parameters grow with the square of the sub-columns).
    case full
    /// Always projected, to this width.
    case projected(Int)
}

/// Where each parameter tensor sits in the flat parameter buffer.
public struct ParameterLayout: Sendable {
    /// Offsets of: embedding `[V_s, d_s]`, projection `[d_s, K]` (empty in the full architecture), head
    /// input weight `[D or K, H_s]`, head input bias `[H_s]`, head output weight `[H_s, V_s]`, head output
    /// bias `[V_s]`, for each sub-column s.
    public var embedding: [Int] = [], projection: [Int] = [], hiddenWeight: [Int] = [], hiddenBias: [Int] = []
    public var outputWeight: [Int] = [], outputBias: [Int] = []
    /// The total number of parameters.
    public var count = 0

    /// The layout of a valid architecture (one whose parameter count fits in `Int`).
    public init(_ architecture: ModelArchitecture) {
        guard let layout = Self.checked(architecture) else { preconditionFailure("parameter count overflows Int") }
        self = layout
    }

    private init() {}

    /// The layout of `architecture`, or `nil` when its parameter count overflows `Int` (a hostile model
    /// file). Its per-sub-column lists must have one entry each (`ModelFile.validate` checks that first).
    public static func checked(_ architecture: ModelArchitecture) -> ParameterLayout? {
        var layout = ParameterLayout(), count = 0, overflow = false
        /// Reserves `a · b` parameters and returns where they start.
        func reserve(_ a: Int, _ b: Int) -> Int {
            let start = count
            let (size, o1) = a.multipliedReportingOverflow(by: b)
            let (end, o2) = count.addingReportingOverflow(size)
            count = end
            overflow = overflow || o1 || o2
            return start
        }
        let inputs = architecture.headInputWidth, K = architecture.contextWidth ?? 0
        for s in 0..<architecture.subColumnCount {
            let V = architecture.cardinalities[s], d = architecture.embeddingWidths[s]
            let H = architecture.hiddenWidths[s]
            layout.embedding.append(reserve(V, d))
            layout.projection.append(reserve(d, K))
            layout.hiddenWeight.append(reserve(inputs, H))
            layout.hiddenBias.append(reserve(H, 1))
            layout.outputWeight.append(reserve(H, V))
            layout.outputBias.append(reserve(V, 1))
        }
        layout.count = count
        return overflow ? nil : layout
    }
}

/// The any-order autoregressive network over a row's sub-columns.
///
/// Every sub-column s has an embedding table and a head: `h = relu(x_s · W1_s + b1_s)`,
/// `logits = h · W2_s + b2_s`, where `x_s` holds the embeddings of the sub-columns that come before s
/// in the row's column order and zeros elsewhere (full architecture), or the sum of their projected
/// embeddings `E_t[tok_t] · P_t` (projected architecture). Training draws a random column order per row, so at
/// generation time any set of columns can be fixed and the rest sampled. See docs/model.md.
public struct TabularModel: Sendable {
    public var architecture: ModelArchitecture
    public var layout: ParameterLayout
    /// All parameters, laid out by `layout`.
    public var parameters: [Float]

    /// A model with PyTorch-style initial values: embeddings N(0, 1), linear weights and biases
    /// U(-1/√fan_in, 1/√fan_in).
    public init(architecture: ModelArchitecture, seed: UInt64) {
        self.architecture = architecture
        layout = ParameterLayout(architecture)
        parameters = [Float](repeating: 0, count: layout.count)
        var random = RandomStream(seed: seed, stream: 0x1417)
        let D = architecture.inputWidth, inputs = architecture.headInputWidth, K = architecture.contextWidth ?? 0
        for s in 0..<architecture.subColumnCount {
            let V = architecture.cardinalities[s], d = architecture.embeddingWidths[s]
            let H = architecture.hiddenWidths[s]
            for i in 0..<(V * d) { parameters[layout.embedding[s] + i] = random.nextNormal() }
            // The projections together act as one layer with fan-in D (the context sums up to D inputs),
            // so a context entry starts with variance at most 1/3, like a masked input of the full model.
            let bound0 = 1 / Float(D).squareRoot()
            for i in 0..<(d * K) { parameters[layout.projection[s] + i] = (2 * random.nextFloat() - 1) * bound0 }
            let bound1 = 1 / Float(inputs).squareRoot()
            for i in 0..<(inputs * H + H) {
                parameters[layout.hiddenWeight[s] + i] = (2 * random.nextFloat() - 1) * bound1
            }
            let bound2 = 1 / Float(H).squareRoot()
            for i in 0..<(H * V + V) { parameters[layout.outputWeight[s] + i] = (2 * random.nextFloat() - 1) * bound2 }
        }
    }

    /// A model with the given parameter values.
    public init(architecture: ModelArchitecture, parameters: [Float]) {
        self.architecture = architecture
        layout = ParameterLayout(architecture)
        precondition(parameters.count == layout.count, "parameter count does not match the architecture")
        self.parameters = parameters
    }
}
