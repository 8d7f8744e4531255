import Foundation

/// The tests and distances `mimeo drift` applies to one column, as Evidently 0.7 computes them
/// (`evidently.legacy.calculations.stattests`), on counts and values with missing values removed.
///
/// Each function returns Evidently's *drift score*: a p-value for the tests (drift when below the
/// threshold), a distance for the others (drift when at or above it).
enum DriftStatistics {
    // MARK: - Tests

    /// Pearson's chi-square goodness of fit of the current counts to the reference shares
    /// (Evidently `chisquare`): expected `= reference × n_current / n_reference` per value; the p-value
    /// of `Σ (observed − expected)² / expected` on `values − 1` degrees of freedom. A value the
    /// reference lacks has expected 0: the statistic is infinite and the p-value 0 (as SciPy's).
    static func chiSquarePValue(reference: [Double], current: [Double]) -> Double {
        precondition(reference.count == current.count, "one count per value on each side")
        let n1 = reference.reduce(0, +), n2 = current.reduce(0, +)
        guard n1 > 0, n2 > 0, reference.count > 1 else { return 1 }
        let k = n2 / n1
        var statistic = 0.0
        for (r, c) in zip(reference, current) {
            let expected = r * k
            if expected == 0 {
                if c != 0 { return 0 }
                continue  // 0/0: SciPy's NaN term; only the sides' union of values is counted, so unreachable
            }
            statistic += (c - expected) * (c - expected) / expected
        }
        return SpecialFunctions.chiSquareSurvival(statistic, degreesOfFreedom: Double(reference.count - 1))
    }

    /// The two-proportion Z-test (Evidently `z`) for a column with at most two values: the share of
    /// one value on each side, pooled standard error, two-sided p-value `2 (1 − Φ(|z|))`. Both sides
    /// holding the same single value give 1.
    static func zTestPValue(reference: [Double], current: [Double]) -> Double {
        precondition(reference.count == current.count, "one count per value on each side")
        let n1 = reference.reduce(0, +), n2 = current.reduce(0, +)
        guard n1 > 0, n2 > 0 else { return 1 }
        let presentReference = reference.filter { $0 > 0 }.count, presentCurrent = current.filter { $0 > 0 }.count
        if reference.count == 1 || (presentReference == 1 && presentCurrent == 1
            && zip(reference, current).contains { $0 > 0 && $1 > 0 }) {
            return 1
        }
        let p1 = reference[0] / n1, p2 = current[0] / n2
        let pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
        let z = (p1 - p2) / (pooled * (1 - pooled) * (1 / n1 + 1 / n2)).squareRoot()
        return 2 * (1 - SpecialFunctions.normalCDF(abs(z)))
    }

    /// The two-sided p-value of a two-sample KS statistic `d` as SciPy's `ks_2samp(method="auto")`:
    /// exact (Hodges' lattice-path count) when neither sample exceeds 10,000 values; else the
    /// one-sample distribution of `D` at `n = round(n1 n2 / (n1 + n2))`, which SciPy evaluates as
    /// `kstwo.sf` and Mimeo approximates by the Kolmogorov limit with Stephens' correction
    /// `λ = (√n + 0.12 + 0.11/√n) d` (docs/lifecycle.md, "Drift": the difference).
    static func ksPValue(_ d: Double, _ n1: Int, _ n2: Int) -> (pValue: Double, isExact: Bool) {
        precondition(n1 > 0 && n2 > 0, "two non-empty samples")
        if max(n1, n2) <= 10_000 {
            let g = gcd(n1, n2)
            let lcm = Double(n1 / g) * Double(n2)
            let h = Int((d * lcm).rounded(.toNearestOrEven))
            if h == 0 { return (1, true) }
            let p = n1 == n2 ? probabilityOutsideSquare(n1, h) : probabilityOutsideInside(n1, n2, g, h)
            if p.isFinite, p >= 0, p <= 1 { return (p, true) }
        }
        let (m, n) = (Double(max(n1, n2)), Double(min(n1, n2)))
        let en = (m * n / (m + n)).rounded(.toNearestOrEven)
        let root = en.squareRoot()
        let lambda = (root + 0.12 + 0.11 / root) * d
        return (min(max(SpecialFunctions.kolmogorovSurvival(lambda), 0), 1), false)
    }

    /// `P(D_{n,n} >= h/n)` (SciPy `_compute_prob_outside_square`), in Horner form.
    private static func probabilityOutsideSquare(_ n: Int, _ h: Int) -> Double {
        var p = 0.0
        var k = n / h
        while k >= 0 {
            var p1 = 1.0
            for j in 0 ..< h { p1 = Double(n - k * h - j) * p1 / Double(n + k * h + j + 1) }
            p = p1 * (1 - p)
            k -= 1
        }
        return 2 * p
    }

