import Foundation
import TensorCore

/// Obvious reference implementations of the fast kernels, used only by tests.
/// Written for clarity (direct loops, double accumulation), never for speed.
public enum Naive {
    /// Grouped 2-D convolution, zero padding k/2, stride 1, no bias.
    /// weight: (O, C/groups, k, k).
    public static func conv2d(_ x: Tensor, weight: [Float], outChannels o: Int, kernel k: Int, groups: Int = 1) -> Tensor {
        let c = x.channels, h = x.height, w = x.width, r = k / 2
        let cpg = c / groups, opg = o / groups
        var out = Tensor(channels: o, height: h, width: w)
        for oc in 0..<o {
            let g = oc / opg
            for y in 0..<h {
                for xx in 0..<w {
                    var s = 0.0
                    for icg in 0..<cpg {
                        let ic = g * cpg + icg
                        for ky in 0..<k {
                            for kx in 0..<k {
                                let iy = y + ky - r, ix = xx + kx - r
                                if iy < 0 || iy >= h || ix < 0 || ix >= w { continue }
                                s += Double(weight[((oc * cpg + icg) * k + ky) * k + kx]) * Double(x[ic, iy, ix])
                            }
                        }
                    }
                    out[oc, y, xx] = Float(s)
                }
            }
        }
        return out
    }

    public static func layerNormChannels(_ x: Tensor, weight: [Float], bias: [Float], eps: Double = 1e-5) -> Tensor {
        var out = x
        for y in 0..<x.height {
            for xx in 0..<x.width {
                var m = 0.0
                for c in 0..<x.channels { m += Double(x[c, y, xx]) }
                m /= Double(x.channels)
                var v = 0.0
                for c in 0..<x.channels { v += pow(Double(x[c, y, xx]) - m, 2) }
                v /= Double(x.channels)
                for c in 0..<x.channels {
                    out[c, y, xx] = Float((Double(x[c, y, xx]) - m) / (v + eps).squareRoot() * Double(weight[c]) + Double(bias[c]))
                }
            }
        }
        return out
    }

    /// Channel attention on q, k, v tensors of (heads·ch, H, W).
    public static func channelAttention(q: Tensor, k: Tensor, v: Tensor, heads: Int, temperature: [Float]) -> Tensor {
        let ch = q.channels / heads, n = q.plane
        var out = Tensor(channels: q.channels, height: q.height, width: q.width)
        func norm(_ t: Tensor, _ row: Int) -> Double {
            var s = 0.0
            for i in 0..<n { s += pow(Double(t.data[row * n + i]), 2) }
            return max(s.squareRoot(), 1e-12)
        }
        for h in 0..<heads {
            for i in 0..<ch {
                let qi = h * ch + i
                var logits = [Double](repeating: 0, count: ch)
                for j in 0..<ch {
                    let kj = h * ch + j
                    var s = 0.0
                    for p in 0..<n { s += Double(q.data[qi * n + p]) * Double(k.data[kj * n + p]) }
                    logits[j] = s / (norm(q, qi) * norm(k, kj)) * Double(temperature[h])
                }
                let m = logits.max()!
                let e = logits.map { exp($0 - m) }
                let z = e.reduce(0, +)
                for p in 0..<n {
                    var s = 0.0
                    for j in 0..<ch { s += e[j] / z * Double(v.data[(h * ch + j) * n + p]) }
                    out.data[qi * n + p] = Float(s)
                }
            }
        }
        return out
    }

    public static func pixelShuffle(_ x: Tensor, _ r: Int) -> Tensor {
        var out = Tensor(channels: x.channels / (r * r), height: x.height * r, width: x.width * r)
        for c in 0..<out.channels { for y in 0..<out.height { for xx in 0..<out.width {
            out[c, y, xx] = x[c * r * r + (y % r) * r + (xx % r), y / r, xx / r]
        } } }
        return out
    }

    public static func pixelUnshuffle(_ x: Tensor, _ r: Int) -> Tensor {
        var out = Tensor(channels: x.channels * r * r, height: x.height / r, width: x.width / r)
        for c in 0..<x.channels { for y in 0..<x.height { for xx in 0..<x.width {
            out[c * r * r + (y % r) * r + (xx % r), y / r, xx / r] = x[c, y, xx]
        } } }
        return out
    }

