/// The block's feed-forward half in one pass over the rows of the image:
///
///     x ← x + project_out(GELU(dw3×3(a)) · dw3×3(b)),  [a; b] = project_in(LayerNorm(x))
///
/// Unfused, the 2n-channel project_in output (4× the block's width) and the n-channel gate are
/// full planes written and read back once each: at level 1 of the paper configuration (width
/// 56, 65 536 pixels) that is 88 MB of traffic per block. Here each thread walks its own band
/// of rows and keeps only three rows of project_in output (a ring: the depthwise 3×3 needs
/// rows r − 1, r, r + 1) and a few rows of gate values (then one project_out sgemm adds them
/// into x, β = 1). Every row of project_in is computed once; the two rows next to each band
/// come from copies taken before any thread writes x. Same arithmetic as the unfused kernels
/// (LayerNorm core, SkinnyGemm, sgemm or BF16Gemm, `depthwiseRow3`, `FastMath.gelu`), summed per row.
public enum FusedFFN {
    /// Whether the fused pass suits an h × w plane (narrow planes: rows too short for the
    /// per-row products to pay; the unfused kernels run). The choice is
    /// `ExecutionContext.fusesFFN` (`ram bench --no-fuse` turns the fused pass off).
    public static func suits(height h: Int, width w: Int) -> Bool { w >= 32 && h >= 4 }

    /// x (c, h, w) in place. projectIn (2n, c), depthwise (2n, 3, 3), projectOut (c, n), all
    /// row-major as PyTorch stores them.
    public static func forward(
        _ x: inout Tensor, lnWeight: [Float], lnBias: [Float], eps: Float = 1e-5,
        projectIn: [Float], depthwise: [Float], projectOut: [Float], hidden n: Int, context ctx: ExecutionContext
    ) {
        let c = x.channels, h = x.height, w = x.width, plane = x.plane
        precondition(lnWeight.count == c && lnBias.count == c, "FusedFFN: LayerNorm weights")
        precondition(projectIn.count == 2 * n * c && depthwise.count == 2 * n * 9 && projectOut.count == c * n,
                     "FusedFFN: weight shapes")
        let flops = 2 * 2 * n * c * plane + 2 * 2 * n * 9 * plane + 2 * c * n * plane
        ctx.measure(.fusedFFN, shape: "FFN \(c)→\(2 * n)→\(c), N \(plane)", flops: flops) {
            let threads = max(1, min(ctx.threads, h / 4))
            let kernel = ctx.productKernel(m: 2 * n, k: c)
            // bf16: both products' weights rounded and packed once, shared by the bands.
            let bf16 = kernel == .bf16
                ? (BF16Gemm.PackedWeights(m: 2 * n, k: c, weights: projectIn), BF16Gemm.PackedWeights(m: c, k: n, weights: projectOut))
                : nil
            // Rows of project_out per sgemm: enough columns for the product to run well.
            let groupRows = max(1, min(h, (2048 + w - 1) / w))
            x.data.withUnsafeMutableBufferPointer { xb in
                let xp = xb.baseAddress!
                // The rows just outside each band, as they are before anyone writes x:
                // halo[2p] = row above band p, halo[2p + 1] = row below it (c × w each).
                let halo = UnsafeMutablePointer<Float>.allocate(capacity: max(1, 2 * threads * c * w))
                defer { halo.deallocate() }
                func band(_ p: Int) -> Range<Int> { (h * p / threads)..<(h * (p + 1) / threads) }
                for p in 0..<threads {
                    let b = band(p)
                    for (slot, row) in [(2 * p, b.lowerBound - 1), (2 * p + 1, b.upperBound)] where row >= 0 && row < h {
                        for ch in 0..<c { (halo + (slot * c + ch) * w).update(from: xp + ch * plane + row * w, count: w) }
                    }
                }
                projectIn.withUnsafeBufferPointer { wIn in
                    depthwise.withUnsafeBufferPointer { wDw in
                        projectOut.withUnsafeBufferPointer { wOut in
                            let bands = {
                                ctx.forEach(threads) { p in
                                    runBand(
                                        xp, c: c, h: h, w: w, n: n, rows: band(p), haloAbove: halo + 2 * p * c * w,
                                        haloBelow: halo + (2 * p + 1) * c * w, lnWeight: lnWeight, lnBias: lnBias, eps: eps,
                                        wIn: wIn.baseAddress!, wDw: wDw.baseAddress!, wOut: wOut.baseAddress!,
                                        kernel: kernel, bf16: bf16, groupRows: groupRows)
                                }
                            }
                            // Bands already use the cores: their products run on one BLAS thread each
                            // (also under `BLASPolicy.library`, which lets BLAS thread elsewhere).
                            if threads > 1 && ctx.blas != .splitColumns { Gemm.withThreads(1, bands) } else { bands() }
                        }
                    }
                }
            }
        }
    }

