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
        }
    }
}
