import TensorCore

/// Which taps a forward pass should capture, and where they go. Asking for nothing costs
/// nothing: each block checks its own flags once.
public struct TapRequest: Sendable {
    public var names: Set<String>
    public init(_ names: Set<String> = []) { self.names = names }
    public static let none = TapRequest()
    func wants(_ block: String, _ branch: TapBranch) -> Bool { !names.isEmpty && names.contains(branch.tap(of: block)) }

    /// Stores `block`'s `branch` tap in `captured` when it was asked for.
    func capture(_ block: String, _ branch: TapBranch, into captured: inout [String: Tensor],
                 _ value: @autoclosure () -> Tensor) {
        if wants(block, branch) { captured[branch.tap(of: block)] = value() }
    }
}

/// The branches a tap can name, per block.
public enum TapBranch: String, CaseIterable, Sendable {
    case gamma, beta, alpha, out, attn

    /// The tap's name: `<block>.<branch>`, e.g. `encoder_level1.0.gamma`.
    public func tap(of block: String) -> String { block + "." + rawValue }
}

extension BlockWeights {
    /// x ← x + mixer(LN1(x)); x ← x + ffn(LN2(x)). `x` is ws.x. With `statistics`, the
    /// channel attention and GatedDA use those whole-image statistics instead of ws.x's own
    /// (the streamed forward pass runs a block band by band this way).
    func forward(_ ws: Workspace, _ ctx: ExecutionContext, taps: TapRequest, captured: inout [String: Tensor],
                 statistics: BlockStatistics? = nil) {
        let c = width
        // --- Mixer ---
        Norm.layerNormChannelsSplit(ws.x, weight: norm1Weight, bias: norm1Bias, even: &ws.xAtt, odd: &ws.xGate, context: ctx)
        mixer.attention(ws, ctx, matrices: statistics?.attention)
        mixer.gated.forward(ws, ctx, block: name, taps: taps, captured: &captured, statistics: statistics?.gate)
        taps.capture(name, .attn, into: &captured, ws.outAtt)
        mixer.crossUpdate(ws, ctx)
        // x += project_out(fused): the residual add is the sgemm's β = 1.
        Conv.pointwise(ws.fused, weight: mixer.projectOut, outChannels: c, into: &ws.x, accumulate: true, context: ctx)
        // --- FFN ---
        let n = ffn.hidden
        if ctx.fusesFFN(height: ws.x.height, width: ws.x.width) {
            FusedFFN.forward(&ws.x, lnWeight: norm2Weight, lnBias: norm2Bias, projectIn: ffn.projectIn,
                             depthwise: ffn.depthwise, projectOut: ffn.projectOut, hidden: n, context: ctx)
            return
        }
        Norm.layerNormChannels(ws.x, weight: norm2Weight, bias: norm2Bias, into: &ws.ln, context: ctx)
        Conv.pointwise(ws.ln, weight: ffn.projectIn, outChannels: 2 * n, into: &ws.ffn1, context: ctx)
        // Depthwise 3×3 and GELU gate in one pass: the 2n-channel depthwise output is not stored.
        ws.ffnGate.reshape(channels: n, height: ws.x.height, width: ws.x.width)
        ws.ffn1.data.withUnsafeBufferPointer { src in
            ffn.depthwise.withUnsafeBufferPointer { wt in
                ws.ffnGate.data.withUnsafeMutableBufferPointer { dst in
                    Conv.depthwise3x3GeluGate(
                        src.baseAddress!, hidden: n, height: ws.x.height, width: ws.x.width,
                        weight: wt.baseAddress!, into: dst.baseAddress!, context: ctx)
                }
            }
        }
        Conv.pointwise(ws.ffnGate, weight: ffn.projectOut, outChannels: c, into: &ws.x, accumulate: true, context: ctx)
    }
}

/// x += y elementwise.
func add(_ x: inout Tensor, _ y: Tensor, _ ctx: ExecutionContext) {
    ctx.measure(.elementwise) {
        precondition(x.count == y.count)
        x.data.withUnsafeMutableBufferPointer { xb in
            y.data.withUnsafeBufferPointer { yb in
                FastMath.map2(xb.baseAddress!, yb.baseAddress!, xb.baseAddress!, xb.count) { $0 + $1 }
            }
        }
    }
}

extension MixerWeights {
    /// out_att = channel attention of ws.xAtt (half channels) → ws.outAtt. With `matrices`
    /// (per head, the softmaxed ch×ch attention of the whole image), only A·v is computed.
    func attention(_ ws: Workspace, _ ctx: ExecutionContext, matrices: [[Float]]? = nil) {
        let half = ws.xAtt.channels
        Conv.pointwise(ws.xAtt, weight: qkv, outChannels: 3 * half, into: &ws.qkv1, context: ctx)
        Conv.depthwise(ws.qkv1, weight: qkvDepthwise, kernel: 3, into: &ws.qkv, context: ctx)
        ws.outAtt.reshape(channels: half, height: ws.xAtt.height, width: ws.xAtt.width)
        let n = ws.xAtt.plane
        let temperature = self.temperature, heads = self.heads
        ws.qkv.data.withUnsafeMutableBufferPointer { qb in
            ws.outAtt.data.withUnsafeMutableBufferPointer { ob in
                let q = qb.baseAddress!
                if let matrices {
                    ChannelAttention.applyMatrices(matrices, v: q + 2 * half * n, channelsPerHead: half / heads, n: n,
                                                   out: ob.baseAddress!, context: ctx)
                    return
                }
                ChannelAttention.apply(
                    q: q, k: q + half * n, v: q + 2 * half * n, heads: heads,
                    channelsPerHead: half / heads, n: n, temperature: temperature,
                    out: ob.baseAddress!, context: ctx)
            }
        }
    }

