/// Transposed ("channel") attention of Restormer's MDTA, without its projections.
public enum ChannelAttention {
    /// q, k, v: (heads·ch, n) each, consecutive. For each head h:
    ///   q̂ = normalize(q_h), k̂ = normalize(k_h) along n; A = softmax(q̂ k̂ᵀ · temperature[h]) (ch×ch);
    ///   out_h = A · v_h (ch×n).
    /// Computed as the sums `AttentionSums` collects (q·kᵀ and the row norms, in double over
    /// chunks of pixels), so one pass over an image and the streamed pass over its tiles
    /// compute the same matrices up to the order of a few double additions.
    public static func apply(
        q: UnsafeMutablePointer<Float>, k: UnsafeMutablePointer<Float>, v: UnsafePointer<Float>,
        heads: Int, channelsPerHead ch: Int, n: Int, temperature: [Float],
        out: UnsafeMutablePointer<Float>, context ctx: ExecutionContext
    ) {
        var sums = AttentionSums(heads: heads, channelsPerHead: ch)
        sums.accumulate(q: q, k: k, stride: n, from: 0, count: n, context: ctx)
        applyMatrices(sums.matrices(temperature: temperature), v: v, channelsPerHead: ch, n: n, out: out, context: ctx)
    }
}

extension ChannelAttention {
    /// out_h = A_h · v_h for each head, with A_h (ch×ch) given: the attention of a larger
    /// image applied to a part of it. v and out are (heads·ch, n).
    public static func applyMatrices(
        _ matrices: [[Float]], v: UnsafePointer<Float>, channelsPerHead ch: Int, n: Int,
        out: UnsafeMutablePointer<Float>, context ctx: ExecutionContext
    ) {
        ctx.count(flops: 2 * matrices.count * ch * ch * n)
        ctx.measure(.attention) {
            precondition(matrices.allSatisfy { $0.count == ch * ch }, "attention matrices must be \(ch)x\(ch)")
            if matrices.count >= ctx.threads || n < 4096 {
                // Heads are independent: split them across threads.
                ctx.forEach(matrices.count) { h in
                    matrices[h].withUnsafeBufferPointer { ab in
                        Gemm.sgemm(m: ch, n: n, k: ch, a: ab.baseAddress!, lda: ch, b: v + h * ch * n, ldb: n,
                                   c: out + h * ch * n, ldc: n)
                    }
                }
                return
            }
            // Fewer heads than threads (level 1 has one head over the largest plane): split the
            // columns of each product instead.
            for (h, a) in matrices.enumerated() {
                let off = h * ch * n
                a.withUnsafeBufferPointer { ab in
                    Conv.gemmColumns(n, context: ctx) { lo, len in
                        Gemm.sgemm(m: ch, n: len, k: ch, a: ab.baseAddress!, lda: ch, b: v + off + lo, ldb: n,
                                   c: out + off + lo, ldc: n)
                    }
                }
            }
        }
    }
}

/// Sufficient statistics of channel attention over a set of pixels: per head the unnormalised
/// q·kᵀ and the squared L2 norms of q's and k's rows, in double. Sums over disjoint pixel sets
/// add up to the sums over their union, so an image can be visited in bands; `matrices` then
/// gives exactly the softmax(q̂·k̂ᵀ · temperature) that one pass over the whole image computes
/// (q̂ = q / max(‖q‖, eps), as F.normalize).
public struct AttentionSums: Sendable, Equatable {
    public let heads: Int
    public let channelsPerHead: Int
    public private(set) var qk: [Double]   // heads × ch × ch
    public private(set) var qq: [Double]   // heads · ch
    public private(set) var kk: [Double]

    /// Pixels per float partial product.
    public static let chunk = 16384

    public init(heads: Int, channelsPerHead ch: Int) {
        self.heads = heads
        channelsPerHead = ch
        qk = [Double](repeating: 0, count: heads * ch * ch)
        qq = [Double](repeating: 0, count: heads * ch)
        kk = [Double](repeating: 0, count: heads * ch)
    }

    public mutating func add(_ other: AttentionSums) {
        precondition(other.heads == heads && other.channelsPerHead == channelsPerHead)
        for i in qk.indices { qk[i] += other.qk[i] }
        for i in qq.indices { qq[i] += other.qq[i]; kk[i] += other.kk[i] }
    }

    /// Adds pixels [lo, lo + count) of q and k, each (heads·ch, stride).
    public mutating func accumulate(q: UnsafePointer<Float>, k: UnsafePointer<Float>, stride n: Int, from lo: Int, count: Int,
                                    context ctx: ExecutionContext) {
        let ch = channelsPerHead, rows = heads * ch
        if count <= 0 { return }
        ctx.count(flops: 2 * heads * ch * ch * count)
        ctx.measure(.attention) {
            // One float product per chunk of at most `chunk` pixels and head (chunks and heads
            // across threads), added in double in chunk order: the float sums stay short, and
            // the result does not depend on the thread count.
            let chunk = AttentionSums.chunk
            let chunks = (count + chunk - 1) / chunk
            let partial = UnsafeMutablePointer<Float>.allocate(capacity: chunks * heads * ch * ch)
            defer { partial.deallocate() }
            ctx.forEach(chunks * heads) { job in
                let part = job / heads, h = job % heads
                let a = lo + part * chunk, b = min(lo + count, a + chunk)
                let off = h * ch * n + a
                Gemm.sgemm(transB: true, m: ch, n: ch, k: b - a, a: q + off, lda: n, b: k + off, ldb: n,
                           c: partial + (part * heads + h) * ch * ch, ldc: ch)
            }
            for part in 0..<chunks {
                for i in 0..<(heads * ch * ch) { qk[i] += Double(partial[part * heads * ch * ch + i]) }
            }
            var squares = [Double](repeating: 0, count: 2 * rows)
            squares.withUnsafeMutableBufferPointer { sq in
                let s = sq.baseAddress!
                ctx.forEach(2 * rows) { r in
                    let row = (r < rows ? q + r * n : k + (r - rows) * n) + lo
                    s[r] = Norm.sumOfSquares(row, count)
                }
            }
            for r in 0..<rows { qq[r] += squares[r]; kk[r] += squares[rows + r] }
        }
    }

    /// Per head, the softmaxed ch×ch attention matrix of all the pixels added so far.
    public func matrices(temperature: [Float], eps: Double = 1e-12) -> [[Float]] {
        let ch = channelsPerHead
        return (0..<heads).map { h in
            var a = [Float](repeating: 0, count: ch * ch)
            for i in 0..<ch {
                let ni = max(qq[h * ch + i].squareRoot(), eps)
                for j in 0..<ch {
                    let nj = max(kk[h * ch + j].squareRoot(), eps)
                    a[i * ch + j] = Float(qk[(h * ch + i) * ch + j] / (ni * nj) * Double(temperature[h]))
                }
            }
            a.withUnsafeMutableBufferPointer { Norm.softmaxRows($0.baseAddress!, rows: ch, n: ch) }
            return a
        }
    }
}
