import Testing

@testable import MimeoEval

@Suite struct SyntheticBinningTests {
    private func summary(_ values: [Double], profileValues: [Double]) throws -> ContinuousColumnSummary {
        let profile = ContinuousProfile(values: profileValues, parser: try CellParser(kind: .decimal, format: nil),
                                        binCount: 10)
        var summary = ContinuousColumnSummary(cellCount: profile.cellCount)
        for x in values { summary.add(x, code: profile.code(of: x)) }
        return summary
    }

    private func histogram(_ binning: SyntheticBinning, _ summary: ContinuousColumnSummary) -> ([Double], Double) {
        var mass = Array(repeating: 0.0, count: binning.binSlots)
        var apportioned = 0.0
        for c in summary.cells.indices where summary.cells[c] > 0 && c > 0 && c < summary.cells.count - 1 {
            apportioned += binning.distribute(cell: c, count: Double(summary.cells[c])) { mass[$0] += $1 }
        }
        for (code, atom) in summary.outer {
            apportioned += binning.distribute(cell: code, count: Double(atom.count)) { mass[$0] += $1 }
        }
        return (mass, apportioned)
    }

    @Test func valuesOnRealPointsAreBinnedExactly() throws {
        // Synthetic range 0...20 (wider than the real 0...10): edges every 2, the maximum alone in bin 11.
        let values: [Double] = [0, 1, 2, 3, 5, 8, 10, 10, 20]
        let s = try summary(values, profileValues: Array(0 ... 10).map(Double.init))
        let binning = SyntheticBinning(summary: s, binCount: 10)
        let (mass, apportioned) = histogram(binning, s)
        var expected = Array(repeating: 0.0, count: 12)
        for x in values { expected[binning.edges.bin(of: x)] += 1 }
        #expect(mass == expected && apportioned == 0)
        #expect(mass[11] == 1)
    }

    @Test func straddlingCellsAreApportionedByLength() throws {
        // Real values 0 and 1000 only: 1024 gap cells; synthetic 100.2 and 100.55 share one, and the
        // synthetic edge 100.5 cuts it.
        let s = try summary([100.2, 100.55, 0, 1005], profileValues: [0, 1000])
        let binning = SyntheticBinning(summary: s, binCount: 10)
        #expect(binning.edges.edges[1] == 100.5)
        let (mass, apportioned) = histogram(binning, s)
        #expect(apportioned == 2)  // the straddling cell's two values
        #expect(abs(mass[1] - 1 - 2 * 0.3 / 0.35) < 1e-12 && abs(mass[2] - 2 * 0.05 / 0.35) < 1e-12)
        #expect(mass[11] == 1)  // the maximum, in an outer bucket
        #expect(abs(mass.reduce(0, +) - 4) < 1e-12)
    }
}
