/// Transposed ("channel") attention of Restormer's MDTA, without its projections.
public enum ChannelAttention {
    /// q, k, v: (heads·ch, n) each, consecutive. For each head h:
    ///   q̂ = normalize(q_h), k̂ = normalize(k_h) along n; A = softmax(q̂ k̂ᵀ · temperature[h]) (ch×ch);
    ///   out_h = A · v_h (ch×n). q and k are normalised in place.
    public static func apply(
        q: UnsafeMutablePointer<Float>, k: UnsafeMutablePointer<Float>, v: UnsafePointer<Float>,
        heads: Int, channelsPerHead ch: Int, n: Int, temperature: [Float],
        out: UnsafeMutablePointer<Float>
    ) {
        Profile.count(flops: 4 * heads * ch * ch * n)
        Profile.measure(.attention) {
            let threads = Parallel.threads
            if heads >= threads || threads <= 1 || n < 4096 {
                // Heads are independent: split them across threads.
                Parallel.forEach(heads) { h in
                    let a = UnsafeMutablePointer<Float>.allocate(capacity: ch * ch)
                    defer { a.deallocate() }
                    let off = h * ch * n
                    Norm.l2NormalizeRows(q + off, rows: ch, n: n)
                    Norm.l2NormalizeRows(k + off, rows: ch, n: n)
                    Gemm.sgemm(
                        transB: true, m: ch, n: ch, k: n, alpha: temperature[h],
                        a: q + off, lda: n, b: k + off, ldb: n, c: a, ldc: ch)
                    Norm.softmaxRows(a, rows: ch, n: ch)
                    Gemm.sgemm(m: ch, n: n, k: ch, a: a, lda: ch, b: v + off, ldb: n, c: out + off, ldc: n)
                }
                return
            }
            // Fewer heads than threads (level 1 has one head over the largest plane): split each
            // head's work instead. Rows are normalised in parallel; q̂·k̂ᵀ is summed from one
            // partial product per column block; A·v goes through Conv.gemmColumns.
            let a = UnsafeMutablePointer<Float>.allocate(capacity: (threads + 1) * ch * ch)
            defer { a.deallocate() }
            for h in 0..<heads {
                let off = h * ch * n
                Parallel.forEach(2 * ch) { r in
                    Norm.l2NormalizeRows((r < ch ? q : k) + off + (r % ch) * n, rows: 1, n: n)
                }
                let partial = a + ch * ch
                Parallel.forEach(threads) { part in
                    let lo = n * part / threads, hi = n * (part + 1) / threads
                    Gemm.sgemm(
                        transB: true, m: ch, n: ch, k: hi - lo, alpha: temperature[h],
                        a: q + off + lo, lda: n, b: k + off + lo, ldb: n, c: partial + part * ch * ch, ldc: ch)
                }
                for i in 0..<(ch * ch) {
                    var sum: Float = 0
                    for part in 0..<threads { sum += partial[part * ch * ch + i] }
                    a[i] = sum
                }
                Norm.softmaxRows(a, rows: ch, n: ch)
                Conv.gemmColumns(n) { lo, len in
                    Gemm.sgemm(m: ch, n: len, k: ch, a: a, lda: ch, b: v + off + lo, ldb: n, c: out + off + lo, ldc: n)
                }
            }
        }
    }
}