    /// The share of lattice paths from (0, 0) to (m, n) that leave the band `|x/m − y/n| < h/lcm`
    /// (SciPy `_compute_outer_prob_inside_method`: Hodges' inside method, Viehmann's recursion for 1 − p).
    private static func probabilityOutsideInside(_ m0: Int, _ n0: Int, _ g: Int, _ h: Int) -> Double {
        let (m, n) = m0 >= n0 ? (m0, n0) : (n0, m0)
        let mg = m / g, ng = n / g
        var minj = 0
        var maxj = min(Int((Double(h) / Double(mg)).rounded(.up)), n + 1)
        var length = maxj - minj
        let lenA = min(2 * maxj + 2, n + 1)
        var a = [Double](repeating: 1, count: lenA)
        for j in minj ..< maxj { a[j] = 0 }
        for i in 1 ... m {
            let lastMinj = minj, lastLength = length
            minj = max(Int((Double(ng * i - h) / Double(mg)).rounded(.down)) + 1, 0)
            minj = min(minj, n)
            maxj = min(Int((Double(ng * i + h) / Double(mg)).rounded(.up)), n + 1)
            if maxj <= minj { return 1 }
            var value = minj == 0 ? 0.0 : 1.0
            for jj in 0 ..< (maxj - minj) {
                let j = jj + minj
                value = (a[jj + minj - lastMinj] * Double(i) + value * Double(j)) / Double(i + j)
                a[jj] = value
            }
            length = maxj - minj
            if lastLength > length {
                for index in (maxj - minj) ..< (maxj - minj + lastLength - length) where index < a.count { a[index] = 1 }
            }
        }
        return a[maxj - minj - 1]
    }

    private static func gcd(_ a: Int, _ b: Int) -> Int {
        var (x, y) = (a, b)
        while y != 0 { (x, y) = (y, x % y) }
        return x
    }

    // MARK: - Distances

    /// The two-sample Kolmogorov–Smirnov statistic `max |F_r − F_c|` and the Wasserstein-1 distance
    /// `∫ |F_r − F_c| dx` (SciPy `ks_2samp`, `wasserstein_distance`) of two weighted empirical
    /// distributions, given as `(value, weight)` atoms in any order.
    static func ecdfDistances(reference: [(value: Double, weight: Double)], current: [(value: Double, weight: Double)])
        -> (ks: Double, wasserstein: Double) {
        let r = reference.filter { $0.weight > 0 }.sorted { $0.value < $1.value }
        let c = current.filter { $0.weight > 0 }.sorted { $0.value < $1.value }
        let totalR = r.reduce(0) { $0 + $1.weight }, totalC = c.reduce(0) { $0 + $1.weight }
        guard totalR > 0, totalC > 0 else { return (.nan, .nan) }
        var i = 0, j = 0
        var cumulativeR = 0.0, cumulativeC = 0.0
        var previous = min(r[0].value, c[0].value)
        var ks = 0.0, area = 0.0
        while i < r.count || j < c.count {
            let x = j == c.count || (i < r.count && r[i].value <= c[j].value) ? r[i].value : c[j].value
            area += abs(cumulativeR / totalR - cumulativeC / totalC) * (x - previous)
            while i < r.count, r[i].value == x {
                cumulativeR += r[i].weight
                i += 1
            }
            while j < c.count, c[j].value == x {
                cumulativeC += c[j].weight
                j += 1
            }
            ks = max(ks, abs(cumulativeR / totalR - cumulativeC / totalC))
            previous = x
        }
        return (ks, area)
    }

    /// The Jensen–Shannon distance (SciPy `jensenshannon`, natural log) of two count or share
    /// vectors, each normalised to sum 1: `√((KL(p‖m) + KL(q‖m)) / 2)`, `m = (p + q)/2`.
    static func jensenShannon(_ p: [Double], _ q: [Double]) -> Double {
        precondition(p.count == q.count, "one entry per bin on each side")
        let sp = p.reduce(0, +), sq = q.reduce(0, +)
        guard sp > 0, sq > 0 else { return .nan }
        var divergence = 0.0
        for (a, b) in zip(p, q) {
            let x = a / sp, y = b / sq, m = (x + y) / 2
            if x > 0 { divergence += x * log(x / m) }
            if y > 0 { divergence += y * log(y / m) }
        }
        return max(divergence / 2, 0).squareRoot()
    }

