import Foundation
import Testing
import TestSupport
@testable import TensorCore

@Suite struct KernelTests {
    @Test(arguments: [(1, 1, 1), (7, 5, 3), (37, 7, 9), (129, 3, 5)])
    func layerNormMatchesNaive(_ s: (Int, Int, Int)) {
        var rng = TestRandom(seed: 1)
        let x = rng.tensor(s.0, s.1, s.2, scale: 3)
        let wt = rng.array(s.0), b = rng.array(s.0)
        var out = Tensor(channels: 0, height: 0, width: 0)
        Norm.layerNormChannels(x, weight: wt, bias: b, into: &out, context: .default)
        #expect(out.maxAbsDifference(Naive.layerNormChannels(x, weight: wt, bias: b)) < 1e-4)
    }

    @Test func layerNormLargePlaneUsesChunks() {
        var rng = TestRandom(seed: 2)
        let x = rng.tensor(5, 129, 67)
        let wt = rng.array(5), b = rng.array(5)
        var out = Tensor(channels: 0, height: 0, width: 0)
        Norm.layerNormChannels(x, weight: wt, bias: b, into: &out, context: .default)
        #expect(out.maxAbsDifference(Naive.layerNormChannels(x, weight: wt, bias: b)) < 1e-4)
    }

    /// A large common offset (residual streams drift) must not cost precision: the moments are
    /// taken on values shifted by each pixel's first channel.
    @Test func layerNormIsStableUnderLargeOffsets() {
        var rng = TestRandom(seed: 3)
        var x = rng.tensor(56, 9, 11, scale: 0.05)
        for i in 0..<x.count { x.data[i] += 300 }
        let wt = rng.array(56), b = rng.array(56)
        var out = Tensor(channels: 0, height: 0, width: 0)
        Norm.layerNormChannels(x, weight: wt, bias: b, into: &out, context: .default)
        #expect(out.maxAbsDifference(Naive.layerNormChannels(x, weight: wt, bias: b)) < 2e-3)
    }

    @Test func batchNormWithStatisticsMatchesTwoPasses() {
        var rng = TestRandom(seed: 4)
        var x = rng.tensor(6, 67, 45)  // 3015 pixels: partial sums over several 1024 blocks
        for i in 0..<x.count { x.data[i] = x.data[i] * 0.5 + 7 }
        let wt = rng.array(6), b = rng.array(6), rm = rng.array(6), rv = rng.array(6).map { abs($0) + 0.1 }
        var a = Tensor(channels: 0, height: 0, width: 0), fused = Tensor(channels: 0, height: 0, width: 0)
        Norm.batchNorm(x, weight: wt, bias: b, runningMean: rm, runningVar: rv, into: &a, context: .default)
        let (m1, s1) = Naive.channelMeanStd(a)
        let (m2, s2) = Norm.batchNormWithStatistics(x, weight: wt, bias: b, runningMean: rm, runningVar: rv, into: &fused,
                                                  context: .default)
        #expect(fused == a)
        for c in 0..<6 {
            #expect(abs(m1[c] - m2[c]) < 1e-5 * max(1, abs(m1[c])))
            #expect(abs(s1[c] - s2[c]) < 1e-5 * max(1, abs(s1[c])))
        }
    }

    @Test func batchNormIsAffine() {
        let x = Tensor(channels: 2, height: 1, width: 2, data: [1, 2, 3, 4])
        var out = Tensor(channels: 0, height: 0, width: 0)
        Norm.batchNorm(x, weight: [2, 1], bias: [0, 1], runningMean: [1, 3], runningVar: [4 - 1e-5, 1 - 1e-5], into: &out,
                       context: .default)
        #expect(out.data.enumerated().allSatisfy { abs($0.element - [0, 1, 1, 2][$0.offset]) < 1e-5 })
    }

    @Test func channelMeanStdIsBiased() {
        let x = Tensor(channels: 1, height: 1, width: 4, data: [1, 2, 3, 4])
        let (m, s) = Naive.channelMeanStd(x)
        #expect(abs(m[0] - 2.5) < 1e-6)
        #expect(abs(s[0] - Float((1.25 + 1e-6).squareRoot())) < 1e-6)
    }

