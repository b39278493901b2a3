import Foundation

/// Normalisations used by RAM, in (C, H, W) layout.
public enum Norm {
    /// LayerNorm over channels at every pixel (Restormer's WithBias_LayerNorm):
    /// y = (x − μ_p) / sqrt(σ²_p + eps) · weight[c] + bias[c], μ_p and biased σ²_p over the
    /// C values of pixel p. Accumulates per-pixel sums channel by channel so the inner loops
    /// run over contiguous pixels. Works in double for the sums (C up to 224).
    public static func layerNormChannels(
        _ x: Tensor, weight: [Float], bias: [Float], eps: Float = 1e-5,
        into out: inout Tensor
    ) {
        out.reshape(channels: x.channels, height: x.height, width: x.width)
        out.data.withUnsafeMutableBufferPointer { ob in
            let op = ob.baseAddress!, n = x.plane
            layerNormChannels(x, weight: weight, bias: bias, eps: eps) { op + $0 * n }
        }
    }

    /// LayerNorm fused with the mixer's interleaved split: normalised channel 2j goes to
    /// channel j of `even`, channel 2j+1 to channel j of `odd` (x[0::2], x[1::2]).
    public static func layerNormChannelsSplit(
        _ x: Tensor, weight: [Float], bias: [Float], eps: Float = 1e-5,
        even: inout Tensor, odd: inout Tensor
    ) {
        precondition(x.channels % 2 == 0)
        let half = x.channels / 2, n = x.plane
        even.reshape(channels: half, height: x.height, width: x.width)
        odd.reshape(channels: half, height: x.height, width: x.width)
        even.data.withUnsafeMutableBufferPointer { eb in
            odd.data.withUnsafeMutableBufferPointer { ob in
                let ep = eb.baseAddress!, op = ob.baseAddress!
                layerNormChannels(x, weight: weight, bias: bias, eps: eps) { ch in
                    (ch % 2 == 0 ? ep : op) + (ch / 2) * n
                }
            }
        }
    }

    /// LayerNorm core: channel ch of the result is written at destination(ch) (a plane).
    static func layerNormChannels(
        _ x: Tensor, weight: [Float], bias: [Float], eps: Float,
        destination: (Int) -> UnsafeMutablePointer<Float>
    ) {
        Profile.measure(.norm) {
            let c = x.channels, n = x.plane
            precondition(weight.count == c && bias.count == c)
            x.data.withUnsafeBufferPointer { xb in
                do {
                    let xp = xb.baseAddress!
                    // Pixel chunks are independent: split them across threads.
                    let chunk = 4096
                    let chunks = (n + chunk - 1) / chunk
                    Parallel.forEach(chunks) { ci in
                        let lo = ci * chunk, len = min(chunk, n - lo)
                        var mean = [Float](repeating: 0, count: len)
                        var m2 = [Float](repeating: 0, count: len)
                        mean.withUnsafeMutableBufferPointer { mb in
                            m2.withUnsafeMutableBufferPointer { vb in
                                let mp = mb.baseAddress!, vp = vb.baseAddress!
                                for ch in 0..<c {
                                    let s = xp + ch * n + lo
                                    for i in 0..<len { mp[i] += s[i] }
                                }
                                let inv = 1 / Float(c)
                                for i in 0..<len { mp[i] *= inv }
                                for ch in 0..<c {
                                    let s = xp + ch * n + lo
                                    for i in 0..<len { let d = s[i] - mp[i]; vp[i] += d * d }
                                }
                                for i in 0..<len { vp[i] = 1 / (vp[i] * inv + eps).squareRoot() }
                                for ch in 0..<c {
                                    let s = xp + ch * n + lo, d = destination(ch) + lo
                                    let g = weight[ch], b = bias[ch]
                                    for i in 0..<len { d[i] = (s[i] - mp[i]) * vp[i] * g + b }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// BatchNorm at inference: y = (x − running_mean) / sqrt(running_var + eps) · weight + bias.
    public static func batchNorm(
        _ x: Tensor, weight: [Float], bias: [Float], runningMean: [Float],
        runningVar: [Float], eps: Float = 1e-5, into out: inout Tensor
    ) {
        Profile.measure(.norm) {
            let c = x.channels, n = x.plane
            out.reshape(channels: c, height: x.height, width: x.width)
            x.data.withUnsafeBufferPointer { xb in
                out.data.withUnsafeMutableBufferPointer { ob in
                    for ch in 0..<c {
                        let scale = weight[ch] / (runningVar[ch] + eps).squareRoot()
                        let shift = bias[ch] - runningMean[ch] * scale
                        let s = xb.baseAddress! + ch * n, d = ob.baseAddress! + ch * n
                        for i in 0..<n { d[i] = s[i] * scale + shift }
                    }
                }
            }
        }
    }

    /// Per-channel spatial mean and standard deviation sqrt(biased var + eps), in double.
    public static func channelMeanStd(_ x: Tensor, eps: Double = 1e-6) -> (mean: [Float], std: [Float]) {
        let c = x.channels, n = x.plane
        var mean = [Float](repeating: 0, count: c), std = [Float](repeating: 0, count: c)
        x.data.withUnsafeBufferPointer { xb in
            for ch in 0..<c {
                let s = xb.baseAddress! + ch * n
                var sum = 0.0
                for i in 0..<n { sum += Double(s[i]) }
                let m = sum / Double(n)
                var v = 0.0
                for i in 0..<n { let d = Double(s[i]) - m; v += d * d }
                mean[ch] = Float(m)
                std[ch] = Float((v / Double(n) + eps).squareRoot())
            }
        }
        return (mean, std)
    }

    /// Scales each row of a (rows, n) matrix to unit L2 norm: x / max(‖x‖₂, eps) (F.normalize).
    public static func l2NormalizeRows(_ p: UnsafeMutablePointer<Float>, rows: Int, n: Int, eps: Float = 1e-12) {
        for r in 0..<rows {
            let row = p + r * n
            var s: Float = 0
            for i in 0..<n { s += row[i] * row[i] }
            let inv = 1 / max(s.squareRoot(), eps)
            for i in 0..<n { row[i] *= inv }
        }
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
