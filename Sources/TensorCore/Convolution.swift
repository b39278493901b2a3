/// Convolutions without bias, zero "same" padding, stride 1, in (C, H, W) layout.
/// Weights use PyTorch's layout: dense (O, C, k, k), depthwise (C, 1, k, k).
public enum Conv {
    /// 1×1 convolution: out (O, H·W) = W (O, C) · x (C, H·W) (+ out when `accumulate`,
    /// which folds a residual add into the product). One product, or one per column block
    /// when the context splits products (see `gemmColumns`).
    public static func pointwise(
        _ x: Tensor, weight: [Float], outChannels o: Int, into out: inout Tensor, accumulate: Bool = false,
        context ctx: ExecutionContext
    ) {
        if accumulate {
            precondition(out.channels == o && out.height == x.height && out.width == x.width, "accumulate: shape mismatch")
        } else {
            out.reshape(channels: o, height: x.height, width: x.width)
        }
        x.data.withUnsafeBufferPointer { xb in
            out.data.withUnsafeMutableBufferPointer { ob in
                pointwise(xb.baseAddress!, channels: x.channels, plane: x.plane, weight: weight, outChannels: o,
                          into: ob.baseAddress!, accumulate: accumulate, context: ctx)
            }
        }
    }

    /// Pointer form of `pointwise`: x is (channels, plane), out is (o, plane).
    public static func pointwise(
        _ x: UnsafePointer<Float>, channels c: Int, plane n: Int, weight: [Float], outChannels o: Int,
        into out: UnsafeMutablePointer<Float>, accumulate: Bool = false, context ctx: ExecutionContext
    ) {
        ctx.measure(.convolution, shape: "1x1 \(o)x\(c), N \(n)", flops: 2 * o * c * n) {
            precondition(weight.count == o * c, "pointwise weight \(weight.count) != \(o)x\(c)")
            let kernel = ctx.productKernel(m: o, k: c)
            // bf16: the weight rounded and packed once, shared by the column blocks.
            let packed = kernel == .bf16 ? BF16Gemm.PackedWeights(m: o, k: c, weights: weight) : nil
            weight.withUnsafeBufferPointer { w in
                gemmColumns(n, context: ctx) { lo, len in
                    switch kernel {
                    case .bf16:
                        BF16Gemm.gemm(packed!, n: len, x: x + lo, ldx: n, c: out + lo, ldc: n, accumulate: accumulate)
                    case .skinnyGemm:
                        SkinnyGemm.sgemm(m: o, n: len, k: c, w: w.baseAddress!, x: x + lo, ldx: n, c: out + lo, ldc: n,
                                         accumulate: accumulate)
                    case .sgemm:
                        Gemm.sgemm(
                            m: o, n: len, k: c, a: w.baseAddress!, lda: c, b: x + lo, ldb: n,
                            beta: accumulate ? 1 : 0, c: out + lo, ldc: n)
                    }
                }
            }
        }
    }

    /// Runs body(lo, len) over column blocks of an N-column product. When the context splits
    /// products (`BLASPolicy.splitColumns`, BLAS held to one thread by `withBLAS`) and has
    /// several threads, the columns are split into one contiguous block per thread, each a
    /// single-threaded product: the skinny products here (K = 3…448, N = H·W) scale better this
    /// way than with OpenBLAS' own threading. Otherwise one call covers all columns. Blocks are
    /// multiples of 16 columns.
    @inlinable
    public static func gemmColumns(_ n: Int, context ctx: ExecutionContext, _ body: (Int, Int) -> Void) {
        let t = ctx.splitsColumns ? min(ctx.threads, n / 2048) : 1
        if t <= 1 {
            body(0, n)
            return
        }
        ctx.forEach(t) { part in
            let lo = (n * part / t) & ~15
            let hi = part == t - 1 ? n : (n * (part + 1) / t) & ~15
            if hi > lo { body(lo, hi - lo) }
        }
    }

