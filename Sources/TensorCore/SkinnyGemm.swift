/// C (m×n) = W (m×k) · X (k×n) [+ C], row-major, single-threaded, for the wide-and-short
/// products of 1×1 convolutions that expand channels (m ≥ 2k, k ≤ 64: the FFN's project_in,
/// GatedDA's W_exp, attention's qkv). OpenBLAS reaches 55–60 GFLOP/s on those here; this
/// kernel 70–75 (`ram bench kernels`, and the measurements in the README).
///
/// X is packed per block of 256 columns into 16-wide panels (k × 16 contiguous, so a panel
/// stays in L1 while every 6-row strip of W runs over it); a 6×16 register tile (twelve
/// 8-lane accumulators) sums over k with fused multiply-adds. W is padded to a multiple of 6
/// rows with zeros; ragged column edges go through the scalar store. Loads and stores are
/// unaligned: the scratch may be any float pointer.
public enum SkinnyGemm {
    static let mr = 6, nr = 16, nb = 256

    /// Whether this kernel is the faster one for an (m, k) product (measured rule; the choice
    /// is `ExecutionContext.productKernel`, and `ram bench --no-skinny` turns it off).
    @inlinable
    public static func prefers(m: Int, k: Int) -> Bool { m >= 2 * k && k <= 64 }

    // Never inlined: inlined into Conv.pointwise's column closure it ran at 16–20 GFLOP/s
    // instead of 73–77 (`ram bench kernels`, 224×56 × 65536, one thread).
    @inline(never)
    public static func sgemm(
        m: Int, n: Int, k: Int, w: UnsafePointer<Float>, x: UnsafePointer<Float>, ldx: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
    ) {
        if m == 0 || n == 0 { return }
        let raw = UnsafeMutableRawPointer.allocate(byteCount: scratchCount(m: m, k: k) * 4, alignment: 64)
        defer { raw.deallocate() }
        let scratch = raw.bindMemory(to: Float.self, capacity: scratchCount(m: m, k: k))
        packWeights(m: m, k: k, w: w, scratch: scratch)
        sgemmPacked(m: m, n: n, k: k, scratch: scratch, x: x, ldx: ldx, c: c, ldc: ldc, accumulate: accumulate)
    }

    /// Floats of scratch that `packWeights` and `sgemmPacked` need for an (m, k) weight.
    public static func scratchCount(m: Int, k: Int) -> Int { k * nb + (m + mr - 1) / mr * mr * k }

    /// Copies W (m×k) into the scratch, padded with zero rows to a multiple of 6: once per
    /// weight, then any number of `sgemmPacked` calls (the fused FFN runs one per image row).
    public static func packWeights(m: Int, k: Int, w: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let mp = (m + mr - 1) / mr * mr
        let wpad = scratch + k * nb
        wpad.update(from: w, count: m * k)
        if mp > m { (wpad + m * k).update(repeating: 0, count: (mp - m) * k) }
    }

    /// `sgemm` with the weights already in the scratch (`packWeights`); the scratch's first
    /// k·256 floats hold the packed panels of X.
    @inline(never)
    public static func sgemmPacked(
        m: Int, n: Int, k: Int, scratch: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, ldx: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
    ) {
        if m == 0 || n == 0 { return }
        let mp = (m + mr - 1) / mr * mr
        let panel = scratch
        let wpad = UnsafePointer(scratch + k * nb)
        var j0 = 0
        while j0 < n {
            let jn = min(nb, n - j0)
            let groups = (jn + nr - 1) / nr
            for g in 0..<groups {
                let dst = panel + g * k * nr
                let cols = min(nr, jn - g * nr)
                let src = x + j0 + g * nr
                if cols == nr {
                    for kk in 0..<k { (dst + kk * nr).update(from: src + kk * ldx, count: nr) }
                } else {
                    for kk in 0..<k {
                        (dst + kk * nr).update(from: src + kk * ldx, count: cols)
                        (dst + kk * nr + cols).update(repeating: 0, count: nr - cols)
                    }
                }
            }
            var o = 0
            while o < mp {
                let rows = min(mr, m - o)
                for g in 0..<groups {
                    tile(k, wpad + o * k, k, panel + g * k * nr, c + o * ldc + j0 + g * nr, ldc,
                         rows: rows, cols: min(nr, jn - g * nr), accumulate: accumulate)
                }
                o += mr
            }
            j0 += nb
        }
    }

    /// One 6×16 tile of C: rows of W at w, w + ldw, …; the packed panel p (k × 16).
    @inline(__always)
    static func tile(
        _ k: Int, _ w: UnsafePointer<Float>, _ ldw: Int, _ p: UnsafePointer<Float>,
        _ c: UnsafeMutablePointer<Float>, _ ldc: Int, rows: Int, cols: Int, accumulate: Bool
    ) {
        var a00 = SIMD8<Float>(), a01 = SIMD8<Float>(), a10 = SIMD8<Float>(), a11 = SIMD8<Float>()
        var a20 = SIMD8<Float>(), a21 = SIMD8<Float>(), a30 = SIMD8<Float>(), a31 = SIMD8<Float>()
        var a40 = SIMD8<Float>(), a41 = SIMD8<Float>(), a50 = SIMD8<Float>(), a51 = SIMD8<Float>()
        var xp = UnsafeRawPointer(p)
        let w0 = w, w1 = w + ldw, w2 = w + 2 * ldw, w3 = w + 3 * ldw, w4 = w + 4 * ldw, w5 = w + 5 * ldw
        for kk in 0..<k {
            let x0 = xp.loadUnaligned(as: SIMD8<Float>.self)
            let x1 = xp.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
            var b = SIMD8<Float>(repeating: w0[kk]); a00.addProduct(b, x0); a01.addProduct(b, x1)
            b = SIMD8<Float>(repeating: w1[kk]); a10.addProduct(b, x0); a11.addProduct(b, x1)
            b = SIMD8<Float>(repeating: w2[kk]); a20.addProduct(b, x0); a21.addProduct(b, x1)
            b = SIMD8<Float>(repeating: w3[kk]); a30.addProduct(b, x0); a31.addProduct(b, x1)
            b = SIMD8<Float>(repeating: w4[kk]); a40.addProduct(b, x0); a41.addProduct(b, x1)
            b = SIMD8<Float>(repeating: w5[kk]); a50.addProduct(b, x0); a51.addProduct(b, x1)
            xp += 64
        }
        @inline(__always) func store(_ r: Int, _ v0: SIMD8<Float>, _ v1: SIMD8<Float>) {
            guard r < rows else { return }
            let q = c + r * ldc
            if cols == 16 {
                let raw = UnsafeMutableRawPointer(q)
                if accumulate {
                    raw.storeBytes(of: raw.loadUnaligned(as: SIMD8<Float>.self) + v0, as: SIMD8<Float>.self)
                    raw.storeBytes(
                        of: raw.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self) + v1, toByteOffset: 32,
                        as: SIMD8<Float>.self)
                } else {
                    raw.storeBytes(of: v0, as: SIMD8<Float>.self)
                    raw.storeBytes(of: v1, toByteOffset: 32, as: SIMD8<Float>.self)
                }
            } else {
                for i in 0..<cols {
                    let v = i < 8 ? v0[i] : v1[i - 8]
                    q[i] = accumulate ? q[i] + v : v
                }
            }
        }
        store(0, a00, a01); store(1, a10, a11); store(2, a20, a21)
        store(3, a30, a31); store(4, a40, a41); store(5, a50, a51)
    }
}
