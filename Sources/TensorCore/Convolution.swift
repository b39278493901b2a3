/// Convolutions without bias, zero "same" padding, stride 1, in (C, H, W) layout.
/// Weights use PyTorch's layout: dense (O, C, k, k), depthwise (C, 1, k, k).
public enum Conv {
    /// 1×1 convolution: out (O, H·W) = W (O, C) · x (C, H·W). One sgemm.
    public static func pointwise(_ x: Tensor, weight: [Float], outChannels o: Int, into out: inout Tensor) {
        Profile.measure(.convolution) {
            let c = x.channels
            Profile.count(flops: 2 * o * c * x.plane)
            precondition(weight.count == o * c, "pointwise weight \(weight.count) != \(o)x\(c)")
            out.reshape(channels: o, height: x.height, width: x.width)
            let n = x.plane
            weight.withUnsafeBufferPointer { w in
                x.data.withUnsafeBufferPointer { xb in
                    out.data.withUnsafeMutableBufferPointer { ob in
                        Gemm.sgemm(
                            m: o, n: n, k: c, a: w.baseAddress!, lda: c, b: xb.baseAddress!, ldb: n,
                            c: ob.baseAddress!, ldc: n)
                    }
                }
            }
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
        scratch: inout [Float]
    ) {
        Profile.measure(.convolution) {
            let c = x.channels, h = x.height, w = x.width
            Profile.count(flops: 2 * o * c * 9 * h * w)
            precondition(weight.count == o * c * 9, "conv3x3 weight \(weight.count) != \(o)x\(c)x3x3")
            let wp = w + 2
            let padPlane = (h + 2) * wp + 2  // +2 so the last shifted view stays inside the plane
            let wideN = h * wp
            let need = c * padPlane + o * wideN + o * c * 9
            if scratch.count < need { scratch = [Float](repeating: 0, count: need) }
            out.reshape(channels: o, height: h, width: w)
            scratch.withUnsafeMutableBufferPointer { sb in
                let pad = sb.baseAddress!
                let wide = pad + c * padPlane
                let wk = wide + o * wideN  // weights regrouped per tap: (9, O, C)
                // Zero-padded input.
                x.data.withUnsafeBufferPointer { xb in
                    Parallel.forEach(c, minPerThread: 8) { ch in
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
                for t in 0..<9 {
                    let ky = t / 3, kx = t % 3
                    Gemm.sgemm(
                        m: o, n: wideN, k: c, a: wk + t * o * c, lda: c,
                        b: pad + ky * wp + kx, ldb: padPlane,
                        beta: t == 0 ? 0 : 1, c: wide, ldc: wideN)
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
    /// Each thread copies its channels' rows into a horizontally zero-padded strip (rows above
    /// and below the image read a shared zero row); a 3×3 output row is then one fused pass
    /// of nine shifted, scaled input rows, larger kernels accumulate one kernel row at a time.
    /// The inner loops run over contiguous x and vectorise.
    public static func depthwise(_ x: Tensor, weight: [Float], kernel k: Int, into out: inout Tensor) {
        Profile.measure(.depthwise) {
            let c = x.channels, h = x.height, w = x.width
            Profile.count(flops: 2 * c * k * k * h * w)
            precondition(weight.count == c * k * k, "depthwise weight \(weight.count) != \(c)x1x\(k)x\(k)")
            out.reshape(channels: c, height: h, width: w)
            let r = k / 2
            let wp = w + 2 * r
            let threads = max(1, min(Parallel.threads, c))
            x.data.withUnsafeBufferPointer { xb in
                weight.withUnsafeBufferPointer { wb in
                    out.data.withUnsafeMutableBufferPointer { ob in
                        let xp = xb.baseAddress!, wt = wb.baseAddress!, op = ob.baseAddress!
                        Parallel.forEach(threads) { part in
                            let strip = UnsafeMutablePointer<Float>.allocate(capacity: h * wp + wp)
                            defer { strip.deallocate() }
                            strip.update(repeating: 0, count: h * wp + wp)
                            let zero = UnsafePointer(strip + h * wp)
                            for ch in (c * part / threads)..<(c * (part + 1) / threads) {
                                let src = xp + ch * h * w
                                for y in 0..<h { (strip + y * wp + r).update(from: src + y * w, count: w) }
                                let kw = wt + ch * k * k
                                let dst = op + ch * h * w
                                func row(_ y: Int) -> UnsafePointer<Float> { y < 0 || y >= h ? zero : UnsafePointer(strip + y * wp) }
                                if k == 3 {
                                    let (w0, w1, w2, w3, w4, w5, w6, w7, w8) = (kw[0], kw[1], kw[2], kw[3], kw[4], kw[5], kw[6], kw[7], kw[8])
                                    for y in 0..<h {
                                        let a = row(y - 1), b = row(y), d = row(y + 1), o = dst + y * w
                                        for i in 0..<w {
                                            o[i] = w0 * a[i] + w1 * a[i + 1] + w2 * a[i + 2] + w3 * b[i] + w4 * b[i + 1] + w5 * b[i + 2]
                                                + w6 * d[i] + w7 * d[i + 1] + w8 * d[i + 2]
                                        }
                                    }
                                } else {
                                    for y in 0..<h {
                                        let o = dst + y * w
                                        o.update(repeating: 0, count: w)
                                        for ky in 0..<k where y + ky - r >= 0 && y + ky - r < h {
                                            let irow = row(y + ky - r)
                                            for kx in 0..<k {
                                                let wv = kw[ky * k + kx]
                                                let s = irow + kx
                                                for i in 0..<w { o[i] += wv * s[i] }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