    /// 3×3 convolution, padding 1. Computed as nine accumulating sgemm calls on a
    /// zero-padded copy of x whose rows are W+2 wide: for tap (ky, kx) the input view is
    /// the padded plane shifted by ky·(W+2)+kx, read as a (C, H·(W+2)) matrix with
    /// ldb = padded plane size. The output is produced on the (H, W+2) grid and its two
    /// junk columns per row are dropped. No im2col buffer (which would be 9× the input).
    /// `scratch` holds the padded input and the wide output between calls.
    public static func conv3x3(
        _ x: Tensor, weight: [Float], outChannels o: Int, into out: inout Tensor,
        scratch: inout [Float], context ctx: ExecutionContext
    ) {
        let c = x.channels, h = x.height, w = x.width
        ctx.measure(.convolution, shape: "3x3 \(o)x\(c), N \(h * w)", flops: 2 * o * c * 9 * h * w) {
            precondition(weight.count == o * c * 9, "conv3x3 weight \(weight.count) != \(o)x\(c)x3x3")
            let wp = w + 2
            let padPlane = (h + 2) * wp + 2  // +2 so the last shifted view stays inside the plane
            let wideN = h * wp
            // Few outputs (the network's last conv, 2d → 3): nine products with M = o run far
            // below sgemm speed, so stack the taps instead — one product with M = 9·o over the
            // padded plane, then each output row sums its nine shifted rows. Only while the 9·o
            // product planes are no more than the padded input (c planes) already held.
            let stacked = o <= 4 && 9 * o <= c
            let productRows = stacked ? 9 * o : o
            let productN = stacked ? (h + 2) * wp : wideN
            let need = c * padPlane + productRows * productN + o * c * 9
            if scratch.count < need { scratch = [Float](repeating: 0, count: need) }
            out.reshape(channels: o, height: h, width: w)
            scratch.withUnsafeMutableBufferPointer { sb in
                let pad = sb.baseAddress!
                let wide = pad + c * padPlane
                let wk = wide + productRows * productN  // weights regrouped per tap: (9, O, C)
                // Zero-padded input.
                x.data.withUnsafeBufferPointer { xb in
                    ctx.forEach(c, minPerThread: 8) { ch in
                        let dst = pad + ch * padPlane
                        dst.update(repeating: 0, count: padPlane)
                        let src = xb.baseAddress! + ch * h * w
                        for y in 0..<h {
                            (dst + (y + 1) * wp + 1).update(from: src + y * w, count: w)
                        }
                    }
                }
                weight.withUnsafeBufferPointer { wb in
                    for oc in 0..<o {
                        for ic in 0..<c {
                            for t in 0..<9 { wk[(t * o + oc) * c + ic] = wb[(oc * c + ic) * 9 + t] }
                        }
                    }
                }
                if stacked {
                    // Y (9·o, (h+2)·wp) = W (9·o × c) · padded input; out(y, x) = Σ_t Y[t·o + oc](y + ky, x + kx).
                    Conv.gemmColumns(productN, context: ctx) { lo, len in
                        Gemm.sgemm(m: 9 * o, n: len, k: c, a: wk, lda: c, b: pad + lo, ldb: padPlane, beta: 0,
                                   c: wide + lo, ldc: productN)
                    }
                    out.data.withUnsafeMutableBufferPointer { ob in
                        let op = ob.baseAddress!
                        ctx.forEach(o * h, minPerThread: 16) { row in
                            let oc = row / h, y = row % h
                            let d = op + (oc * h + y) * w
                            for t in 0..<9 {
                                let src = UnsafePointer(wide + (t * o + oc) * productN + (y + t / 3) * wp + t % 3)
                                if t == 0 {
                                    d.update(from: src, count: w)
                                } else {
                                    for x in 0..<w { d[x] += src[x] }
                                }
                            }
                        }
                    }
                    return
                }
                if ctx.productKernel(m: o, k: 9 * c) == .bf16 {
                    // One bf16 product with k = 9·c: the nine shifted views are the kernel's taps,
                    // summed in registers (no pass over the output per tap).
                    let packed = BF16Gemm.PackedWeights(conv3x3: weight, outChannels: o, inChannels: c)
                    let taps = (0..<9).map { ($0 / 3) * wp + $0 % 3 }
                    taps.withUnsafeBufferPointer { tp in
                        Conv.gemmColumns(wideN, context: ctx) { lo, len in
                            BF16Gemm.gemm(packed, n: len, x: pad + lo, ldx: padPlane, taps: tp.baseAddress!, tapCount: 9,
                                          c: wide + lo, ldc: wideN, accumulate: false)
                        }
                    }
                } else {
                    Conv.gemmColumns(wideN, context: ctx) { lo, len in
                        for t in 0..<9 {
                            let ky = t / 3, kx = t % 3
                            Gemm.sgemm(
                                m: o, n: len, k: c, a: wk + t * o * c, lda: c,
                                b: pad + ky * wp + kx + lo, ldb: padPlane,
                                beta: t == 0 ? 0 : 1, c: wide + lo, ldc: wideN)
                        }
                    }
                }
                out.data.withUnsafeMutableBufferPointer { ob in
                    for oc in 0..<o {
                        for y in 0..<h {
                            (ob.baseAddress! + (oc * h + y) * w).update(from: wide + oc * wideN + y * wp, count: w)
                        }
                    }
                }
            }
        }
    }

