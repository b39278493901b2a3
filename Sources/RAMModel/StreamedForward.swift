import Foundation
import TensorCore

/// Whole-image statistics of one block: the softmaxed channel-attention matrix of each head
/// and GatedDA's per-channel mean and std, as one pass over the whole image computes them.
public struct BlockStatistics: Sendable {
    var attention: [[Float]]
    var gate: (mean: [Float], std: [Float])
}

/// What a block's statistics are made of, summed over any set of tiles.
struct BlockStatisticsSums: Sendable {
    var attention: AttentionSums
    var gate: ChannelMoments

    mutating func add(_ other: BlockStatisticsSums) {
        attention.add(other.attention)
        gate.add(other.gate)
    }
}

extension BlockWeights {
    func emptySums() -> BlockStatisticsSums {
        let half = width / 2
        return BlockStatisticsSums(
            attention: AttentionSums(heads: mixer.heads, channelsPerHead: half / mixer.heads),
            gate: ChannelMoments(shift: mixer.gated.bnBias))
    }

    func statistics(_ sums: BlockStatisticsSums) -> BlockStatistics {
        BlockStatistics(attention: sums.attention.matrices(temperature: mixer.temperature), gate: sums.gate.meanStd())
    }

    /// Adds the statistics of the pixels in `interior` of ws.x, a tile whose pixels outside
    /// `interior` are context (the 3×3 depthwise convolution on q and k reads one pixel
    /// beyond each edge). Only q and k are computed: v is not needed for the statistics.
    func accumulateStatistics(_ ws: Workspace, _ ctx: ExecutionContext, interior r: PixelRect,
                              into sums: inout BlockStatisticsSums) {
        Norm.layerNormChannelsSplit(ws.x, weight: norm1Weight, bias: norm1Bias, even: &ws.xAtt, odd: &ws.xGate, context: ctx)
        let half = ws.xAtt.channels
        Conv.pointwise(ws.xAtt, weight: Array(mixer.qkv[0..<(2 * half * half)]), outChannels: 2 * half, into: &ws.qkv1,
                       context: ctx)
        Conv.depthwise(ws.qkv1, weight: Array(mixer.qkvDepthwise[0..<(2 * half * 9)]), kernel: 3, into: &ws.qkv,
                       context: ctx)
        let whole = r.x == 0 && r.y == 0 && r.width == ws.x.width && r.height == ws.x.height
        if !whole {
            // The interior only, into reused scratch (a fresh copy per tile costs page faults).
            Layout.crop(ws.qkv, y0: r.y, x0: r.x, height: r.height, width: r.width, into: &ws.t1)
            swap(&ws.qkv, &ws.t1)
            Layout.crop(ws.xGate, y0: r.y, x0: r.x, height: r.height, width: r.width, into: &ws.t1)
            swap(&ws.xGate, &ws.t1)
        }
        let n = r.width * r.height
        ws.qkv.data.withUnsafeBufferPointer { qb in
            sums.attention.accumulate(q: qb.baseAddress!, k: qb.baseAddress! + half * n, stride: n, from: 0, count: n,
                                      context: ctx)
        }
        let g = mixer.gated
        ws.xGate.data.withUnsafeBufferPointer { xb in
            sums.gate.accumulateBatchNorm(xb.baseAddress!, stride: n, from: 0, count: n, weight: g.bnWeight, bias: g.bnBias,
                                          runningMean: g.bnMean, runningVar: g.bnVar, context: ctx)
        }
    }
}

/// What the streamed forward pass reports after each tile of each stage. The tiles of the
/// last stage carry the restored pixels (already final: nothing is blended afterwards).
public struct StreamProgress: Sendable {
    public let done: Int
    public let total: Int
    public let output: (rect: PixelRect, restored: Tensor)?
}

