import TensorCore

/// Which taps a forward pass should capture, and where they go. Asking for nothing costs
/// nothing: each block checks its own flags once.
public struct TapRequest: Sendable {
    public var names: Set<String>
    public init(_ names: Set<String> = []) { self.names = names }
    public static let none = TapRequest()
    func wants(_ block: String, _ branch: String) -> Bool { !names.isEmpty && names.contains(block + "." + branch) }
}

/// The branches a tap can name, per block.
public enum TapBranch: String, CaseIterable, Sendable {
    case gamma, beta, alpha, out, attn
}

extension BlockWeights {
    /// x ← x + mixer(LN1(x)); x ← x + ffn(LN2(x)). `x` is ws.x.
    func forward(_ ws: Workspace, taps: TapRequest, captured: inout [String: Tensor]) {
        let c = width
        // --- Mixer ---
        Norm.layerNormChannels(ws.x, weight: norm1Weight, bias: norm1Bias, into: &ws.ln)
        Layout.splitInterleaved(ws.ln, even: &ws.xAtt, odd: &ws.xGate)
        mixer.attention(ws)
        mixer.gated.forward(ws, block: name, taps: taps, captured: &captured)
        if taps.wants(name, "attn") { captured[name + ".attn"] = ws.outAtt }
        mixer.crossUpdate(ws)
        Conv.pointwise(ws.fused, weight: mixer.projectOut, outChannels: c, into: &ws.proj)
        add(&ws.x, ws.proj)
        // --- FFN ---
        Norm.layerNormChannels(ws.x, weight: norm2Weight, bias: norm2Bias, into: &ws.ln)
        let n = ffn.hidden
        Conv.pointwise(ws.ln, weight: ffn.projectIn, outChannels: 2 * n, into: &ws.ffn1)
        Conv.depthwise(ws.ffn1, weight: ffn.depthwise, kernel: 3, into: &ws.ffn2)
        ws.ffnGate.reshape(channels: n, height: ws.x.height, width: ws.x.width)
        let half = n * ws.x.plane
        ws.ffn2.data.withUnsafeBufferPointer { src in
            ws.ffnGate.data.withUnsafeMutableBufferPointer { dst in
                Activation.geluGate(src.baseAddress!, src.baseAddress! + half, dst.baseAddress!, count: half)
            }
        }
        Conv.pointwise(ws.ffnGate, weight: ffn.projectOut, outChannels: c, into: &ws.proj)
        add(&ws.x, ws.proj)
    }
}

/// x += y elementwise.
func add(_ x: inout Tensor, _ y: Tensor) {
    Profile.measure(.elementwise) {
        precondition(x.count == y.count)
        x.data.withUnsafeMutableBufferPointer { xb in
            y.data.withUnsafeBufferPointer { yb in
                FastMath.map2(xb.baseAddress!, yb.baseAddress!, xb.baseAddress!, xb.count) { $0 + $1 }
            }
        }
    }
}

extension MixerWeights {
    /// out_att = channel attention of ws.xAtt (half channels) → ws.outAtt.
    func attention(_ ws: Workspace) {
        let half = ws.xAtt.channels
        Conv.pointwise(ws.xAtt, weight: qkv, outChannels: 3 * half, into: &ws.qkv1)
        Conv.depthwise(ws.qkv1, weight: qkvDepthwise, kernel: 3, into: &ws.qkv)
        ws.outAtt.reshape(channels: half, height: ws.xAtt.height, width: ws.xAtt.width)
        let n = ws.xAtt.plane
        let temperature = self.temperature, heads = self.heads
        ws.qkv.data.withUnsafeMutableBufferPointer { qb in
            ws.outAtt.data.withUnsafeMutableBufferPointer { ob in
                let q = qb.baseAddress!
                ChannelAttention.apply(
                    q: q, k: q + half * n, v: q + 2 * half * n, heads: heads,
                    channelsPerHead: half / heads, n: n, temperature: temperature,
                    out: ob.baseAddress!)
            }
        }
    }

