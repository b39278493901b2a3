import Testing

import TensorCore

@Suite struct RandomTests {
    @Test func matchesSplitMix64ReferenceOutputs() {
        // First outputs of SplitMix64 from state 0 (Vigna's splitmix64.c).
        var rng = SeededRandom(seed: 0)
        #expect(rng.next() == 0xE220_A839_7B1D_CDAF)
        #expect(rng.next() == 0x6E78_9E6A_A1B9_65F4)
        #expect(rng.next() == 0x06C4_5D18_8009_454F)
        // signedUnit: the top 24 bits of the next output, mapped to [-1, 1).
        var s = SeededRandom(seed: 0)
        #expect(s.signedUnit() == Float(0xE2_20A8) / Float(1 << 24) * 2 - 1)
    }

    @Test func sameSeedSameSequenceAndStreamsDiffer() {
        var a = SeededRandom(seed: 42)
        var b = SeededRandom(seed: 42)
        var c = SeededRandom(seed: 43)
        var s1 = SeededRandom(seed: 42, stream: 1)
        var s2 = SeededRandom(seed: 42, stream: 2)
        let xa = (0..<16).map { _ in a.next() }
        #expect(xa == (0..<16).map { _ in b.next() })
        #expect(xa != (0..<16).map { _ in c.next() })
        #expect((0..<16).map { _ in s1.next() } != (0..<16).map { _ in s2.next() })
    }

    @Test func uniformAndIntegerRanges() {
        var rng = SeededRandom(seed: 7)
        var sum = 0.0
        let n = 100_000
        for _ in 0..<n {
            let u = rng.uniform()
            #expect(u >= 0 && u < 1)
            sum += u
        }
        #expect(abs(sum / Double(n) - 0.5) < 0.005)
        var seen = Set<Int>()
        for _ in 0..<1000 {
            let k = rng.int(below: 7)
            #expect(k >= 0 && k < 7)
            seen.insert(k)
        }
        #expect(seen.count == 7)
    }

    @Test func normalHasUnitMoments() {
        var rng = SeededRandom(seed: 11)
        let n = 200_000
        var sum = 0.0
        var sumSq = 0.0
        for _ in 0..<n {
            let z = rng.normal()
            sum += z
            sumSq += z * z
        }
        let mean = sum / Double(n)
        let sd = (sumSq / Double(n) - mean * mean).squareRoot()
        #expect(abs(mean) < 0.01)
        #expect(abs(sd - 1) < 0.01)
    }

    @Test(arguments: [0.5, 4.0, 29.0, 50.0, 400.0])
    func poissonMeanEqualsVariance(lambda: Double) {
        var rng = SeededRandom(seed: 3)
        let n = 100_000
        var sum = 0.0
        var sumSq = 0.0
        for _ in 0..<n {
            let k = Double(rng.poisson(mean: lambda))
            #expect(k >= 0)
            sum += k
            sumSq += k * k
        }
        let mean = sum / Double(n)
        let variance = sumSq / Double(n) - mean * mean
        #expect(abs(mean - lambda) < 0.02 * lambda + 0.01)
        #expect(abs(variance - lambda) < 0.05 * lambda + 0.02)
        #expect(rng.poisson(mean: 0) == 0)
    }
}