    /// The population stability index (Evidently `psi`) of two share vectors: zero shares replaced
    /// first (by a millionth of the side's smallest share when that is at most 0.0001, else by
    /// 0.0001), then `Σ (r − c) ln(r/c)`.
    static func populationStabilityIndex(reference: [Double], current: [Double]) -> Double {
        let r = filledZeros(reference), c = filledZeros(current)
        var sum = 0.0
        for (a, b) in zip(r, c) { sum += (a - b) * log(a / b) }
        return sum
    }

    /// Evidently's `feel_zeroes`.
    static func filledZeros(_ shares: [Double]) -> [Double] {
        guard let smallest = shares.filter({ $0 != 0 }).min() else { return shares }
        let fill = smallest <= 0.0001 ? smallest / 1e6 : 0.0001
        return shares.map { $0 == 0 ? fill : $0 }
    }

    // MARK: - Bins

    /// NumPy's `histogram_bin_edges(values, bins="sturges")` for `count` values in `[minimum, maximum]`:
    /// `⌈ptp / (ptp / (log2 count + 1))⌉` equal bins (one bin of width 1 around a constant).
    static func sturgesEdges(minimum: Double, maximum: Double, count: Int) -> [Double] {
        var first = minimum, last = maximum
        if first == last {
            first -= 0.5
            last += 0.5
        }
        let ptp = maximum - minimum
        let width = ptp / (log2(Double(count)) + 1)
        let bins = width > 0 ? Int((((last - first) / width)).rounded(.up)) : 1
        return equalEdges(minimum: first, maximum: last, bins: bins)
    }

    /// `np.linspace(minimum, maximum, bins + 1)`.
    static func equalEdges(minimum: Double, maximum: Double, bins: Int) -> [Double] {
        let bins = max(1, bins)
        let step = (maximum - minimum) / Double(bins)
        var edges = (0 ... bins).map { Double($0) * step + minimum }
        edges[bins] = maximum
        return edges
    }

    /// The bin of `x` among `edges` as `np.histogram`: `edges[b] <= x < edges[b + 1]`, the last bin
    /// closed; nil outside.
    static func bin(of x: Double, edges: [Double]) -> Int? {
        guard let first = edges.first, let last = edges.last, x >= first, x <= last else { return nil }
        var low = 0, high = edges.count - 1  // first index with edges[index] > x
        while low < high {
            let mid = (low + high) >> 1
            if edges[mid] > x { high = mid } else { low = mid + 1 }
        }
        return min(low - 1, edges.count - 2)
    }
}

/// Distribution functions the drift tests need, to double precision.
enum SpecialFunctions {
    /// `Φ(x)`, the standard normal distribution function.
    static func normalCDF(_ x: Double) -> Double {
        0.5 * erfc(-x / 2.0.squareRoot())
    }

    /// `P(χ²_k > x)`: the regularised upper incomplete gamma function `Q(k/2, x/2)`.
    static func chiSquareSurvival(_ x: Double, degreesOfFreedom k: Double) -> Double {
        if x.isNaN { return .nan }
        if x <= 0 { return 1 }
        if x.isInfinite { return 0 }
        return regularizedGammaQ(k / 2, x / 2)
    }

    /// `Q(a, x) = Γ(a, x)/Γ(a)`: the series for `P` below `x < a + 1`, Lentz's continued fraction above.
    static func regularizedGammaQ(_ a: Double, _ x: Double) -> Double {
        let logPrefix = a * log(x) - x - lgamma(a)
        if x < a + 1 {
            var term = 1 / a, sum = term, ap = a
            for _ in 0 ..< 10_000 {
                ap += 1
                term *= x / ap
                sum += term
                if abs(term) < abs(sum) * 1e-17 { break }
            }
            return max(0, 1 - sum * exp(logPrefix))
        }
        let tiny = 1e-300
        var b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d
        for i in 1 ... 10_000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return exp(logPrefix) * h
    }

    /// `P(K > λ)` for the Kolmogorov distribution: `2 Σ_{k≥1} (−1)^{k−1} e^{−2k²λ²}` (1 for small λ).
    static func kolmogorovSurvival(_ lambda: Double) -> Double {
        if lambda < 0.2 { return 1 }  // within 1e-12 of 1 below 0.2, where the series converges slowly
        var sum = 0.0
        for k in 1 ... 200 {
            let term = exp(-2 * Double(k * k) * lambda * lambda)
            sum += (k % 2 == 1 ? term : -term)
            if term < 1e-18 { break }
        }
        return 2 * sum
    }
}