/// The RAM forward pass over the whole image at bounded memory, with the whole image's
/// semantics: its output equals `RAMNetwork.forward` on the whole image (to float rounding).
///
/// The network is run stage by stage (a block, a down- or upsampling, the first and last
/// convolutions). Every full-size feature map between stages lives in a `FeatureStore` (in
/// memory or, for images too large for the memory budget, in a temporary file); a stage visits
/// its output tile by tile, reading only the input pixels it needs (a halo for the local
/// operators: 4 pixels for a block, 1-2 for the convolutions). A block takes two passes: the
/// first sums the statistics that channel attention and GatedDA take over all pixels (per
/// head q·kᵀ and the norms of q and k; GatedDA's per-channel moments; `AttentionSums`,
/// `ChannelMoments`), tile by tile in double; the second applies the block to every tile with
/// those whole-image statistics. Memory: the workspaces of `workers` tiles plus the live maps.
public struct StreamedForward: Sendable {
    public let network: RAMNetwork
    /// Tile side per level (full, 1/2, 1/4, 1/8 resolution).
    public let tileSizes: [Int]
    public let spill: Bool
    public let workers: Int
    /// How the tiles run: with several workers each takes `context.worker()` (one thread).
    public let context: ExecutionContext

    /// A block reads 4 pixels beyond its output: the 7×7 depthwise convolution in GatedDA (3)
    /// before the FFN's 3×3 depthwise convolution (1).
    static let blockHalo = 4

    public init(network: RAMNetwork, tileSizes: [Int], spill: Bool = false, workers: Int = 1,
                context: ExecutionContext = .default) {
        precondition(tileSizes.count == 4 && tileSizes.allSatisfy { $0 >= 8 && $0 % 2 == 0 },
                     "stream tile sizes: four, even, at least 8")
        self.network = network
        self.tileSizes = tileSizes
        self.spill = spill
        self.workers = max(1, workers)
        self.context = context
    }

    /// The same tile side at every level.
    public init(network: RAMNetwork, tileSize: Int, spill: Bool = false, workers: Int = 1,
                context: ExecutionContext = .default) {
        self.init(network: network, tileSizes: [Int](repeating: tileSize, count: 4), spill: spill, workers: workers,
                  context: context)
    }

    /// Tiles visited by `forward` for an image of this size, over all stages.
    public func steps(height: Int, width: Int) -> Int {
        StreamRun.steps(config: network.configuration, hp: RAMNetwork.padded(height), wp: RAMNetwork.padded(width), tiles: tileSizes)
    }

    /// Restores a (3, H, W) image; nil when cancelled (checked between tiles).
    public func forward(_ input: Tensor, cancel: CancellationFlag? = nil,
                        progress: ((StreamProgress) -> Void)? = nil) throws -> Tensor? {
        precondition(input.channels == 3, "RAM takes 3 channels, got \(input.channels)")
        precondition(context.precision.isAvailable, "precision \(context.precision) is not available on this CPU")
        let h = input.height, w = input.width
        let hp = RAMNetwork.padded(h), wp = RAMNetwork.padded(w)
        var paddedInput = input
        if hp != h || wp != w {
            var t = Tensor(channels: 0, height: 0, width: 0)
            Layout.reflectPad(input, bottom: hp - h, right: wp - w, into: &t)
            paddedInput = t
        }
        let run = StreamRun(network: network, tiles: tileSizes, spill: spill, workers: workers, context: context,
                            hp: hp, wp: wp, cancel: cancel, progress: progress)
        // BLAS as the context says (by default one thread: one worker splits the products
        // itself; several workers each run on one core).
        return try context.withBLAS { try run.forward(paddedInput, height: h, width: w) }
    }
}

/// One streamed forward pass: geometry, workers, progress.
private final class StreamRun: @unchecked Sendable {
    let weights: RAMWeights
    let tileSizes: [Int], spill: Bool, workers: Int
    let context: ExecutionContext
    let hp: Int, wp: Int
    let cancel: CancellationFlag?
    let progress: ((StreamProgress) -> Void)?
    let total: Int
    let workspaces: [Workspace]
    private let lock = NSLock()
    private var done = 0

    init(network: RAMNetwork, tiles: [Int], spill: Bool, workers: Int, context: ExecutionContext, hp: Int, wp: Int,
         cancel: CancellationFlag?, progress: ((StreamProgress) -> Void)?) {
        weights = network.weights
        tileSizes = tiles; self.spill = spill; self.workers = workers; self.context = context
        self.hp = hp; self.wp = wp
        self.cancel = cancel; self.progress = progress
        total = StreamRun.steps(config: network.configuration, hp: hp, wp: wp, tiles: tiles)
        workspaces = (0..<workers).map { _ in Workspace() }
    }

