import TensorCore

// The immutable weight tree. Every tensor is bound by its checkpoint key (docs/NETWORK.md)
// with its PyTorch shape written beside it. Weights are shared read-only by all workers.

/// GatedDA(C): BatchNorm, expansion to γ | β | α, depthwise 7×7 on α, gate and projection.
public struct GatedDAWeights: Sendable {
    public let channels: Int      // C
    public let hidden: Int        // round(8C/3)
    public var alphaChannels: Int { hidden - 2 * channels }
    let bnWeight, bnBias, bnMean, bnVar: [Float]   // (C,)
    let tau: [Float]              // (1, C, 1, 1)
    let wExp: [Float]             // (hidden, C, 1, 1)
    let wDepth: [Float]           // (na, 1, 7, 7)
    let wGate: [Float]            // (C, C + na, 1, 1)
    let wProj: [Float]            // (C, C, 1, 1)

    init(_ b: WeightBinder, _ p: String, channels c: Int) {
        channels = c
        hidden = Int((8.0 * Double(c) / 3.0).rounded(.toNearestOrEven))
        let na = hidden - 2 * c
        bnWeight = b.take(p + "norm.weight", [c])
        bnBias = b.take(p + "norm.bias", [c])
        bnMean = b.take(p + "norm.running_mean", [c], parameter: false)
        bnVar = b.take(p + "norm.running_var", [c], parameter: false)
        b.ignore(p + "norm.num_batches_tracked")
        tau = b.take(p + "tau", [1, c, 1, 1])
        wExp = b.take(p + "W_exp.weight", [hidden, c, 1, 1])
        wDepth = b.take(p + "W_depth.weight", [na, 1, 7, 7])
        wGate = b.take(p + "W_gate.weight", [c, c + na, 1, 1])
        wProj = b.take(p + "W_proj.weight", [c, c, 1, 1])
    }
}

/// The mixer `attn`: channel attention on the even channels, GatedDA on the odd ones,
/// cross update and output projection.
public struct MixerWeights: Sendable {
    public let heads: Int
    let temperature: [Float]      // (heads, 1, 1)
    let qkv: [Float]              // (3·half, half, 1, 1)
    let qkvDepthwise: [Float]     // (3·half, 1, 3, 3)
    let gated: GatedDAWeights
    let projectOut: [Float]       // (c, c, 1, 1)
    let lambda: Float?            // () or (1,) — frequency_fusion only

    init(_ b: WeightBinder, _ p: String, width c: Int, heads h: Int, frequencyFusion: Bool) {
        let half = c / 2
        heads = h
        temperature = b.take(p + "temperature", [h, 1, 1])
        qkv = b.take(p + "qkv.weight", [3 * half, half, 1, 1])
        qkvDepthwise = b.take(p + "qkv_dwconv.weight", [3 * half, 1, 3, 3])
        gated = GatedDAWeights(b, p + "gatedcnn.", channels: half)
        projectOut = b.take(p + "project_out.weight", [c, c, 1, 1])
        lambda = frequencyFusion ? b.takeScalar(p + "lam") : nil
    }
}

/// FFN: 1×1 expansion to 2n, depthwise 3×3, GELU gate, 1×1 back to c.
public struct FeedForwardWeights: Sendable {
    public let hidden: Int        // n = int(c · ffn_factor)
    let projectIn: [Float]        // (2n, c, 1, 1)
    let depthwise: [Float]        // (2n, 1, 3, 3)
    let projectOut: [Float]       // (c, n, 1, 1)

    init(_ b: WeightBinder, _ p: String, width c: Int, factor: Double) {
        hidden = Int(Double(c) * factor)
        projectIn = b.take(p + "project_in.weight", [2 * hidden, c, 1, 1])
        depthwise = b.take(p + "dwconv.weight", [2 * hidden, 1, 3, 3])
        projectOut = b.take(p + "project_out.weight", [c, hidden, 1, 1])
    }
}

/// One transformer block: x + mixer(LN1(x)), then x + ffn(LN2(x)).
public struct BlockWeights: Sendable {
    public let name: String       // e.g. "encoder_level2.3"
    public let width: Int
    let norm1Weight, norm1Bias: [Float]   // (c,)
    let mixer: MixerWeights
    let norm2Weight, norm2Bias: [Float]   // (c,)
    let ffn: FeedForwardWeights

    init(_ b: WeightBinder, name: String, width c: Int, heads: Int, config: RAMConfiguration) {
        self.name = name
        width = c
        let p = name + "."
        norm1Weight = b.take(p + "norm1.body.weight", [c])
        norm1Bias = b.take(p + "norm1.body.bias", [c])
        mixer = MixerWeights(b, p + "attn.", width: c, heads: heads, frequencyFusion: config.frequencyFusion)
        norm2Weight = b.take(p + "norm2.body.weight", [c])
        norm2Bias = b.take(p + "norm2.body.bias", [c])
        ffn = FeedForwardWeights(b, p + "ffn.", width: c, factor: config.ffnFactor)
    }