    /// Even channels (0, 2, 4, …) and odd channels (x[0::2], x[1::2]): what
    /// `Norm.layerNormChannelsSplit` splits its output into.
    public static func splitInterleaved(_ x: Tensor) -> (even: Tensor, odd: Tensor) {
        let half = x.channels / 2
        var even = Tensor(channels: half, height: x.height, width: x.width), odd = even
        for c in 0..<half { for y in 0..<x.height { for xx in 0..<x.width {
            even[c, y, xx] = x[2 * c, y, xx]
            odd[c, y, xx] = x[2 * c + 1, y, xx]
        } } }
        return (even, odd)
    }

    /// Per-channel spatial mean and standard deviation sqrt(biased var + eps), two passes in
    /// double: what `Norm.batchNormWithStatistics` and `ChannelMoments` compute in one.
    public static func channelMeanStd(_ x: Tensor, eps: Double = 1e-6) -> (mean: [Float], std: [Float]) {
        var mean = [Float](repeating: 0, count: x.channels), std = mean
        for ch in 0..<x.channels {
            let s = x.data[(ch * x.plane)..<((ch + 1) * x.plane)].map(Double.init)
            let m = s.reduce(0, +) / Double(x.plane)
            let v = s.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.plane)
            mean[ch] = Float(m)
            std[ch] = Float((v + eps).squareRoot())
        }
        return (mean, std)
    }

    /// The FFN half of a block, term by term: LayerNorm over channels, project_in (c → 2n),
    /// depthwise 3×3, GELU gate, project_out (n → c). Returns the change the FFN adds to `x`
    /// (the residual is the caller's).
    public static func ffnChange(_ x: Tensor, lnWeight: [Float], lnBias: [Float], projectIn: [Float],
                                 depthwise: [Float], projectOut: [Float], hidden n: Int) -> Tensor {
        let ln = layerNormChannels(x, weight: lnWeight, bias: lnBias)
        let y1 = conv2d(ln, weight: projectIn, outChannels: 2 * n, kernel: 1)
        let y2 = conv2d(y1, weight: depthwise, outChannels: 2 * n, kernel: 3, groups: 2 * n)
        let plane = n * x.height * x.width
        var gate = Tensor(channels: n, height: x.height, width: x.width)
        for i in 0..<plane { gate.data[i] = gelu(y2.data[i]) * y2.data[plane + i] }
        return conv2d(gate, weight: projectOut, outChannels: x.channels, kernel: 1)
    }

    public static func gelu(_ x: Float) -> Float { Float(0.5 * Double(x) * (1 + erf(Double(x) / 2.0.squareRoot()))) }

    /// W (m×k) · X (k×n), row-major, summed in double; also Σ_k |w||x| per element (the scale
    /// of a rounding-error bound).
    public static func matmul(m: Int, n: Int, k: Int, w: [Float], x: [Float]) -> (product: [Double], magnitude: [Double]) {
        var p = [Double](repeating: 0, count: m * n), a = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for kk in 0..<k {
                let wv = Double(w[i * k + kk])
                for j in 0..<n {
                    let xv = Double(x[kk * n + j])
                    p[i * n + j] += wv * xv
                    a[i * n + j] += abs(wv * xv)
                }
            }
        }
        return (p, a)
    }
}

/// Deterministic pseudo-random tensors for tests: `SeededRandom`, uniform in [-1, 1).
public struct TestRandom {
    var generator: SeededRandom
    public init(seed: UInt64) { generator = SeededRandom(seed: seed) }
    public mutating func next() -> Float { generator.signedUnit() }
    public mutating func array(_ n: Int, scale: Float = 1) -> [Float] { (0..<n).map { _ in next() * scale } }
    public mutating func tensor(_ c: Int, _ h: Int, _ w: Int, scale: Float = 1) -> Tensor {
        Tensor(channels: c, height: h, width: w, data: array(c * h * w, scale: scale))
    }
}