    static func tiles(_ h: Int, _ w: Int, _ t: Int) -> [PixelRect] {
        stride(from: 0, to: h, by: t).flatMap { y in
            stride(from: 0, to: w, by: t).map { x in PixelRect(x: x, y: y, width: min(t, w - x), height: min(t, h - y)) }
        }
    }

    static func steps(config: RAMConfiguration, hp: Int, wp: Int, tiles t: [Int]) -> Int {
        let n = (0..<4).map { tiles(hp >> $0, wp >> $0, t[$0]).count }
        let blocks = config.numBlocks, refinement = config.numRefinement
        var s = 2 * n[0]                                                  // first and last convolution
        s += 2 * (blocks[0] + blocks[0] + refinement) * n[0]              // encoder1, decoder1, refinement
        s += 2 * (blocks[1] + blocks[1]) * n[1] + 2 * (blocks[2] + blocks[2]) * n[2] + 2 * blocks[3] * n[3]
        s += n[1] + n[2] + n[3]                                           // downsamplings
        s += n[2] + n[1] + n[0]                                           // upsamplings
        return s
    }

    func dims(_ level: Int) -> (h: Int, w: Int) { (hp >> level, wp >> level) }

    func store(_ channels: Int, _ level: Int) throws -> FeatureStore {
        try FeatureStore(channels: channels, height: dims(level).h, width: dims(level).w, spill: spill, block: tileSizes[level])
    }