    /// Fewer heads than threads on a large plane takes the split-within-a-head path.
    @Test func attentionSplitWithinHeadMatchesNaive() {
        attentionMatchesNaive((1, 6, 64, 80), threads: 2)
    }

    @Test(arguments: [(1, 1, 1, 1), (2, 3, 7, 5), (4, 4, 37, 1), (1, 7, 16, 16)])
    func attentionMatchesNaive(_ s: (Int, Int, Int, Int)) { attentionMatchesNaive(s, threads: 1) }

    func attentionMatchesNaive(_ s: (Int, Int, Int, Int), threads: Int) {
        let ctx = ExecutionContext(threads: threads)
        let (heads, ch, h, w) = s
        var rng = TestRandom(seed: 3)
        let q = rng.tensor(heads * ch, h, w), k = rng.tensor(heads * ch, h, w), v = rng.tensor(heads * ch, h, w)
        let temp = (0..<heads).map { Float($0) * 0.5 + 0.7 }
        let expected = Naive.channelAttention(q: q, k: k, v: v, heads: heads, temperature: temp)
        var qm = q, km = k
        var out = Tensor(channels: heads * ch, height: h, width: w)
        qm.data.withUnsafeMutableBufferPointer { qb in
            km.data.withUnsafeMutableBufferPointer { kb in
                v.data.withUnsafeBufferPointer { vb in
                    out.data.withUnsafeMutableBufferPointer { ob in
                        ctx.withBLAS {
                            ChannelAttention.apply(q: qb.baseAddress!, k: kb.baseAddress!, v: vb.baseAddress!, heads: heads,
                                                   channelsPerHead: ch, n: h * w, temperature: temp, out: ob.baseAddress!,
                                                   context: ctx)
                        }
                    }
                }
            }
        }
        #expect(out.maxAbsDifference(expected) < 1e-5)
    }

    /// The fused row pass equals the FFN written with the naive kernels: LayerNorm, 1×1 to 2n,
    /// depthwise 3×3, GELU(a)·b, 1×1 back, residual add. Shapes cover one band and several
    /// (halo rows between bands), heights not divisible by the thread count, project_out groups
    /// flushed mid-band (70×64: groups of 32, 32, 6 rows) and at band ends, and both product paths (SkinnyGemm for c = 8 → 2n = 32, sgemm for
    /// c = 12 → 2n = 12).
    @Test(arguments: [(8, 16, 4, 33, 1), (8, 16, 13, 40, 3), (12, 6, 9, 64, 2), (8, 16, 70, 35, 2), (8, 16, 70, 64, 1), (8, 16, 150, 64, 2)])
    func fusedFFNMatchesNaive(_ s: (Int, Int, Int, Int, Int)) {
        let (c, n, h, w, threads) = s
        var rng = TestRandom(seed: 11)
        let x = rng.tensor(c, h, w, scale: 2)
        let lw = rng.array(c), lb = rng.array(c)
        let wIn = rng.array(2 * n * c), wDw = rng.array(2 * n * 9), wOut = rng.array(c * n)
        var expected = Naive.ffnChange(x, lnWeight: lw, lnBias: lb, projectIn: wIn, depthwise: wDw, projectOut: wOut, hidden: n)
        for i in 0..<expected.count { expected.data[i] += x.data[i] }
        var fused = x
        let ctx = ExecutionContext(threads: threads)
        #expect(ctx.fusesFFN(height: h, width: w))
        ctx.withBLAS {
            FusedFFN.forward(&fused, lnWeight: lw, lnBias: lb, projectIn: wIn, depthwise: wDw, projectOut: wOut, hidden: n,
                             context: ctx)
        }
        #expect(fused.maxAbsDifference(expected) < 1e-4)
    }

    @Test func geluIsErfGelu() {
        for x: Float in [-5, -1, -0.3, 0, 0.2, 1, 3.7] {
            #expect(abs(Activation.gelu(x) - Naive.gelu(x)) < 1e-6)
        }
        #expect(abs(Activation.sigmoid(0) - 0.5) < 1e-7)
    }

