import MimeoEval

/// The report's colours: Okabe–Ito hues for real and synthetic (told apart with any common
/// colour-vision deficiency), and ColorBrewer's diverging RdBu and PuOr ramps for the heatmaps.
enum Palette {
    /// Real data: Okabe–Ito blue.
    static let real = "#0072B2"
    /// Synthetic data: Okabe–Ito vermillion.
    static let synthetic = "#D55E00"
    /// Axis lines, grid and muted text.
    static let axis = "#8a8f98"
    static let grid = "#e6e8ec"
    /// Cells with no value.
    static let undefined = "#d9d9d9"

    /// The colour of a grade (Okabe–Ito green, sky blue, yellow-orange; a neutral red for Poor).
    static func color(of grade: Grade) -> String {
        switch grade {
        case .excellent: "#009E73"
        case .good: "#56B4E9"
        case .moderate: "#E69F00"
        case .poor: "#C0392B"
        case .none: "#9aa0a6"
        }
    }

    /// RdBu (reversed: negative blue, positive red), 7 stops.
    static let correlationRamp: [(Double, Double, Double)] = [
        (33, 102, 172), (103, 169, 207), (209, 229, 240), (247, 247, 247),
        (253, 219, 199), (239, 138, 98), (178, 24, 43),
    ]

    /// PuOr (negative purple, positive orange), 7 stops.
    static let differenceRamp: [(Double, Double, Double)] = [
        (84, 39, 136), (153, 142, 195), (216, 218, 235), (247, 247, 247),
        (254, 224, 182), (241, 163, 64), (179, 88, 6),
    ]

    /// The colour of `value` on a diverging `ramp` spanning `-limit ... limit` (clamped).
    static func diverging(_ value: Double, limit: Double, ramp: [(Double, Double, Double)]) -> String {
        let t = min(max((value / limit + 1) / 2, 0), 1) * Double(ramp.count - 1)
        let i = min(Int(t), ramp.count - 2)
        let f = t - Double(i)
        let (r0, g0, b0) = ramp[i], (r1, g1, b1) = ramp[i + 1]
        return hex(r0 + (r1 - r0) * f, g0 + (g1 - g0) * f, b0 + (b1 - b0) * f)
    }

    /// Whether text on the colour of `value` should be white (the ramp's dark ends).
    static func needsLightText(_ value: Double, limit: Double) -> Bool {
        abs(value) / limit > 0.6
    }

    private static func hex(_ r: Double, _ g: Double, _ b: Double) -> String {
        let digits = Array("0123456789ABCDEF")
        var out = "#"
        for c in [r, g, b] {
            let v = Int(min(max(c.rounded(), 0), 255))
            out.append(digits[v / 16])
            out.append(digits[v % 16])
        }
        return out
    }
}
