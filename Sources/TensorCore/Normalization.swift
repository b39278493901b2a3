import Foundation

/// Normalisations used by RAM, in (C, H, W) layout.
public enum Norm {
    /// LayerNorm over channels at every pixel (Restormer's WithBias_LayerNorm):
    /// y = (x − μ_p) / sqrt(σ²_p + eps) · weight[c] + bias[c], μ_p and biased σ²_p over the
    /// C values of pixel p. Accumulates per-pixel sums channel by channel so the inner loops
    /// run over contiguous pixels. Works in double for the sums (C up to 224).
    public static func layerNormChannels(
        _ x: Tensor, weight: [Float], bias: [Float], eps: Float = 1e-5,
        into out: inout Tensor, context ctx: ExecutionContext
    ) {
        out.reshape(channels: x.channels, height: x.height, width: x.width)
        out.data.withUnsafeMutableBufferPointer { ob in
            let op = ob.baseAddress!, n = x.plane
            layerNormChannels(x, weight: weight, bias: bias, eps: eps, context: ctx) { op + $0 * n }
        }
    }

    /// LayerNorm fused with the mixer's interleaved split: normalised channel 2j goes to
    /// channel j of `even`, channel 2j+1 to channel j of `odd` (x[0::2], x[1::2]).
    public static func layerNormChannelsSplit(
        _ x: Tensor, weight: [Float], bias: [Float], eps: Float = 1e-5,
        even: inout Tensor, odd: inout Tensor, context ctx: ExecutionContext
    ) {
        precondition(x.channels % 2 == 0)
        let half = x.channels / 2, n = x.plane
        even.reshape(channels: half, height: x.height, width: x.width)
        odd.reshape(channels: half, height: x.height, width: x.width)
        even.data.withUnsafeMutableBufferPointer { eb in
            odd.data.withUnsafeMutableBufferPointer { ob in
                let ep = eb.baseAddress!, op = ob.baseAddress!
                layerNormChannels(x, weight: weight, bias: bias, eps: eps, context: ctx) { ch in
                    (ch % 2 == 0 ? ep : op) + (ch / 2) * n
                }
            }
        }
    }

    /// LayerNorm core: channel ch of the result is written at destination(ch) (a plane).
    static func layerNormChannels(
        _ x: Tensor, weight: [Float], bias: [Float], eps: Float, context ctx: ExecutionContext,
        destination: (Int) -> UnsafeMutablePointer<Float>
    ) {
        ctx.measure(.norm) {
            let c = x.channels, n = x.plane
            precondition(weight.count == c && bias.count == c)
            x.data.withUnsafeBufferPointer { xb in
                do {
                    let xp = xb.baseAddress!
                    // Pixel chunks are independent: split them across threads.
                    let chunk = 4096
                    let chunks = (n + chunk - 1) / chunk
                    ctx.forEach(chunks) { ci in
                        let lo = ci * chunk, len = min(chunk, n - lo)
                        let buf = UnsafeMutablePointer<Float>.allocate(capacity: 3 * len)
                        defer { buf.deallocate() }
                        layerNormPixels(xp + lo, channelStride: n, channels: c, count: len, weight: weight, bias: bias,
                                        eps: eps, scratch: buf) { destination($0) + lo }
                    }
                }
            }
        }
    }

    /// LayerNorm over channels of `len` pixels: channel ch of pixel i is src[ch·channelStride + i],
    /// its result goes to destination(ch)[i]. One pass for the moments, on values shifted by the
    /// pixel's first channel (keeps E[d²] − E[d]² well conditioned), one pass for the output.
    /// `scratch` holds 3·len floats.
    @inline(__always)
    public static func layerNormPixels(
        _ src: UnsafePointer<Float>, channelStride n: Int, channels c: Int, count len: Int, weight: [Float],
        bias: [Float], eps: Float, scratch: UnsafeMutablePointer<Float>,
        destination: (Int) -> UnsafeMutablePointer<Float>
    ) {
        let shift = scratch, sum = scratch + len, sq = scratch + 2 * len
        shift.update(from: src, count: len)
        sum.update(repeating: 0, count: 2 * len)
        for ch in 1..<max(1, c) {
            let s = src + ch * n
            for i in 0..<len {
                let d = s[i] - shift[i]
                sum[i] += d
                sq[i] = sq[i].addingProduct(d, d)
            }
        }
        let inv = 1 / Float(c)
        for i in 0..<len {
            let m = sum[i] * inv
            let v = max(0, sq[i] * inv - m * m)
            sum[i] = shift[i] + m  // mean
            sq[i] = 1 / (v + eps).squareRoot()  // 1/σ
        }
        for ch in 0..<c {
            let s = src + ch * n, d = destination(ch)
            let g = weight[ch], b = bias[ch]
            for i in 0..<len { d[i] = (s[i] - sum[i]) * sq[i] * g + b }
        }
    }