    static func runBand(
        _ xp: UnsafeMutablePointer<Float>, c: Int, h: Int, w: Int, n: Int, rows: Range<Int>,
        haloAbove: UnsafePointer<Float>, haloBelow: UnsafePointer<Float>, lnWeight: [Float], lnBias: [Float], eps: Float,
        wIn: UnsafePointer<Float>, wDw: UnsafePointer<Float>, wOut: UnsafePointer<Float>, kernel: ProductKernel,
        bf16: (BF16Gemm.PackedWeights, BF16Gemm.PackedWeights)?, groupRows: Int
    ) {
        if rows.isEmpty { return }
        let plane = h * w
        let ringRow = 2 * n * w
        let skinny = kernel == .skinnyGemm
        let skinnyCount = skinny ? SkinnyGemm.scratchCount(m: 2 * n, k: c) : 0
        // Every part starts on a 64-byte boundary (16 floats): SIMD loads stay within cache lines.
        func up(_ k: Int) -> Int { (k + 15) & ~15 }
        let count = up(c * w) + up(3 * ringRow) + up(n * groupRows * w) + 2 * up(w) + up(w) + up(3 * w) + skinnyCount
        let raw = UnsafeMutableRawPointer.allocate(byteCount: count * 4, alignment: 64)
        defer { raw.deallocate() }
        let buf = raw.bindMemory(to: Float.self, capacity: count)
        let ln = buf, ring = ln + up(c * w), gate = ring + up(3 * ringRow)
        let tmpA = gate + up(n * groupRows * w), tmpB = tmpA + up(w), zero = tmpB + up(w), lnScratch = zero + up(w)
        zero.update(repeating: 0, count: w)
        let packed = lnScratch + up(3 * w)
        if skinny { SkinnyGemm.packWeights(m: 2 * n, k: c, w: wIn, scratch: packed) }

        // project_in(LayerNorm(x row r)) into ring slot r mod 3.
        func produce(_ r: Int) {
            let src: UnsafePointer<Float>, stride: Int
            if r < rows.lowerBound {
                (src, stride) = (haloAbove, w)
            } else if r >= rows.upperBound {
                (src, stride) = (haloBelow, w)
            } else {
                (src, stride) = (UnsafePointer(xp + r * w), plane)
            }
            Norm.layerNormPixels(src, channelStride: stride, channels: c, count: w, weight: lnWeight, bias: lnBias,
                                 eps: eps, scratch: lnScratch) { ln + $0 * w }
            let dst = ring + (r % 3) * ringRow
            if let (packedIn, _) = bf16 {
                BF16Gemm.gemm(packedIn, n: w, x: ln, ldx: w, c: dst, ldc: w, accumulate: false)
            } else if skinny {
                SkinnyGemm.sgemmPacked(m: 2 * n, n: w, k: c, scratch: packed, x: ln, ldx: w, c: dst, ldc: w, accumulate: false)
            } else {
                Gemm.sgemm(m: 2 * n, n: w, k: c, a: wIn, lda: c, b: ln, ldb: w, beta: 0, c: dst, ldc: w)
            }
        }
        func ringRowPointer(_ r: Int) -> UnsafePointer<Float>? { r >= 0 && r < h ? UnsafePointer(ring + (r % 3) * ringRow) : nil }

        if rows.lowerBound > 0 { produce(rows.lowerBound - 1) }
        produce(rows.lowerBound)
        var groupStart = rows.lowerBound
        for r in rows {
            if r + 1 < h { produce(r + 1) }
            let above = ringRowPointer(r - 1), mid = ringRowPointer(r)!, below = ringRowPointer(r + 1)
            let gr = r - groupStart
            for j in 0..<n {
                let ja = j * w, jb = (n + j) * w
                Conv.depthwiseRow3(above.map { $0 + ja } ?? UnsafePointer(zero), mid + ja, below.map { $0 + ja } ?? UnsafePointer(zero),
                                   wDw + j * 9, tmpA, w)
                Conv.depthwiseRow3(above.map { $0 + jb } ?? UnsafePointer(zero), mid + jb, below.map { $0 + jb } ?? UnsafePointer(zero),
                                   wDw + (n + j) * 9, tmpB, w)
                FastMath.map2(tmpA, tmpB, gate + (j * groupRows + gr) * w, w) { FastMath.gelu($0) * $1 }
            }
            if gr == groupRows - 1 || r == rows.upperBound - 1 {
                // x[:, groupStart...r] += W_out · gate: rows of one channel are contiguous in x.
                let cols = (gr + 1) * w
                if let (_, packedOut) = bf16 {
                    BF16Gemm.gemm(packedOut, n: cols, x: gate, ldx: groupRows * w, c: xp + groupStart * w, ldc: plane,
                                  accumulate: true)
                } else {
                    Gemm.sgemm(m: c, n: cols, k: n, a: wOut, lda: n, b: gate, ldb: groupRows * w, beta: 1,
                               c: xp + groupStart * w, ldc: plane)
                }
                groupStart = r + 1
            }
        }
    }
}