    /// F_ag = att + σ(gate), F_ga = gate + σ(att); fused = [F_ag; F_ga], or with frequency
    /// fusion λ·[F_ag; F_ga] + (1−λ)·repeat_interleave(att + gate, 2).
    func crossUpdate(_ ws: Workspace) {
        Profile.measure(.elementwise) {
            let half = ws.outAtt.channels, n = ws.outAtt.plane
            ws.fused.reshape(channels: 2 * half, height: ws.outAtt.height, width: ws.outAtt.width)
            let lam = lambda
            ws.outAtt.data.withUnsafeBufferPointer { ab in
                ws.outGate.data.withUnsafeBufferPointer { gb in
                    ws.fused.data.withUnsafeMutableBufferPointer { fb in
                        let a = ab.baseAddress!, g = gb.baseAddress!, f = fb.baseAddress!
                        let m = half * n
                        FastMath.map2(a, g, f, m) { a, g in a + FastMath.sigmoid(g) }
                        FastMath.map2(g, a, f + m, m) { g, a in g + FastMath.sigmoid(a) }
                        if let lam {
                            for ch in 0..<2 * half {
                                let src = (ch / 2) * n
                                let dst = f + ch * n
                                for i in 0..<n { dst[i] = lam * dst[i] + (1 - lam) * (a[src + i] + g[src + i]) }
                            }
                        }
                    }
                }
            }
        }
    }
}

extension GatedDAWeights {
    /// GatedDA on ws.xGate → ws.outGate (docs/NETWORK.md, "GatedDA").
    func forward(_ ws: Workspace, block: String, taps: TapRequest, captured: inout [String: Tensor]) {
        let c = channels, na = alphaChannels
        let h = ws.xGate.height, w = ws.xGate.width, n = h * w
        Norm.batchNorm(ws.xGate, weight: bnWeight, bias: bnBias, runningMean: bnMean, runningVar: bnVar, into: &ws.bn)
        let (mu, s) = Norm.channelMeanStd(ws.bn)
        Conv.pointwise(ws.bn, weight: wExp, outChannels: hidden, into: &ws.expanded)
        // α′ = W_depth(α) · (1 + τ·σ(μ + s)), on the first na channels' statistics.
        ws.alpha.reshape(channels: na, height: h, width: w)
        ws.expanded.data.withUnsafeBufferPointer { eb in
            ws.alpha.data.withUnsafeMutableBufferPointer { ab in
                ab.baseAddress!.update(from: eb.baseAddress! + 2 * c * n, count: na * n)
            }
        }
        Conv.depthwise(ws.alpha, weight: wDepth, kernel: 7, into: &ws.alphaOut)
        ws.alphaOut.data.withUnsafeMutableBufferPointer { ab in
            for ch in 0..<na {
                let scale = 1 + tau[ch] * Activation.sigmoid(mu[ch] + s[ch])
                let p = ab.baseAddress! + ch * n
                for i in 0..<n { p[i] *= scale }
            }
        }
        // [β; α′] → W_gate → · σ(γ), + x, → W_proj.
        ws.betaAlpha.reshape(channels: c + na, height: h, width: w)
        ws.expanded.data.withUnsafeBufferPointer { eb in
            ws.alphaOut.data.withUnsafeBufferPointer { ab in
                ws.betaAlpha.data.withUnsafeMutableBufferPointer { db in
                    db.baseAddress!.update(from: eb.baseAddress! + c * n, count: c * n)
                    (db.baseAddress! + c * n).update(from: ab.baseAddress!, count: na * n)
                }
            }
        }
        Conv.pointwise(ws.betaAlpha, weight: wGate, outChannels: c, into: &ws.gate)
        let wantGamma = taps.wants(block, "gamma")
        var gammaTap = wantGamma ? Tensor(channels: c, height: h, width: w) : Tensor(channels: 0, height: 0, width: 0)
        // F_gated + x = σ(γ) · gate + x, fused in one pass (γ is the first C channels).
        Profile.measure(.elementwise) {
            ws.expanded.data.withUnsafeBufferPointer { eb in
                ws.xGate.data.withUnsafeBufferPointer { xb in
                    ws.gate.data.withUnsafeMutableBufferPointer { gb in
                        let g = gb.baseAddress!
                        FastMath.map2(eb.baseAddress!, g, g, c * n) { gamma, gate in FastMath.sigmoid(gamma) * gate }
                        FastMath.map2(g, xb.baseAddress!, g, c * n) { $0 + $1 }
                        if wantGamma {
                            gammaTap.data.withUnsafeMutableBufferPointer { tb in
                                FastMath.map(eb.baseAddress!, tb.baseAddress!, c * n) { FastMath.sigmoid($0) }
                            }
                        }
                    }
                }
            }
        }
        Conv.pointwise(ws.gate, weight: wProj, outChannels: c, into: &ws.outGate)
        if wantGamma { captured[block + ".gamma"] = gammaTap }
        if taps.wants(block, "beta") { captured[block + ".beta"] = ws.expanded.channelSlice(c, c) }
        if taps.wants(block, "alpha") { captured[block + ".alpha"] = ws.alphaOut }
        if taps.wants(block, "out") { captured[block + ".out"] = ws.outGate }
    }
}