    /// F_ag = att + σ(gate), F_ga = gate + σ(att); fused = [F_ag; F_ga], or with frequency
    /// fusion λ·[F_ag; F_ga] + (1−λ)·repeat_interleave(att + gate, 2).
    func crossUpdate(_ ws: Workspace, _ ctx: ExecutionContext) {
        ctx.measure(.elementwise) {
            let half = ws.outAtt.channels, n = ws.outAtt.plane
            ws.fused.reshape(channels: 2 * half, height: ws.outAtt.height, width: ws.outAtt.width)
            let lam = lambda
            ws.outAtt.data.withUnsafeBufferPointer { ab in
                ws.outGate.data.withUnsafeBufferPointer { gb in
                    ws.fused.data.withUnsafeMutableBufferPointer { fb in
                        let a = ab.baseAddress!, g = gb.baseAddress!, f = fb.baseAddress!
                        let m = half * n, chunk = 16384
                        ctx.forEach((m + chunk - 1) / chunk) { ci in
                            let lo = ci * chunk, len = min(chunk, m - lo)
                            FastMath.map2(a + lo, g + lo, f + lo, len) { a, g in a + FastMath.sigmoid(g) }
                            FastMath.map2(g + lo, a + lo, f + m + lo, len) { g, a in g + FastMath.sigmoid(a) }
                        }
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
    /// GatedDA on ws.xGate → ws.outGate (docs/NETWORK.md, "GatedDA"). `statistics`: the
    /// whole image's per-channel mean and std of the BatchNorm output, instead of ws.xGate's.
    func forward(_ ws: Workspace, _ ctx: ExecutionContext, block: String, taps: TapRequest,
                 captured: inout [String: Tensor], statistics: (mean: [Float], std: [Float])? = nil) {
        let c = channels, na = alphaChannels
        let h = ws.xGate.height, w = ws.xGate.width, n = h * w
        let (mu, s): ([Float], [Float])
        if let statistics {
            Norm.batchNorm(ws.xGate, weight: bnWeight, bias: bnBias, runningMean: bnMean, runningVar: bnVar, into: &ws.bn,
                           context: ctx)
            (mu, s) = statistics
        } else {
            (mu, s) = Norm.batchNormWithStatistics(
                ws.xGate, weight: bnWeight, bias: bnBias, runningMean: bnMean, runningVar: bnVar, into: &ws.bn, context: ctx)
        }
        Conv.pointwise(ws.bn, weight: wExp, outChannels: hidden, into: &ws.expanded, context: ctx)
        // ws.expanded = [γ (C); β (C); α (na)]. α′ = W_depth(α) · (1 + τ·σ(μ + s)) on the first na
        // channels' statistics, computed in place (the scale is folded into the 7×7 weights), so
        // [β; α′] is already contiguous for W_gate: no copies.
        var scale = [Float](repeating: 1, count: na)
        for ch in 0..<na { scale[ch] = 1 + tau[ch] * Activation.sigmoid(mu[ch] + s[ch]) }
        ws.gate.reshape(channels: c, height: h, width: w)
        ws.expanded.data.withUnsafeMutableBufferPointer { eb in
            let e = eb.baseAddress!
            wDepth.withUnsafeBufferPointer { wd in
                scale.withUnsafeBufferPointer { sc in
                    Conv.depthwise(UnsafePointer(e + 2 * c * n), into: e + 2 * c * n, channels: na, height: h, width: w,
                                   weight: wd.baseAddress!, kernel: 7, scale: sc.baseAddress!, context: ctx)
                }
            }
            // [β; α′] → W_gate.
            ws.gate.data.withUnsafeMutableBufferPointer { gb in
                Conv.pointwise(UnsafePointer(e + c * n), channels: c + na, plane: n, weight: wGate, outChannels: c,
                               into: gb.baseAddress!, context: ctx)
            }
        }
        let wantGamma = taps.wants(block, .gamma)
        var gammaTap = wantGamma ? Tensor(channels: c, height: h, width: w) : Tensor(channels: 0, height: 0, width: 0)
        // F_gated + x = σ(γ) · gate + x, fused in one pass (γ is the first C channels).
        ctx.measure(.elementwise) {
            ws.expanded.data.withUnsafeBufferPointer { eb in
                ws.xGate.data.withUnsafeBufferPointer { xb in
                    ws.gate.data.withUnsafeMutableBufferPointer { gb in
                        let g = gb.baseAddress!, e = eb.baseAddress!, xg = xb.baseAddress!
                        let count = c * n, chunk = 16384
                        ctx.forEach((count + chunk - 1) / chunk) { ci in
                            let lo = ci * chunk, len = min(chunk, count - lo)
                            for i in lo..<(lo + len) { g[i] = FastMath.sigmoid(e[i]) * g[i] + xg[i] }
                        }
                        if wantGamma {
                            gammaTap.data.withUnsafeMutableBufferPointer { tb in
                                FastMath.map(e, tb.baseAddress!, count) { FastMath.sigmoid($0) }
                            }
                        }
                    }
                }
            }
        }
        Conv.pointwise(ws.gate, weight: wProj, outChannels: c, into: &ws.outGate, context: ctx)
        taps.capture(block, .gamma, into: &captured, gammaTap)
        taps.capture(block, .beta, into: &captured, ws.expanded.channelSlice(c, c))
        taps.capture(block, .alpha, into: &captured, ws.expanded.channelSlice(2 * c, na))
        taps.capture(block, .out, into: &captured, ws.outGate)
    }
}