    static func level(_ b: WeightBinder, _ name: String, count: Int, width: Int, heads: Int,
                      config: RAMConfiguration) -> [BlockWeights] {
        (0..<count).map { BlockWeights(b, name: "\(name).\($0)", width: width, heads: heads, config: config) }
    }
}

/// The whole network's weights.
public struct RAMWeights: Sendable {
    public let configuration: RAMConfiguration
    /// Trainable parameters, counted as PyTorch's `model.parameters()` (no BatchNorm buffers).
    public let parameterCount: Int
    let patchEmbed: [Float]                       // (d, 3, 3, 3)
    let encoder1, encoder2, encoder3, latent: [BlockWeights]
    let down12, down23, down34: [Float]           // (c/2, c, 3, 3) for c = d, 2d, 4d
    let reduceDim3: [Float]                       // (4d, 8d, 1, 1)
    let up43: [Float]                             // (8d, 4d, 3, 3)
    let reduceChan3: [Float]                      // (4d, 6d, 1, 1)
    let decoder3: [BlockWeights]
    let up32: [Float]                             // (8d, 4d, 3, 3)
    let reduceChan2: [Float]                      // (2d, 4d, 1, 1)
    let decoder2: [BlockWeights]
    let up21: [Float]                             // (4d, 2d, 3, 3)
    let decoder1, refinement: [BlockWeights]
    let output: [Float]                           // (3, 2d, 3, 3)

    /// Binds every tensor the configuration needs; throws one error listing every missing,
    /// unexpected and wrong-shaped tensor.
    public init(configuration cfg: RAMConfiguration, tensors: [String: Safetensors.Entry]) throws {
        try cfg.validate()
        let b = WeightBinder(tensors)
        self.init(configuration: cfg, binder: b)
        if let problems = b.problems() { throw RAMError.weights("weights do not match the configuration (\(cfg)): \(problems)") }
    }

    /// Deterministic random weights (fan-in scaled) for benchmarks and tests.
    public static func random(_ cfg: RAMConfiguration, seed: UInt64 = 1) throws -> RAMWeights {
        try cfg.validate()
        return RAMWeights(configuration: cfg, binder: WeightBinder(randomSeed: seed))
    }

    /// Trainable parameters of a configuration, without any weights.
    public static func parameterCount(for cfg: RAMConfiguration) throws -> Int {
        try random(cfg).parameterCount
    }

    init(configuration cfg: RAMConfiguration, binder b: WeightBinder) {
        let d = cfg.dim, nb = cfg.numBlocks, h = cfg.heads
        configuration = cfg
        patchEmbed = b.take("patch_embed.proj.weight", [d, 3, 3, 3])
        encoder1 = BlockWeights.level(b, "encoder_level1", count: nb[0], width: d, heads: h[0], config: cfg)
        down12 = b.take("down1_2.body.0.weight", [d / 2, d, 3, 3])
        encoder2 = BlockWeights.level(b, "encoder_level2", count: nb[1], width: 2 * d, heads: h[1], config: cfg)
        down23 = b.take("down2_3.body.0.weight", [d, 2 * d, 3, 3])
        encoder3 = BlockWeights.level(b, "encoder_level3", count: nb[2], width: 4 * d, heads: h[2], config: cfg)
        down34 = b.take("down3_4.body.0.weight", [2 * d, 4 * d, 3, 3])
        latent = BlockWeights.level(b, "latent", count: nb[3], width: 8 * d, heads: h[3], config: cfg)
        reduceDim3 = b.take("reduce_dim_level3.weight", [4 * d, 8 * d, 1, 1])
        up43 = b.take("up4_3.body.0.weight", [8 * d, 4 * d, 3, 3])
        reduceChan3 = b.take("reduce_chan_level3.weight", [4 * d, 6 * d, 1, 1])
        decoder3 = BlockWeights.level(b, "decoder_level3", count: nb[2], width: 4 * d, heads: h[2], config: cfg)
        up32 = b.take("up3_2.body.0.weight", [8 * d, 4 * d, 3, 3])
        reduceChan2 = b.take("reduce_chan_level2.weight", [2 * d, 4 * d, 1, 1])
        decoder2 = BlockWeights.level(b, "decoder_level2", count: nb[1], width: 2 * d, heads: h[1], config: cfg)
        up21 = b.take("up2_1.body.0.weight", [4 * d, 2 * d, 3, 3])
        decoder1 = BlockWeights.level(b, "decoder_level1", count: nb[0], width: 2 * d, heads: h[0], config: cfg)
        refinement = BlockWeights.level(b, "refinement", count: cfg.numRefinement, width: 2 * d, heads: h[0], config: cfg)
        output = b.take("output.weight", [3, 2 * d, 3, 3])
        parameterCount = b.parameterCount
    }

    /// All blocks in forward order, for tap listings.
    public var blocks: [BlockWeights] {
        encoder1 + encoder2 + encoder3 + latent + decoder3 + decoder2 + decoder1 + refinement
    }
}
