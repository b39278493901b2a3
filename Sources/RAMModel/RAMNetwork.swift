import TensorCore

/// The RAM forward pass, in the order of the paper's figure (docs/NETWORK.md).
public struct RAMNetwork: Sendable {
    public let weights: RAMWeights
    public init(weights: RAMWeights) { self.weights = weights }

    public var configuration: RAMConfiguration { weights.configuration }

    /// A side length padded to the next multiple of 8 (three 2× downsamplings).
    public static func padded(_ n: Int) -> Int { n + (8 - n % 8) % 8 }

    /// Restores a (3, H, W) image in [0, 1]. Any H×W ≥ 1: reflect-padded to a multiple of 8
    /// and cropped back. Taps named in `taps` are returned at their level's padded size.
    /// `context` says how to run it (threads, BLAS policy, kernels, precision, profiler).
    public func forward(_ input: Tensor, context ctx: ExecutionContext = .default, workspace ws: Workspace = Workspace(),
                        taps: TapRequest = .none, statistics: StatisticsSource = .own)
        -> (output: Tensor, taps: [String: Tensor])
    {
        precondition(input.channels == 3, "RAM takes 3 channels, got \(input.channels)")
        precondition(ctx.precision.isAvailable, "precision \(ctx.precision) is not available on this CPU")
        // BLAS threaded as the context says: by default held to one thread, each product split
        // into one column block per kernel thread (Conv.gemmColumns). The hold is counted, so BLAS
        // stays as asked for the whole pass even while other passes enter and leave theirs.
        return ctx.withBLAS { forwardPass(input, ctx, workspace: ws, taps: taps, statistics: statistics) }
    }

    private func forwardPass(_ input: Tensor, _ ctx: ExecutionContext, workspace ws: Workspace, taps: TapRequest,
                             statistics: StatisticsSource)
        -> (output: Tensor, taps: [String: Tensor])
    {
        let h = input.height, w = input.width
        let d = configuration.dim
        var captured: [String: Tensor] = [:]
        // Pad to a multiple of 8 (three 2× downsamplings).
        Layout.reflectPad(input, bottom: RAMNetwork.padded(h) - h, right: RAMNetwork.padded(w) - w, into: &ws.padded)

        // Encoder.
        Conv.conv3x3(ws.padded, weight: weights.patchEmbed, outChannels: d, into: &ws.x, scratch: &ws.conv3Scratch, context: ctx)
        run(weights.encoder1, ws, ctx, taps, statistics, &captured)
        ws.e1.assign(ws.x)                                              // (d, H, W)
        downsample(ws, ctx, weights.down12, width: d)
        run(weights.encoder2, ws, ctx, taps, statistics, &captured)
        ws.e2.assign(ws.x)                                              // (2d, H/2, W/2)
        downsample(ws, ctx, weights.down23, width: 2 * d)
        run(weights.encoder3, ws, ctx, taps, statistics, &captured)
        ws.e3.assign(ws.x)                                              // (4d, H/4, W/4)
        downsample(ws, ctx, weights.down34, width: 4 * d)
        run(weights.latent, ws, ctx, taps, statistics, &captured)       // (8d, H/8, W/8)

        // Decoder.
        Conv.pointwise(ws.x, weight: weights.reduceDim3, outChannels: 4 * d, into: &ws.t1, context: ctx)
        ws.x.assign(ws.t1)
        upsample(ws, ctx, weights.up43, width: 4 * d)                   // (2d, H/4, W/4)
        Layout.concat(ws.x, ws.e3, into: &ws.t1)                        // (6d)
        Conv.pointwise(ws.t1, weight: weights.reduceChan3, outChannels: 4 * d, into: &ws.x, context: ctx)
        run(weights.decoder3, ws, ctx, taps, statistics, &captured)
        upsample(ws, ctx, weights.up32, width: 4 * d)                   // (2d, H/2, W/2)
        Layout.concat(ws.x, ws.e2, into: &ws.t1)                        // (4d)
        Conv.pointwise(ws.t1, weight: weights.reduceChan2, outChannels: 2 * d, into: &ws.x, context: ctx)
        run(weights.decoder2, ws, ctx, taps, statistics, &captured)
        upsample(ws, ctx, weights.up21, width: 2 * d)                   // (d, H, W)
        Layout.concat(ws.x, ws.e1, into: &ws.t1)                        // (2d)
        ws.x.assign(ws.t1)
        run(weights.decoder1, ws, ctx, taps, statistics, &captured)
        run(weights.refinement, ws, ctx, taps, statistics, &captured)

        // Output: conv to RGB plus the (padded) input, cropped back.
        Conv.conv3x3(ws.x, weight: weights.output, outChannels: 3, into: &ws.t1, scratch: &ws.conv3Scratch, context: ctx)
        add(&ws.t1, ws.padded, ctx)
        let out = (ws.t1.height == h && ws.t1.width == w) ? ws.t1 : Layout.crop(ws.t1, y0: 0, x0: 0, height: h, width: w)
        return (out, captured)
    }

    private func run(_ blocks: [BlockWeights], _ ws: Workspace, _ ctx: ExecutionContext, _ taps: TapRequest,
                     _ source: StatisticsSource, _ captured: inout [String: Tensor]) {
        for b in blocks {
            switch source {
            case .own:
                b.forward(ws, ctx, taps: taps, captured: &captured)
            case .fixed(let table):
                b.forward(ws, ctx, taps: taps, captured: &captured, statistics: table.blocks[b.name])
            case .pooled(let pool, let member):
                var sums = b.emptySums()
                b.accumulateStatistics(ws, ctx, interior: PixelRect(x: 0, y: 0, width: ws.x.width, height: ws.x.height),
                                       into: &sums)
                b.forward(ws, ctx, taps: taps, captured: &captured, statistics: pool.pool(b, member: member, sums))
            }
        }
    }

    /// conv3×3 c → c/2, PixelUnshuffle(2) → (2c, H/2, W/2).
    private func downsample(_ ws: Workspace, _ ctx: ExecutionContext, _ weight: [Float], width c: Int) {
        Conv.conv3x3(ws.x, weight: weight, outChannels: c / 2, into: &ws.t1, scratch: &ws.conv3Scratch, context: ctx)
        Layout.pixelUnshuffle(ws.t1, 2, into: &ws.x)
    }

    /// conv3×3 c → 2c, PixelShuffle(2) → (c/2, 2H, 2W).
    private func upsample(_ ws: Workspace, _ ctx: ExecutionContext, _ weight: [Float], width c: Int) {
        Conv.conv3x3(ws.x, weight: weight, outChannels: 2 * c, into: &ws.t1, scratch: &ws.conv3Scratch, context: ctx)
        Layout.pixelShuffle(ws.t1, 2, into: &ws.x)
    }

    /// Every tap name this network can produce, in forward order.
    public var tapNames: [String] {
        weights.blocks.flatMap { b in TapBranch.allCases.map { $0.tap(of: b.name) } }
    }
}