    /// `r` grown by `halo` on every side, clipped to the level's map.
    func grown(_ r: PixelRect, _ halo: Int, _ level: Int) -> PixelRect {
        let (h, w) = dims(level)
        let y0 = max(0, r.y - halo), x0 = max(0, r.x - halo)
        let y1 = min(h, r.y + r.height + halo), x1 = min(w, r.x + r.width + halo)
        return PixelRect(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
    }

    /// Runs body(index, tile, workspace, context) for every tile of the level's grid on the
    /// workers (each with its workspace and, when several, its own one-thread context).
    /// Returns false when cancelled.
    func forEachTile(_ level: Int, _ body: (Int, PixelRect, Workspace, ExecutionContext) -> Void) -> Bool {
        let (h, w) = dims(level)
        let grid = StreamRun.tiles(h, w, tileSizes[level])
        var next = 0
        let claim: () -> Int? = { [self] in
            lock.lock(); defer { lock.unlock() }
            if cancel?.isCancelled == true || next >= grid.count { return nil }
            next += 1
            return next - 1
        }
        context.runWorkers(min(workers, grid.count)) { [self] wi, ctx in
            let ws = workspaces[wi]
            while let i = claim() { body(i, grid[i], ws, ctx) }
        }
        return cancel?.isCancelled != true
    }

    func step(output: (PixelRect, Tensor)? = nil) {
        lock.lock(); defer { lock.unlock() }
        done += 1
        progress?(StreamProgress(done: done, total: total, output: output.map { (rect: $0.0, restored: $0.1) }))
    }

    struct Cancelled: Error {}

    // MARK: - The network

    func forward(_ padded: Tensor, height h: Int, width w: Int) throws -> Tensor? {
        do {
            return try network(padded, height: h, width: w)
        } catch is Cancelled {
            return nil
        }
    }

    private func network(_ padded: Tensor, height h: Int, width w: Int) throws -> Tensor {
        let wt = weights, d = wt.configuration.dim
        // Encoder.
        var x = try store(d, 0)
        try check(forEachTile(0) { [self] _, r, ws, ctx in
            let e = grown(r, 1, 0)
            Layout.crop(padded, y0: e.y, x0: e.x, height: e.height, width: e.width, into: &ws.t1)
            Conv.conv3x3(ws.t1, weight: wt.patchEmbed, outChannels: d, into: &ws.x, scratch: &ws.conv3Scratch, context: ctx)
            x.write(ws.x, fromY: r.y - e.y, fromX: r.x - e.x, height: r.height, width: r.width, toY: r.y, toX: r.x)
            step()
        })
        // The skips are dropped as soon as the decoder has used them, so at most two maps of
        // the last level are alive at the end.
        try blocks(wt.encoder1, &x, 0)
        var e1: FeatureStore? = x
        x = try downsample(x, wt.down12, width: d, to: 1)
        try blocks(wt.encoder2, &x, 1)
        var e2: FeatureStore? = x
        x = try downsample(x, wt.down23, width: 2 * d, to: 2)
        try blocks(wt.encoder3, &x, 2)
        var e3: FeatureStore? = x
        x = try downsample(x, wt.down34, width: 4 * d, to: 3)
        try blocks(wt.latent, &x, 3)

        // Decoder.
        x = try upsample(x, level: 2, skip: e3!, before: (wt.reduceDim3, 4 * d), weight: wt.up43, width: 4 * d,
                         after: (wt.reduceChan3, 4 * d))
        e3 = nil
        try blocks(wt.decoder3, &x, 2)
        x = try upsample(x, level: 1, skip: e2!, before: nil, weight: wt.up32, width: 4 * d, after: (wt.reduceChan2, 2 * d))
        e2 = nil
        try blocks(wt.decoder2, &x, 1)
        x = try upsample(x, level: 0, skip: e1!, before: nil, weight: wt.up21, width: 2 * d, after: nil)
        e1 = nil
        try blocks(wt.decoder1, &x, 0)
        try blocks(wt.refinement, &x, 0)

        // Output: conv to RGB plus the (padded) input, cropped to the image.
        var out = Tensor(channels: 3, height: h, width: w)
        let last = x
        try check(forEachTile(0) { [self] _, r, ws, ctx in
            let e = grown(r, 1, 0)
            last.read(y: e.y, x: e.x, height: e.height, width: e.width, into: &ws.t1)
            Conv.conv3x3(ws.t1, weight: wt.output, outChannels: 3, into: &ws.x, scratch: &ws.conv3Scratch, context: ctx)
            let hh = min(r.height, h - r.y), ww = min(r.width, w - r.x)
            guard hh > 0, ww > 0 else { return step() }
            var tileOut = Layout.crop(ws.x, y0: r.y - e.y, x0: r.x - e.x, height: hh, width: ww)
            Layout.crop(padded, y0: r.y, x0: r.x, height: hh, width: ww, into: &ws.t2)
            add(&tileOut, ws.t2, ctx)
            lock.lock(); out.withRows(of: tileOut, at: r); lock.unlock()
            step(output: (PixelRect(x: r.x, y: r.y, width: ww, height: hh), tileOut))
        })
        return out
    }

    private func check(_ finished: Bool) throws { if !finished { throw Cancelled() } }

    /// Runs the blocks one after the other, each in its two passes, replacing `x` (so only the
    /// block's input and output maps are alive).
    private func blocks(_ list: [BlockWeights], _ x: inout FeatureStore, _ level: Int) throws {
        for b in list {
            // Pass 1: the whole image's statistics, tile by tile (summed in tile order, so the
            // result does not depend on which worker finished first).
            var sums = [BlockStatisticsSums?](repeating: nil, count: StreamRun.tiles(dims(level).h, dims(level).w, tileSizes[level]).count)
            let source = x
            try check(forEachTile(level) { [self] i, r, ws, ctx in
                let e = grown(r, 1, level)
                source.read(y: e.y, x: e.x, height: e.height, width: e.width, into: &ws.x)
                var s = b.emptySums()
                b.accumulateStatistics(ws, ctx, interior: PixelRect(x: r.x - e.x, y: r.y - e.y, width: r.width, height: r.height),
                                       into: &s)
                lock.lock(); sums[i] = s; lock.unlock()
                step()
            })
            var total = b.emptySums()
            for s in sums { total.add(s!) }
            let statistics = b.statistics(total)
            // Pass 2: the block on every tile with those statistics.
            let out = try store(b.width, level)
            try check(forEachTile(level) { [self] _, r, ws, ctx in
                let e = grown(r, StreamedForward.blockHalo, level)
                source.read(y: e.y, x: e.x, height: e.height, width: e.width, into: &ws.x)
                var captured: [String: Tensor] = [:]
                b.forward(ws, ctx, taps: .none, captured: &captured, statistics: statistics)
                out.write(ws.x, fromY: r.y - e.y, fromX: r.x - e.x, height: r.height, width: r.width, toY: r.y, toX: r.x)
                step()
            })
            x = out
        }
    }

    /// conv3×3 c → c/2, PixelUnshuffle(2): level − 1 → `level`.
    private func downsample(_ input: FeatureStore, _ weight: [Float], width c: Int, to level: Int) throws -> FeatureStore {
        let out = try store(2 * c, level)
        try check(forEachTile(level) { [self] _, r, ws, ctx in
            // The source rectangle at the level above, 2 pixels of context (even, so the
            // unshuffle stays aligned).
            let e = grown(PixelRect(x: 2 * r.x, y: 2 * r.y, width: 2 * r.width, height: 2 * r.height), 2, level - 1)
            input.read(y: e.y, x: e.x, height: e.height, width: e.width, into: &ws.t2)
            Conv.conv3x3(ws.t2, weight: weight, outChannels: c / 2, into: &ws.t1, scratch: &ws.conv3Scratch, context: ctx)
            Layout.pixelUnshuffle(ws.t1, 2, into: &ws.x)
            out.write(ws.x, fromY: r.y - e.y / 2, fromX: r.x - e.x / 2, height: r.height, width: r.width, toY: r.y, toX: r.x)
            step()
        })
        return out
    }

    /// [1×1 `before`], conv3×3 c → 2c, PixelShuffle(2): level + 1 → `level`; then concat with
    /// the skip and [1×1 `after`].
    private func upsample(_ input: FeatureStore, level: Int, skip: FeatureStore, before: ([Float], Int)?,
                          weight: [Float], width c: Int, after: ([Float], Int)?) throws -> FeatureStore {
        let outChannels = after?.1 ?? (c / 2 + skip.channels)
        let out = try store(outChannels, level)
        try check(forEachTile(level) { [self] _, r, ws, ctx in
            let e = grown(PixelRect(x: r.x / 2, y: r.y / 2, width: r.width / 2, height: r.height / 2), 1, level + 1)
            input.read(y: e.y, x: e.x, height: e.height, width: e.width, into: &ws.t2)
            if let (w1, o) = before {
                Conv.pointwise(ws.t2, weight: w1, outChannels: o, into: &ws.t1, context: ctx)
                ws.t2.assign(ws.t1)
            }
            Conv.conv3x3(ws.t2, weight: weight, outChannels: 2 * c, into: &ws.t1, scratch: &ws.conv3Scratch, context: ctx)
            Layout.pixelShuffle(ws.t1, 2, into: &ws.x)
            // ws.ln is block scratch, free between blocks.
            Layout.crop(ws.x, y0: r.y - 2 * e.y, x0: r.x - 2 * e.x, height: r.height, width: r.width, into: &ws.ln)
            skip.read(y: r.y, x: r.x, height: r.height, width: r.width, into: &ws.t2)
            Layout.concat(ws.ln, ws.t2, into: &ws.t1)
            if let (w1, o) = after {
                Conv.pointwise(ws.t1, weight: w1, outChannels: o, into: &ws.x, context: ctx)
                out.write(ws.x, fromY: 0, fromX: 0, height: r.height, width: r.width, toY: r.y, toX: r.x)
            } else {
                out.write(ws.t1, fromY: 0, fromX: 0, height: r.height, width: r.width, toY: r.y, toX: r.x)
            }
            step()
        })
        return out
    }
}

extension Tensor {
    /// Copies `tile` (same channels) into this tensor at `rect`'s origin.
    mutating func withRows(of tile: Tensor, at rect: PixelRect) {
        let h = height, w = width
        for c in 0..<channels {
            for y in 0..<tile.height {
                let dst = (c * h + rect.y + y) * w + rect.x, src = (c * tile.height + y) * tile.width
                data.withUnsafeMutableBufferPointer { d in
                    tile.data.withUnsafeBufferPointer { s in
                        (d.baseAddress! + dst).update(from: s.baseAddress! + src, count: tile.width)
                    }
                }
            }
        }
    }
}