    /// BatchNorm at inference: y = (x − running_mean) / sqrt(running_var + eps) · weight + bias.
    public static func batchNorm(
        _ x: Tensor, weight: [Float], bias: [Float], runningMean: [Float],
        runningVar: [Float], eps: Float = 1e-5, into out: inout Tensor, context ctx: ExecutionContext
    ) {
        _ = batchNormWithStatistics(x, weight: weight, bias: bias, runningMean: runningMean, runningVar: runningVar,
                                    eps: eps, into: &out, context: ctx)
    }

    /// BatchNorm at inference fused with GatedDA's statistics of its output: per channel the
    /// spatial mean and sqrt(biased variance + statEps) of y, accumulated in the same pass
    /// (float partial sums per 1024 pixels on values shifted by the channel's first output,
    /// totals in double). Channels are split across threads.
    @discardableResult
    public static func batchNormWithStatistics(
        _ x: Tensor, weight: [Float], bias: [Float], runningMean: [Float],
        runningVar: [Float], eps: Float = 1e-5, statEps: Double = 1e-6, into out: inout Tensor,
        context ctx: ExecutionContext
    ) -> (mean: [Float], std: [Float]) {
        let c = x.channels, n = x.plane
        out.reshape(channels: c, height: x.height, width: x.width)
        var mean = [Float](repeating: 0, count: c), std = [Float](repeating: 0, count: c)
        ctx.measure(.norm) {
            x.data.withUnsafeBufferPointer { xb in
                out.data.withUnsafeMutableBufferPointer { ob in
                    mean.withUnsafeMutableBufferPointer { mb in
                        std.withUnsafeMutableBufferPointer { sb in
                            let xp = xb.baseAddress!, op = ob.baseAddress!, mp = mb.baseAddress!, sp = sb.baseAddress!
                            ctx.forEach(c) { ch in
                                let scale = weight[ch] / (runningVar[ch] + eps).squareRoot()
                                let shift = bias[ch] - runningMean[ch] * scale
                                let s = xp + ch * n, d = op + ch * n
                                let ref = n > 0 ? s[0] * scale + shift : 0
                                let (total, totalSq) = shiftedMoments(count: n, reference: ref) { i in
                                    let y = s[i] * scale + shift
                                    d[i] = y
                                    return y
                                }
                                (mp[ch], sp[ch]) = meanStd(sum: total, sumSquares: totalSq, count: n, reference: ref,
                                                           statEps: statEps)
                            }
                        }
                    }
                }
            }
        }
        return (mean, std)
    }

    /// Row-wise softmax of a (rows, n) matrix, in place, max-subtracted.
    public static func softmaxRows(_ p: UnsafeMutablePointer<Float>, rows: Int, n: Int) {
        for r in 0..<rows {
            let row = p + r * n
            var m = -Float.infinity
            for i in 0..<n { m = max(m, row[i]) }
            var s: Float = 0
            for i in 0..<n { let e = expf(row[i] - m); row[i] = e; s += e }
            let inv = 1 / s
            for i in 0..<n { row[i] *= inv }
        }
    }
}

