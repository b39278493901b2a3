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
        Conv.pointwise(x, weight: wt, outChannels: o, into: &out, context: .default)
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
        Conv.conv3x3(x, weight: wt, outChannels: o, into: &out, scratch: &scratch, context: .default)
        #expect(out.maxAbsDifference(Naive.conv2d(x, weight: wt, outChannels: o, kernel: 3)) < 1e-4)
        // Reusing the scratch with a smaller shape gives the same answer.
        let x2 = rng.tensor(c, max(1, h / 2), w)
        Conv.conv3x3(x2, weight: wt, outChannels: o, into: &out, scratch: &scratch, context: .default)
        #expect(out.maxAbsDifference(Naive.conv2d(x2, weight: wt, outChannels: o, kernel: 3)) < 1e-4)
    }

    @Test(arguments: [3, 7]) func depthwiseMatchesNaive(_ k: Int) {
        for (i, s) in Self.sizes.enumerated() {
            var rng = TestRandom(seed: 200 + UInt64(i))
            let x = rng.tensor(s.c, s.h, s.w)
            let wt = rng.array(s.c * k * k)
            var out = Tensor(channels: 0, height: 0, width: 0)
            Conv.depthwise(x, weight: wt, kernel: k, into: &out, context: .default)
            #expect(out.maxAbsDifference(Naive.conv2d(x, weight: wt, outChannels: s.c, kernel: k, groups: s.c)) < 1e-5)
        }
    }

    /// Up to four outputs (with 9·o ≤ c) take the stacked-taps path (one product with M = 9·o,
    /// then shifted row sums): the network's output conv 2d → 3. 64×64 at two threads splits
    /// the product's columns in two blocks.
    @Test(arguments: [(1, 32, 37, 29), (2, 18, 1, 1), (3, 32, 64, 48), (4, 36, 3, 40), (3, 27, 1, 37), (3, 27, 64, 64)])
    func fewOutputConv3x3MatchesNaive(_ s: (Int, Int, Int, Int)) {
        let (o, c, h, w) = s
        var rng = TestRandom(seed: 300 + UInt64(o * 1000 + h))
        let x = rng.tensor(c, h, w)
        let wt = rng.array(o * c * 9, scale: 0.2)
        var out = Tensor(channels: 0, height: 0, width: 0)
        var scratch: [Float] = []
        for threads in [1, 2] {
            let ctx = ExecutionContext(threads: threads)
            ctx.withBLAS { Conv.conv3x3(x, weight: wt, outChannels: o, into: &out, scratch: &scratch, context: ctx) }
            #expect(out.maxAbsDifference(Naive.conv2d(x, weight: wt, outChannels: o, kernel: 3)) < 1e-4)
        }
    }

    @Test func largeConvTakesBLASPath() {
        var rng = TestRandom(seed: 7)
        let x = rng.tensor(56, 64, 48)
        let wt = rng.array(28 * 56 * 9, scale: 0.1)
        var out = Tensor(channels: 0, height: 0, width: 0)
        var scratch: [Float] = []
        Conv.conv3x3(x, weight: wt, outChannels: 28, into: &out, scratch: &scratch, context: .default)
        #expect(out.maxAbsDifference(Naive.conv2d(x, weight: wt, outChannels: 28, kernel: 3)) < 1e-4)
    }

    /// The pointer form: per-channel output scale folded into the weights, and in-place use
    /// (GatedDA runs its 7×7 on α inside the expanded tensor).
    @Test(arguments: [3, 7]) func depthwiseScaledInPlaceMatchesNaive(_ k: Int) {
        for (i, s) in Self.sizes.enumerated() {
            var rng = TestRandom(seed: 300 + UInt64(i))
            let x = rng.tensor(s.c, s.h, s.w)
            let wt = rng.array(s.c * k * k)
            let scale = rng.array(s.c)
            var scaled = wt
            for ch in 0..<s.c { for j in 0..<(k * k) { scaled[ch * k * k + j] *= scale[ch] } }
            let want = Naive.conv2d(x, weight: scaled, outChannels: s.c, kernel: k, groups: s.c)
            var y = x
            y.data.withUnsafeMutableBufferPointer { yb in
                Conv.depthwise(UnsafePointer(yb.baseAddress!), into: yb.baseAddress!, channels: s.c, height: s.h, width: s.w,
                               weight: wt, kernel: k, scale: scale, context: .default)
            }
            #expect(y.maxAbsDifference(want) < 1e-5, "k \(k) size \(s)")
        }
    }

    @Test func depthwiseGeluGateMatchesUnfused() {
        for (i, s) in Self.sizes.enumerated() {
            var rng = TestRandom(seed: 400 + UInt64(i))
            let n = s.c
            let x = rng.tensor(2 * n, s.h, s.w)
            let wt = rng.array(2 * n * 9)
            let dw = Naive.conv2d(x, weight: wt, outChannels: 2 * n, kernel: 3, groups: 2 * n)
            var out = Tensor(channels: n, height: s.h, width: s.w)
            out.data.withUnsafeMutableBufferPointer { ob in
                x.data.withUnsafeBufferPointer { xb in
                    Conv.depthwise3x3GeluGate(xb.baseAddress!, hidden: n, height: s.h, width: s.w, weight: wt, into: ob.baseAddress!,
                                              context: .default)
                }
            }
            var worst: Float = 0
            for j in 0..<(n * s.h * s.w) { worst = max(worst, abs(out.data[j] - Naive.gelu(dw.data[j]) * dw.data[n * s.h * s.w + j])) }
            #expect(worst < 1e-5, "size \(s): \(worst)")
        }
    }

    @Test func pointwiseAccumulateAddsToOutput() {
        var rng = TestRandom(seed: 9)
        let x = rng.tensor(12, 9, 11)
        let wt = rng.array(5 * 12)
        let base = rng.tensor(5, 9, 11)
        var out = base
        Conv.pointwise(x, weight: wt, outChannels: 5, into: &out, accumulate: true, context: .default)
        let prod = Naive.conv2d(x, weight: wt, outChannels: 5, kernel: 1)
        var worst: Float = 0
        for j in 0..<out.count { worst = max(worst, abs(out.data[j] - (base.data[j] + prod.data[j]))) }
        #expect(worst < 1e-5)
    }

    /// With BLAS on one thread and two kernel threads, products are split into column blocks
    /// (planes of at least 4096 pixels); the answer must not change. With OpenBLAS threading
    /// each call instead (`BLASPolicy.library`) nothing is split, and the answer is the same.
    @Test func splitColumnProductsMatchNaive() {
        var rng = TestRandom(seed: 11)
        let x = rng.tensor(24, 67, 129)  // 8643 columns: uneven blocks
        let w1 = rng.array(40 * 24, scale: 0.2), w3 = rng.array(16 * 24 * 9, scale: 0.1)
        var p = Tensor(channels: 0, height: 0, width: 0), q = Tensor(channels: 0, height: 0, width: 0)
        var scratch: [Float] = []
        for ctx in [ExecutionContext(threads: 2), ExecutionContext(threads: 2, blas: .library(threads: 2))] {
            ctx.withBLAS {
                if ctx.splitsColumns { #expect(Gemm.threads == 1) }
                Conv.pointwise(x, weight: w1, outChannels: 40, into: &p, context: ctx)
                Conv.conv3x3(x, weight: w3, outChannels: 16, into: &q, scratch: &scratch, context: ctx)
            }
            #expect(p.maxAbsDifference(Naive.conv2d(x, weight: w1, outChannels: 40, kernel: 1)) < 1e-4)
            #expect(q.maxAbsDifference(Naive.conv2d(x, weight: w3, outChannels: 16, kernel: 3)) < 1e-4)
        }
    }

    @Test func layerNormSplitIsLayerNormThenInterleavedSplit() {
        var rng = TestRandom(seed: 12)
        let x = rng.tensor(10, 13, 17)
        let wt = rng.array(10), b = rng.array(10)
        let ln = Naive.layerNormChannels(x, weight: wt, bias: b)
        var even = Tensor(channels: 0, height: 0, width: 0), odd = Tensor(channels: 0, height: 0, width: 0)
        Norm.layerNormChannelsSplit(x, weight: wt, bias: b, even: &even, odd: &odd, context: .default)
        let (e2, o2) = Naive.splitInterleaved(ln)
        #expect(even.maxAbsDifference(e2) < 1e-4)
        #expect(odd.maxAbsDifference(o2) < 1e-4)
    }

    /// SkinnyGemm on ragged shapes (rows not a multiple of 6, columns not a multiple of 16 or
    /// of the 256-column block), with and without accumulation, against the naive product.
    @Test(arguments: [(1, 1, 1), (7, 3, 17), (13, 5, 300), (24, 12, 513), (50, 20, 1000)])
    func skinnyGemmMatchesNaive(_ s: (m: Int, k: Int, n: Int)) {
        var rng = TestRandom(seed: UInt64(s.m * 1000 + s.n))
        let w = rng.array(s.m * s.k), x = rng.array(s.k * s.n), base = rng.array(s.m * s.n)
        for accumulate in [false, true] {
            var c = base
            w.withUnsafeBufferPointer { wp in
                x.withUnsafeBufferPointer { xp in
                    c.withUnsafeMutableBufferPointer { cp in
                        SkinnyGemm.sgemm(m: s.m, n: s.n, k: s.k, w: wp.baseAddress!, x: xp.baseAddress!, ldx: s.n,
                                         c: cp.baseAddress!, ldc: s.n, accumulate: accumulate)
                    }
                }
            }
            var worst: Float = 0
            for i in 0..<s.m {
                for j in 0..<s.n {
                    var want: Float = accumulate ? base[i * s.n + j] : 0
                    for kk in 0..<s.k { want += w[i * s.k + kk] * x[kk * s.n + j] }
                    worst = max(worst, abs(c[i * s.n + j] - want))
                }
            }
            #expect(worst < 1e-4, "\(s) accumulate \(accumulate): \(worst)")
        }
    }
}
