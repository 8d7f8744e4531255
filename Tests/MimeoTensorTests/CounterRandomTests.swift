import MimeoTensor
import Testing

@Suite struct CounterRandomTests {
    // Random123 `tests/kat_vectors`, rows `philox4x32 10`: counter[4] key[2] -> output[4].
    // Random123's key words (k0, k1) map to `init(key:)` as k0 | k1 << 32.
    static let knownAnswers: [((UInt32, UInt32, UInt32, UInt32), UInt64, [UInt32])] = [
        ((0, 0, 0, 0), 0, [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8]),
        ((0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff), 0xffff_ffff_ffff_ffff,
         [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd]),
        ((0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344), 0x299f_31d0_a409_3822,
         [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1]),
    ]

    @Test func philoxMatchesRandom123KnownAnswers() {
        for (counter, key, expected) in Self.knownAnswers {
            let out = Philox4x32(key: key).block(counter)
            #expect([out.0, out.1, out.2, out.3] == expected)
        }
    }

    @Test func streamDrawsAreLittleEndianPairsOfBlockWords() {
        var rng = RandomStream(seed: 0, stream: 0)
        #expect(rng.next() == 0xe169_c58d_6627_e8d5)
        #expect(rng.next() == 0x9b00_dbd8_bc57_ac4c)
        // Stream s lives in counter words 2 and 3.
        let block = Philox4x32(key: 7).block((1, 0, 3, 0))
        var other = RandomStream(seed: 7, stream: 3)
        other.position = 2
        #expect(other.next() == UInt64(block.0) | UInt64(block.1) << 32)
    }

    @Test func drawsArePureFunctionsOfSeedStreamAndIndex() {
        var a = RandomStream(seed: 42, stream: 9)
        let sequence = (0..<100).map { _ in a.next() }
        var b = RandomStream(seed: 42, stream: 9)
        #expect((0..<100).map { _ in b.next() } == sequence)
        for index in [0, 1, 2, 37, 99] {
            #expect(RandomStream.draw(seed: 42, stream: 9, index: UInt64(index)) == sequence[index])
        }
        var jumped = RandomStream(seed: 42, stream: 9)
        jumped.position = 51
        #expect(jumped.next() == sequence[51])
        #expect(RandomStream.draw(seed: 42, stream: 10, index: 0) != sequence[0])
        #expect(RandomStream.draw(seed: 43, stream: 9, index: 0) != sequence[0])
        #expect(a.position == 100)
    }

    @Test func sameNumbersWhicheverThreadDraws() async {
        let expected = (0..<8).map { stream in
            var rng = RandomStream(seed: 5, stream: UInt64(stream))
            return (0..<1000).map { _ in rng.nextFloat() }
        }
        let drawn = await withTaskGroup(of: (Int, [Float]).self) { group in
            for stream in (0..<8).reversed() {
                group.addTask {
                    var rng = RandomStream(seed: 5, stream: UInt64(stream))
                    return (stream, (0..<1000).map { _ in rng.nextFloat() })
                }
            }
            var results = [[Float]](repeating: [], count: 8)
            for await (stream, values) in group { results[stream] = values }
            return results
        }
        #expect(drawn == expected)
    }

    @Test func floatsAreUniformOnTheUnitInterval() {
        var rng = RandomStream(seed: 2024, stream: 1)
        let n = 100_000, buckets = 64
        var counts = [Int](repeating: 0, count: buckets)
        var sum = 0.0, sumOfSquares = 0.0
        for _ in 0..<n {
            let u = rng.nextFloat()
            #expect(u >= 0 && u < 1)
            sum += Double(u)
            sumOfSquares += Double(u) * Double(u)
            counts[Int(u * Float(buckets))] += 1
        }
        let mean = sum / Double(n)
        let variance = sumOfSquares / Double(n) - mean * mean
        #expect(abs(mean - 0.5) < 0.005)
        #expect(abs(variance - 1.0 / 12) < 0.002)
        #expect(chiSquare(counts, expectedEach: Double(n) / Double(buckets)) < 103.44)  // χ²₆₃, p = 0.001
    }

    @Test func doublesAreUniformOnTheUnitInterval() {
        var rng = RandomStream(seed: 2024, stream: 2)
        let n = 50_000
        var sum = 0.0
        for _ in 0..<n {
            let u = rng.nextDouble()
            #expect(u >= 0 && u < 1)
            sum += u
        }
        #expect(abs(sum / Double(n) - 0.5) < 0.006)
    }

    @Test func integersAreUniformBelowTheBound() {
        var rng = RandomStream(seed: 11, stream: 0)
        let n = 50_000, bound = 10
        var counts = [Int](repeating: 0, count: bound)
        for _ in 0..<n { counts[rng.nextInt(below: bound)] += 1 }
        #expect(chiSquare(counts, expectedEach: Double(n) / Double(bound)) < 27.88)  // χ²₉, p = 0.001
        for _ in 0..<100 {
            #expect(rng.nextInt(below: 1) == 0)
            let big = rng.nextInt(below: Int.max)
            #expect(big >= 0 && big < Int.max)
        }
    }

    @Test func normalsHaveUnitVarianceAndTheRightShape() {
        var rng = RandomStream(seed: 99, stream: 3)
        let n = 100_000
        var sum = 0.0, sumOfSquares = 0.0, withinOneSigma = 0
        for _ in 0..<n {
            let z = Double(rng.nextNormal())
            #expect(z.isFinite)
            sum += z
            sumOfSquares += z * z
            if abs(z) < 1 { withinOneSigma += 1 }
        }
        let mean = sum / Double(n)
        #expect(abs(mean) < 0.015)
        #expect(abs(sumOfSquares / Double(n) - mean * mean - 1) < 0.02)
        #expect(abs(Double(withinOneSigma) / Double(n) - 0.682_689) < 0.006)
    }

    @Test func worksWithStandardLibraryRandomAPIs() {
        var a = RandomStream(seed: 3, stream: 0)
        var b = RandomStream(seed: 3, stream: 0)
        #expect(Array(0..<20).shuffled(using: &a) == Array(0..<20).shuffled(using: &b))
        #expect(Int.random(in: 0..<1000, using: &a) == Int.random(in: 0..<1000, using: &b))
    }

    private func chiSquare(_ counts: [Int], expectedEach: Double) -> Double {
        counts.reduce(0) { $0 + (Double($1) - expectedEach) * (Double($1) - expectedEach) / expectedEach }
    }
}