extension Norm {
    /// Σ(y − reference) and Σ(y − reference)² over y = value(i), i in 0..<count, in double
    /// from float partial sums over 1024 values; the shift keeps the float sums accurate.
    /// BatchNorm's statistics of its output (one pass, `batchNormWithStatistics`; tile by tile,
    /// `ChannelMoments`) are both made of these.
    @inline(__always)
    static func shiftedMoments(count n: Int, reference: Float, _ value: (Int) -> Float) -> (sum: Double, sumSquares: Double) {
        var total = 0.0, totalSq = 0.0, lo = 0
        while lo < n {
            let hi = min(n, lo + 1024)
            var ps: Float = 0, pq: Float = 0
            for i in lo..<hi {
                let t = value(i) - reference
                ps += t
                pq = pq.addingProduct(t, t)
            }
            total += Double(ps)
            totalSq += Double(pq)
            lo = hi
        }
        return (total, totalSq)
    }

    /// The mean and sqrt(biased variance + statEps) of `count` values from their sums shifted by `reference`.
    static func meanStd(sum: Double, sumSquares: Double, count: Int, reference: Float, statEps: Double) -> (Float, Float) {
        let m = sum / Double(max(1, count))
        let v = max(0, sumSquares / Double(max(1, count)) - m * m)
        return (Float(Double(reference) + m), Float((v + statEps).squareRoot()))
    }

    /// Σ x² in double, from float partial sums over 1024 values.
    public static func sumOfSquares(_ x: UnsafePointer<Float>, _ n: Int) -> Double {
        var total = 0.0, lo = 0
        while lo < n {
            let hi = min(n, lo + 1024)
            var s: Float = 0
            for i in lo..<hi { s = s.addingProduct(x[i], x[i]) }
            total += Double(s)
            lo = hi
        }
        return total
    }
}

/// Per-channel first and second moments of BatchNorm's output over a set of pixels, in
/// double, shifted by each channel's BatchNorm bias (the output's expected mean) for accuracy.
/// Sums over disjoint pixel sets add up; `meanStd` gives what `batchNormWithStatistics`
/// returns for their union.
public struct ChannelMoments: Sendable, Equatable {
    public private(set) var sum: [Double]
    public private(set) var sumSquares: [Double]
    public private(set) var count: Int
    let shift: [Float]

    public init(shift: [Float]) {
        self.shift = shift
        sum = [Double](repeating: 0, count: shift.count)
        sumSquares = sum
        count = 0
    }

    public mutating func add(_ other: ChannelMoments) {
        precondition(other.shift == shift)
        for i in sum.indices { sum[i] += other.sum[i]; sumSquares[i] += other.sumSquares[i] }
        count += other.count
    }

    /// Adds pixels [lo, lo + count) of BatchNorm(x), x being (C, stride).
    public mutating func accumulateBatchNorm(
        _ x: UnsafePointer<Float>, stride n: Int, from lo: Int, count len: Int, weight: [Float], bias: [Float],
        runningMean: [Float], runningVar: [Float], eps: Float = 1e-5, context ctx: ExecutionContext
    ) {
        let c = shift.count
        var s = [Double](repeating: 0, count: c), q = [Double](repeating: 0, count: c)
        ctx.measure(.norm) {
            s.withUnsafeMutableBufferPointer { sb in
                q.withUnsafeMutableBufferPointer { qb in
                    let sp = sb.baseAddress!, qp = qb.baseAddress!
                    ctx.forEach(c) { ch in
                        let scale = weight[ch] / (runningVar[ch] + eps).squareRoot()
                        let bnShift = bias[ch] - runningMean[ch] * scale
                        let src = x + ch * n + lo
                        (sp[ch], qp[ch]) = Norm.shiftedMoments(count: len, reference: shift[ch]) { src[$0] * scale + bnShift }
                    }
                }
            }
        }
        for ch in 0..<c { sum[ch] += s[ch]; sumSquares[ch] += q[ch] }
        count += len
    }

    /// Per channel: the mean and sqrt(biased variance + statEps).
    public func meanStd(statEps: Double = 1e-6) -> (mean: [Float], std: [Float]) {
        var mean = [Float](repeating: 0, count: sum.count), std = mean
        for ch in sum.indices {
            (mean[ch], std[ch]) = Norm.meanStd(sum: sum[ch], sumSquares: sumSquares[ch], count: count, reference: shift[ch],
                                               statEps: statEps)
        }
        return (mean, std)
    }
}
