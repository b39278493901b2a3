import Foundation
import Testing
import TestSupport
@testable import TensorCore

/// The bf16 kernels against a double-precision reference. Two bounds per element:
/// - with the operands rounded to bf16 first (`BF16Gemm.rounded`), only fp32 summation
///   differs: |c − ref̃| ≤ (k + 2)·2⁻²⁴·Σ|w̃||x̃| — this pins packing, pairing and edges;
/// - against the exact fp32 operands, the stated accuracy: each operand's relative rounding
///   error is ≤ 2⁻⁸, so |c − ref| ≤ (2⁻⁷ + 2⁻¹⁶ + (k + 2)·2⁻²⁴)·Σ|w||x|.
@Suite(.enabled(if: BF16Gemm.isAvailable, "this CPU has no AVX512_BF16"))
struct BF16GemmTests {
    static func check(m: Int, n: Int, k: Int, seed: UInt64, ldxPad: Int = 0, ldcPad: Int = 0, accumulate: Bool = false) {
        var rng = TestRandom(seed: seed)
        let w = rng.array(m * k), x = rng.array(k * n, scale: 3)
        let ldx = n + ldxPad, ldc = n + ldcPad
        var xs = [Float](repeating: 0, count: k * ldx)
        for r in 0..<k { for j in 0..<n { xs[r * ldx + j] = x[r * n + j] } }
        let start = accumulate ? rng.array(m * ldc) : [Float](repeating: .nan, count: m * ldc)
        var c = start
        let packed = BF16Gemm.PackedWeights(m: m, k: k, weights: w)
        xs.withUnsafeBufferPointer { xp in
            c.withUnsafeMutableBufferPointer { cp in
                BF16Gemm.gemm(packed, n: n, x: xp.baseAddress!, ldx: ldx, c: cp.baseAddress!, ldc: ldc, accumulate: accumulate)
            }
        }
        let exact = Naive.matmul(m: m, n: n, k: k, w: w, x: x)
        let rounded = Naive.matmul(m: m, n: n, k: k, w: BF16Gemm.rounded(w), x: BF16Gemm.rounded(x))
        let sum = Double(k + 2) * 0x1p-24
        var worstRounded = 0.0, worstExact = 0.0
        for i in 0..<m {
            for j in 0..<n {
                let base = accumulate ? Double(start[i * ldc + j]) : 0
                let got = Double(c[i * ldc + j])
                let e = i * n + j
                let slack = abs(base) * 0x1p-23 + 1e-30
                worstRounded = max(worstRounded, abs(got - base - rounded.product[e]) / (sum * rounded.magnitude[e] + slack))
                worstExact = max(worstExact, abs(got - base - exact.product[e]) / ((0x1p-7 + 0x1p-16 + sum) * exact.magnitude[e] + slack))
            }
            // Columns past n (ldc padding) are never written.
            for j in n..<ldc where !accumulate { #expect(c[i * ldc + j].isNaN) }
        }
        #expect(worstRounded <= 1, "m \(m) n \(n) k \(k): \(worstRounded) of the summation bound")
        #expect(worstExact <= 1, "m \(m) n \(n) k \(k): \(worstExact) of the bf16 bound")
    }

    /// Odd sizes: fewer rows than a tile, ragged rows (m mod 14), ragged columns (n mod 32 and
    /// n mod 16), odd k (the last pair half zero), one element.
    @Test(arguments: [(1, 1, 1), (3, 5, 7), (13, 17, 3), (14, 32, 2), (15, 33, 9), (29, 100, 57), (28, 16, 28), (2, 47, 1)])
    func matchesReferenceOnOddShapes(_ s: (Int, Int, Int)) {
        Self.check(m: s.0, n: s.1, k: s.2, seed: UInt64(s.0 * 1000 + s.1 * 10 + s.2))
    }

    /// The network's shapes (fused FFN project_in / project_out rows, 1×1 convolutions) and
    /// a product wider than one column panel (k = 448: panels of 192 columns).
    @Test(arguments: [(224, 256, 56), (56, 512, 112), (75, 300, 28), (42, 1000, 448)])
    func matchesReferenceOnNetworkShapes(_ s: (Int, Int, Int)) {
        Self.check(m: s.0, n: s.1, k: s.2, seed: 7)
    }

    @Test func accumulatesWithStrides() {
        Self.check(m: 17, n: 45, k: 19, seed: 3, ldxPad: 5, ldcPad: 3, accumulate: true)
        Self.check(m: 17, n: 45, k: 19, seed: 4, ldxPad: 0, ldcPad: 7, accumulate: false)
    }

    /// A 3×3 convolution as one product over the nine shifted views of a zero-padded plane
    /// (the kernel's taps), against the naive convolution of the bf16-rounded operands.
    @Test(arguments: [(5, 17, 7, 9), (28, 14, 12, 33), (3, 30, 5, 4)])
    func convolution3x3ThroughTaps(_ s: (Int, Int, Int, Int)) {
        let (c, o, h, w) = s
        var rng = TestRandom(seed: UInt64(c + o + h + w))
        let x = rng.tensor(c, h, w), weight = rng.array(o * c * 9, scale: 0.5)
        let wp = w + 2, padPlane = (h + 2) * wp + 2
        var pad = [Float](repeating: 0, count: c * padPlane)
        for ch in 0..<c { for y in 0..<h { for xx in 0..<w { pad[ch * padPlane + (y + 1) * wp + xx + 1] = x[ch, y, xx] } } }
        let taps = (0..<9).map { ($0 / 3) * wp + $0 % 3 }
        var wide = [Float](repeating: 0, count: o * h * wp)
        let packed = BF16Gemm.PackedWeights(conv3x3: weight, outChannels: o, inChannels: c)
        pad.withUnsafeBufferPointer { pp in
            taps.withUnsafeBufferPointer { tp in
                wide.withUnsafeMutableBufferPointer { op in
                    BF16Gemm.gemm(packed, n: h * wp, x: pp.baseAddress!, ldx: padPlane, taps: tp.baseAddress!, tapCount: 9,
                                  c: op.baseAddress!, ldc: h * wp, accumulate: false)
                }
            }
        }
        let xr = Tensor(channels: c, height: h, width: w, data: BF16Gemm.rounded(x.data))
        let reference = Naive.conv2d(xr, weight: BF16Gemm.rounded(weight), outChannels: o, kernel: 3)
        var worst: Float = 0
        for oc in 0..<o { for y in 0..<h { for xx in 0..<w {
            worst = max(worst, abs(wide[(oc * h + y) * wp + xx] - reference[oc, y, xx]))
        } } }
        #expect(worst < 1e-5 * Float(9 * c))
    }

    /// Threads that start, compute and exit (each with its own panel, freed at exit) give the
    /// same products as the calling thread, with different panel sizes at once.
    @Test func shortLivedThreadsAgree() {
        var rng = TestRandom(seed: 9)
        let shapes = [(30, 300, 20), (14, 1000, 300), (5, 33, 7), (60, 64, 128)]
        let inputs = shapes.map { (rng.array($0.0 * $0.2), rng.array($0.2 * $0.1)) }
        @Sendable func product(_ i: Int) -> [Float] {
            let (m, n, k) = shapes[i]
            var c = [Float](repeating: 0, count: m * n)
            let packed = BF16Gemm.PackedWeights(m: m, k: k, weights: inputs[i].0)
            inputs[i].1.withUnsafeBufferPointer { xp in
                c.withUnsafeMutableBufferPointer { cp in
                    BF16Gemm.gemm(packed, n: n, x: xp.baseAddress!, ldx: n, c: cp.baseAddress!, ldc: n, accumulate: false)
                }
            }
            return c
        }
        let expected = (0..<shapes.count).map(product)
        final class Results: @unchecked Sendable { var values: [[Float]] = [] }
        for _ in 0..<3 {
            let results = Results()
            results.values = Array(repeating: [], count: shapes.count)
            let done = DispatchGroup()
            for i in 0..<shapes.count {
                done.enter()
                let t = Thread {
                    results.values[i] = product(i)
                    done.leave()
                }
                t.start()
            }
            done.wait()
            #expect(results.values == expected)
        }
    }

    @Test func roundsToNearestEven() {
        let values: [Float] = [1, 1 + 0x1p-8, 1 + 3 * 0x1p-8, 1 + 0x1p-8 + 0x1p-20, -2.5, 0, 3.1415927]
        let expected: [Float] = [1, 1, 1 + 0x1p-6, 1 + 0x1p-7, -2.5, 0, 3.140625]
        #expect(BF16Gemm.rounded(values) == expected)
    }

    // MARK: - The convolutions and the fused FFN under a bf16 context

    @Test func productKernelFollowsThePrecision() {
        #expect(Precision.bf16.isAvailable == BF16Gemm.isAvailable)
        #expect(ExecutionContext(precision: .bf16).productKernel(m: 224, k: 56) == .bf16)
        #expect(ExecutionContext(precision: .bf16).productKernel(m: 3, k: 500) == .bf16)
        #expect(ExecutionContext(precision: .fp32).productKernel(m: 224, k: 56) == .skinnyGemm)
        #expect(ExecutionContext(precision: .fp32).productKernel(m: 56, k: 112) == .sgemm)
    }

    /// 1×1 and 3×3 convolutions in bf16 equal the naive convolution of the bf16-rounded operands
    /// to fp32 summation error, on one thread and on two (planes ≥ 4096: products split into
    /// column blocks), with an accumulating 1×1.
    @Test(arguments: [1, 2]) func convolutionsMatchNaiveOnRoundedOperands(_ threads: Int) {
        var rng = TestRandom(seed: 21)
        let (c, o, h, w) = (19, 30, 64, 70)
        let x = rng.tensor(c, h, w), w1 = rng.array(o * c, scale: 0.5), w3 = rng.array(o * c * 9, scale: 0.3)
        let xr = Tensor(channels: c, height: h, width: w, data: BF16Gemm.rounded(x.data))
        let ctx = ExecutionContext(threads: threads, precision: .bf16)
        var out = Tensor(channels: 0, height: 0, width: 0), scratch: [Float] = []
        ctx.withBLAS { Conv.pointwise(x, weight: w1, outChannels: o, into: &out, context: ctx) }
        let expected1 = Naive.conv2d(xr, weight: BF16Gemm.rounded(w1), outChannels: o, kernel: 1)
        #expect(out.maxAbsDifference(expected1) < 1e-5)
        let base = rng.tensor(o, h, w)
        var acc = base
        ctx.withBLAS { Conv.pointwise(x, weight: w1, outChannels: o, into: &acc, accumulate: true, context: ctx) }
        for i in 0..<acc.count { acc.data[i] -= base.data[i] }
        #expect(acc.maxAbsDifference(expected1) < 1e-5)
        ctx.withBLAS { Conv.conv3x3(x, weight: w3, outChannels: o, into: &out, scratch: &scratch, context: ctx) }
        let expected3 = Naive.conv2d(xr, weight: BF16Gemm.rounded(w3), outChannels: o, kernel: 3)
        #expect(out.maxAbsDifference(expected3) < 1e-4)
    }

    /// The fused FFN in bf16 (LayerNorm output and GELU gate rounded to bf16 where they enter
    /// the products) against the naive fp32 FFN: within 2 % of the largest change the FFN makes,
    /// and not equal to it (the bf16 products ran). Bands, halos and group flushes as in
    /// `KernelTests.fusedFFNMatchesNaive`.
    @Test(arguments: [(8, 16, 13, 40, 3), (12, 6, 9, 64, 2), (8, 16, 70, 64, 1), (8, 16, 150, 64, 2)])
    func fusedFFNWithinToleranceOfNaive(_ s: (Int, Int, Int, Int, Int)) {
        let (c, n, h, w, threads) = s
        var rng = TestRandom(seed: 12)
        let x = rng.tensor(c, h, w, scale: 2)
        let lw = rng.array(c), lb = rng.array(c)
        let wIn = rng.array(2 * n * c), wDw = rng.array(2 * n * 9), wOut = rng.array(c * n)
        let change = Naive.ffnChange(x, lnWeight: lw, lnBias: lb, projectIn: wIn, depthwise: wDw, projectOut: wOut, hidden: n)
        var expected = change
        for i in 0..<expected.count { expected.data[i] += x.data[i] }
        var fused = x
        let ctx = ExecutionContext(threads: threads, precision: .bf16)
        ctx.withBLAS {
            FusedFFN.forward(&fused, lnWeight: lw, lnBias: lb, projectIn: wIn, depthwise: wDw, projectOut: wOut, hidden: n,
                             context: ctx)
        }
        let scale = change.data.map { abs($0) }.max()!
        let err = fused.maxAbsDifference(expected)
        #expect(err <= 0.02 * scale, "\(s): \(err) of \(scale)")
        #expect(err > 1e-5 * scale)
    }
}