    @Test(arguments: [(4, 1, 1), (8, 3, 5), (12, 37, 7)])
    func pixelShuffleRoundTrip(_ s: (Int, Int, Int)) {
        var rng = TestRandom(seed: 4)
        let x = rng.tensor(s.0, s.1, s.2)
        var up = Tensor(channels: 0, height: 0, width: 0), back = Tensor(channels: 0, height: 0, width: 0)
        Layout.pixelShuffle(x, 2, into: &up)
        #expect(up == Naive.pixelShuffle(x, 2))
        Layout.pixelUnshuffle(up, 2, into: &back)
        #expect(back == x)
        #expect(back == Naive.pixelUnshuffle(up, 2))
    }

    @Test func interleavedSplitAndConcat() {
        let x = Tensor(channels: 4, height: 1, width: 2, data: [0, 0, 1, 1, 2, 2, 3, 3])
        let (e, o) = Naive.splitInterleaved(x)
        #expect(e.data == [0, 0, 2, 2])
        #expect(o.data == [1, 1, 3, 3])
        var cat = Tensor(channels: 0, height: 0, width: 0)
        Layout.concat(e, o, into: &cat)
        #expect(cat.data == [0, 0, 2, 2, 1, 1, 3, 3])
    }

    @Test func reflectPadMatchesPyTorch() {
        // torch.nn.functional.pad(arange(5), (0, 3), 'reflect') = [0,1,2,3,4,3,2,1]
        let x = Tensor(channels: 1, height: 1, width: 5, data: [0, 1, 2, 3, 4])
        var out = Tensor(channels: 0, height: 0, width: 0)
        Layout.reflectPad(x, bottom: 0, right: 3, into: &out)
        #expect(out.data == [0, 1, 2, 3, 4, 3, 2, 1])
        let one = Tensor(channels: 1, height: 1, width: 1, data: [5])
        Layout.reflectPad(one, bottom: 7, right: 7, into: &out)
        #expect(out.count == 64 && out.data.allSatisfy { $0 == 5 })
        #expect(Layout.reflectIndex(-1, 4) == 1 && Layout.reflectIndex(4, 4) == 2 && Layout.reflectIndex(7, 4) == 1)
    }

    @Test func reshapeKeepsCapacity() {
        var t = Tensor(channels: 4, height: 8, width: 8)
        let cap = t.data.capacity
        t.reshape(channels: 1, height: 2, width: 2)
        #expect(t.count == 4 && t.data.capacity == cap)
        t.reshape(channels: 4, height: 8, width: 8)
        #expect(t.data.capacity == cap)
    }
}

@Suite struct FastMathTests {
    @Test func expSigmoidGeluMatchLibm() {
        var worstExp: Float = 0, worstSig: Float = 0, worstGelu: Float = 0
        var x: Float = -30
        while x < 30 {
            let v = x
            let e = FastMath.exp(v), want = expf(x)
            worstExp = max(worstExp, abs(e - want) / want)
            worstSig = max(worstSig, abs(FastMath.sigmoid(v) - Activation.sigmoid(x)))
            worstGelu = max(worstGelu, abs(FastMath.gelu(v) - Naive.gelu(x)))
            x += 0.0137
        }
        #expect(worstExp < 5e-7)
        #expect(worstSig < 2e-7)
        #expect(worstGelu < 1e-6)
        #expect(FastMath.exp(-200) >= 0)
        #expect(FastMath.exp(200).isFinite)
    }

    @Test func mapHandlesTails() {
        for n in [0, 1, 7, 8, 9, 37] {
            let a = (0..<n).map { Float($0) }, b = (0..<n).map { Float(2 * $0) }
            var out = [Float](repeating: -1, count: n)
            a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in out.withUnsafeMutableBufferPointer { op in
                if n > 0 { FastMath.map2(ap.baseAddress!, bp.baseAddress!, op.baseAddress!, n) { $0 + $1 } }
            } } }
            #expect(out == (0..<n).map { Float(3 * $0) })
        }
    }
}