    /// Depthwise k×k convolution (k odd), padding k/2: out[c] = x[c] ⋆ W[c].
    public static func depthwise(_ x: Tensor, weight: [Float], kernel k: Int, into out: inout Tensor,
                                 context ctx: ExecutionContext) {
        let c = x.channels, h = x.height, w = x.width
        precondition(weight.count == c * k * k, "depthwise weight \(weight.count) != \(c)x1x\(k)x\(k)")
        out.reshape(channels: c, height: h, width: w)
        x.data.withUnsafeBufferPointer { xb in
            weight.withUnsafeBufferPointer { wb in
                out.data.withUnsafeMutableBufferPointer { ob in
                    depthwise(xb.baseAddress!, into: ob.baseAddress!, channels: c, height: h, width: w,
                              weight: wb.baseAddress!, kernel: k, context: ctx)
                }
            }
        }
    }

    /// Pointer form of `depthwise`, channels split across threads. `scale`, when given, multiplies
    /// channel c's output (folded into its weights). `out` may equal `x`: a 7×7 channel is copied
    /// into a padded strip before its output is written, and a 3×3 output row is written only
    /// after the input row two below it has been read.
    public static func depthwise(
        _ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, channels c: Int, height h: Int, width w: Int,
        weight: UnsafePointer<Float>, kernel k: Int, scale: UnsafePointer<Float>? = nil, context ctx: ExecutionContext
    ) {
        ctx.measure(.depthwise) {
            ctx.count(flops: 2 * c * k * k * h * w)
            precondition(k % 2 == 1, "depthwise kernel must be odd")
            let threads = max(1, min(ctx.threads, c))
            ctx.forEach(threads) { part in
                let lo = c * part / threads, hi = c * (part + 1) / threads
                if k == 3 {
                    // Rows are computed from the source directly, three rows behind a small
                    // ring buffer so in-place use stays correct.
                    let buf = UnsafeMutablePointer<Float>.allocate(capacity: 3 * w)
                    defer { buf.deallocate() }
                    let zero = UnsafeMutablePointer<Float>.allocate(capacity: w)
                    defer { zero.deallocate() }
                    zero.update(repeating: 0, count: w)
                    var kw = [Float](repeating: 0, count: 9)
                    for ch in lo..<hi {
                        for i in 0..<9 { kw[i] = weight[ch * 9 + i] * (scale?[ch] ?? 1) }
                        let src = x + ch * h * w, dst = out + ch * h * w
                        let inPlace = UnsafePointer(dst) == src
                        kw.withUnsafeBufferPointer { kp in
                            for y in 0..<h {
                                let a = y > 0 ? src + (y - 1) * w : UnsafePointer(zero)
                                let d = y + 1 < h ? src + (y + 1) * w : UnsafePointer(zero)
                                if !inPlace {
                                    depthwiseRow3(a, src + y * w, d, kp.baseAddress!, dst + y * w, w)
                                    continue
                                }
                                depthwiseRow3(a, src + y * w, d, kp.baseAddress!, buf + (y % 3) * w, w)
                                // Row y−1 is no longer read (row y+1 was read above): flush it.
                                if y >= 1 { (dst + (y - 1) * w).update(from: buf + ((y - 1) % 3) * w, count: w) }
                            }
                            if inPlace { (dst + (h - 1) * w).update(from: buf + ((h - 1) % 3) * w, count: w) }
                        }
                    }
                } else {
                    depthwiseStrip(x, out, lo..<hi, h, w, weight, k, scale)
                }
            }
        }
    }

