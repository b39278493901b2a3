import Testing
import TestSupport
@testable import TensorCore

/// Fast kernels against their naive twins on odd sizes and on sizes that take the BLAS path.
@Suite struct ConvolutionTests {
    static let sizes: [(c: Int, h: Int, w: Int)] = [(1, 1, 1), (3, 7, 5), (7, 37, 1), (5, 1, 37), (8, 37, 29), (37, 7, 13), (16, 129, 3)]

    @Test(arguments: 0..<sizes.count) func pointwiseMatchesNaive(_ i: Int) {
        let (c, h, w) = Self.sizes[i]
        var rng = TestRandom(seed: UInt64(i))
        let x = rng.tensor(c, h, w)
        let o = c + 3
        let wt = rng.array(o * c)
        var out = Tensor(channels: 0, height: 0, width: 0)
        Conv.pointwise(x, weight: wt, outChannels: o, into: &out)
        #expect(out.maxAbsDifference(Naive.conv2d(x, weight: wt, outChannels: o, kernel: 1)) < 1e-5)
    }

    @Test(arguments: 0..<sizes.count) func conv3x3MatchesNaive(_ i: Int) {
        let (c, h, w) = Self.sizes[i]
        var rng = TestRandom(seed: 100 + UInt64(i))
        let x = rng.tensor(c, h, w)
        let o = 2 * c + 1
        let wt = rng.array(o * c * 9)
        var out = Tensor(channels: 0, height: 0, width: 0)
        var scratch: [Float] = []
        Conv.conv3x3(x, weight: wt, outChannels: o, into: &out, scratch: &scratch)
        #expect(out.maxAbsDifference(Naive.conv2d(x, weight: wt, outChannels: o, kernel: 3)) < 1e-4)
        // Reusing the scratch with a smaller shape gives the same answer.
        let x2 = rng.tensor(c, max(1, h / 2), w)
        Conv.conv3x3(x2, weight: wt, outChannels: o, into: &out, scratch: &scratch)
        #expect(out.maxAbsDifference(Naive.conv2d(x2, weight: wt, outChannels: o, kernel: 3)) < 1e-4)
    }

    @Test(arguments: [3, 7]) func depthwiseMatchesNaive(_ k: Int) {
        for (i, s) in Self.sizes.enumerated() {
            var rng = TestRandom(seed: 200 + UInt64(i))
            let x = rng.tensor(s.c, s.h, s.w)
            let wt = rng.array(s.c * k * k)
            var out = Tensor(channels: 0, height: 0, width: 0)
            Conv.depthwise(x, weight: wt, kernel: k, into: &out)
            #expect(out.maxAbsDifference(Naive.conv2d(x, weight: wt, outChannels: s.c, kernel: k, groups: s.c)) < 1e-5)
        }
    }

    @Test func largeConvTakesBLASPath() {
        var rng = TestRandom(seed: 7)
        let x = rng.tensor(56, 64, 48)
        let wt = rng.array(28 * 56 * 9, scale: 0.1)
        var out = Tensor(channels: 0, height: 0, width: 0)
        var scratch: [Float] = []
        Conv.conv3x3(x, weight: wt, outChannels: 28, into: &out, scratch: &scratch)
        #expect(out.maxAbsDifference(Naive.conv2d(x, weight: wt, outChannels: 28, kernel: 3)) < 1e-4)
    }
}