    /// One output row of a 3×3 depthwise convolution with zero padding: rows a (above), b, d
    /// (below), weights w[0..<9] row-major, written to o (width n).
    @inlinable @inline(__always)
    static func depthwiseRow3(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ d: UnsafePointer<Float>,
        _ k: UnsafePointer<Float>, _ o: UnsafeMutablePointer<Float>, _ n: Int
    ) {
        let (w0, w1, w2, w3, w4, w5, w6, w7, w8) = (k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7], k[8])
        if n == 1 {
            o[0] = w1 * a[0] + w4 * b[0] + w7 * d[0]
            return
        }
        o[0] = w1 * a[0] + w2 * a[1] + w4 * b[0] + w5 * b[1] + w7 * d[0] + w8 * d[1]
        for i in 1..<(n - 1) {
            o[i] = w0 * a[i - 1] + w1 * a[i] + w2 * a[i + 1] + w3 * b[i - 1] + w4 * b[i] + w5 * b[i + 1]
                + w6 * d[i - 1] + w7 * d[i] + w8 * d[i + 1]
        }
        let l = n - 1
        o[l] = w0 * a[l - 1] + w1 * a[l] + w3 * b[l - 1] + w4 * b[l] + w6 * d[l - 1] + w7 * d[l]
    }

    /// k×k depthwise for channels `range`: each channel is copied into a horizontally
    /// zero-padded strip; every output row accumulates one kernel row (k taps) per pass.
    static func depthwiseStrip(
        _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ range: Range<Int>, _ h: Int, _ w: Int,
        _ weight: UnsafePointer<Float>, _ k: Int, _ scale: UnsafePointer<Float>?
    ) {
        let r = k / 2, wp = w + 2 * r
        let strip = UnsafeMutablePointer<Float>.allocate(capacity: h * wp)
        defer { strip.deallocate() }
        strip.update(repeating: 0, count: h * wp)
        let kw = UnsafeMutablePointer<Float>.allocate(capacity: k * k)
        defer { kw.deallocate() }
        for ch in range {
            let sc = scale?[ch] ?? 1
            for i in 0..<(k * k) { kw[i] = weight[ch * k * k + i] * sc }
            let src = x + ch * h * w
            for y in 0..<h { (strip + y * wp + r).update(from: src + y * w, count: w) }
            let dst = out + ch * h * w
            for y in 0..<h {
                let o = dst + y * w
                o.update(repeating: 0, count: w)
                for ky in 0..<k where y + ky - r >= 0 && y + ky - r < h {
                    let s = UnsafePointer(strip + (y + ky - r) * wp)
                    let kr = kw + ky * k
                    if k == 7 {
                        let (a0, a1, a2, a3, a4, a5, a6) = (kr[0], kr[1], kr[2], kr[3], kr[4], kr[5], kr[6])
                        for i in 0..<w {
                            o[i] += a0 * s[i] + a1 * s[i + 1] + a2 * s[i + 2] + a3 * s[i + 3] + a4 * s[i + 4]
                                + a5 * s[i + 5] + a6 * s[i + 6]
                        }
                    } else {
                        for kx in 0..<k {
                            let wv = kr[kx], sk = s + kx
                            for i in 0..<w { o[i] += wv * sk[i] }
                        }
                    }
                }
            }
        }
    }

    /// The FFN's depthwise 3×3 fused with its GELU gate: x holds 2n channels; out channel j =
    /// gelu(dw(x[j])) · dw(x[n + j]), so the 2n-channel depthwise output is never stored.
    public static func depthwise3x3GeluGate(
        _ x: UnsafePointer<Float>, hidden n: Int, height h: Int, width w: Int, weight: UnsafePointer<Float>,
        into out: UnsafeMutablePointer<Float>, context ctx: ExecutionContext
    ) {
        ctx.measure(.depthwise) {
            ctx.count(flops: 2 * 2 * n * 9 * h * w)
            let plane = h * w
            let threads = max(1, min(ctx.threads, n))
            ctx.forEach(threads) { part in
                // Per thread: the two depthwise planes of one output channel (stay in L2).
                let ra = UnsafeMutablePointer<Float>.allocate(capacity: 2 * plane)
                defer { ra.deallocate() }
                let rb = ra + plane
                let zero = UnsafeMutablePointer<Float>.allocate(capacity: w)
                defer { zero.deallocate() }
                zero.update(repeating: 0, count: w)
                let z = UnsafePointer(zero)
                for j in (n * part / threads)..<(n * (part + 1) / threads) {
                    let sa = x + j * plane, sb = x + (n + j) * plane
                    let ka = weight + j * 9, kb = weight + (n + j) * 9
                    for y in 0..<h {
                        depthwiseRow3(y > 0 ? sa + (y - 1) * w : z, sa + y * w, y + 1 < h ? sa + (y + 1) * w : z, ka, ra + y * w, w)
                    }
                    for y in 0..<h {
                        depthwiseRow3(y > 0 ? sb + (y - 1) * w : z, sb + y * w, y + 1 < h ? sb + (y + 1) * w : z, kb, rb + y * w, w)
                    }
                    FastMath.map2(ra, rb, out + j * plane, plane) { FastMath.gelu($0) * $1 }
                }
            }
        }
    }
}
