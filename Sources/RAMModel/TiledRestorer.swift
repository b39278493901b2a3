import Foundation
import TensorCore

/// Thread-safe cancellation flag, checked between tiles.
public final class CancellationFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false
    public init() {}
    public func cancel() { lock.lock(); cancelled = true; lock.unlock() }
    public var isCancelled: Bool { lock.lock(); defer { lock.unlock() }; return cancelled }
}

/// What a finished tile reports: its place, the restored tile itself and overall progress.
public struct TileProgress: Sendable {
    public let index: Int
    public let rect: PixelRect
    public let restored: Tensor   // (3, rect.height, rect.width), unblended
    public let done: Int
    public let total: Int
    /// Which result the tile belongs to (a first paint is replaced by the exact result).
    public var stage: RestoreStage

    public init(index: Int, rect: PixelRect, restored: Tensor, done: Int, total: Int, stage: RestoreStage = .exact) {
        self.index = index
        self.rect = rect
        self.restored = restored
        self.done = done
        self.total = total
        self.stage = stage
    }
}

/// The results a restoration paints, in order.
public enum RestoreStage: String, Sendable {
    /// Tiles restored with statistics pooled from a few full-resolution crops: close to the
    /// whole image's, painted as each tile finishes.
    case firstPaint = "first paint"
    /// The whole image's semantics (one pass or streamed), or per-tile statistics when asked.
    case exact
}

/// Restores an image tile by tile with bounded memory (a workspace per worker, sized by the
/// tile), blending overlaps. Tiles finish out of order when several are in flight, but are
/// blended in plan order so the result does not depend on timing.
///
/// Threads: with `workers` > 1 each worker runs its tiles under its own one-thread context
/// (`ExecutionContext.worker()`); with one worker the tiles run under `context` (every core).
public struct TiledRestorer: Sendable {
    public let network: RAMNetwork
    public let tiling: Tiling
    /// Where each tile's blocks take their statistics from: the tile itself by default.
    public let statistics: StatisticsSource
    public let context: ExecutionContext

    public init(network: RAMNetwork, tiling: Tiling = Tiling(), statistics: StatisticsSource = .own,
                context: ExecutionContext = .default) {
        self.network = network
        self.tiling = tiling
        self.statistics = statistics
        self.context = context
    }

    /// Returns nil when cancelled. `progress` is called (serially) after each tile.
    public func restore(_ image: Tensor, cancel: CancellationFlag? = nil,
                        progress: ((TileProgress) -> Void)? = nil) throws -> Tensor? {
        let plan = try tiling.plan(width: image.width, height: image.height)
        let h = image.height, w = image.width
        if plan.tiles.count == 1 {
            // Whole image in one tile: exactly the untiled forward pass.
            if cancel?.isCancelled == true { return nil }
            let out = network.forward(image, context: context, statistics: statistics).output
            progress?(TileProgress(index: 0, rect: plan.tiles[0], restored: out, done: 1, total: 1))
            return out
        }
        let state = TileState(plan: plan, height: h, width: w)
        let n = plan.tiles.count
        let workerCount = min(tiling.workers, n)

        let network = self.network, statistics = self.statistics
        context.runWorkers(workerCount) { _, ctx in
            let ws = Workspace()
            while let i = state.claim(cancel: cancel) {
                let r = plan.tiles[i]
                let tile = Layout.crop(image, y0: r.y, x0: r.x, height: r.height, width: r.width)
                let out = network.forward(tile, context: ctx, workspace: ws, statistics: statistics).output
                state.finish(i, out, progress: progress)
            }
        }
        if state.done < n { return nil }
        return state.output
    }
}

/// The shared, lock-protected state of one tiled restoration.
private final class TileState: @unchecked Sendable {
    let plan: TilePlan
    let weightSum: [Float]
    var output: Tensor
    private let lock = NSLock()
    private var pending: [Int: Tensor] = [:]
    private var nextToRun = 0, nextToBlend = 0
    private(set) var done = 0

    init(plan: TilePlan, height: Int, width: Int) {
        self.plan = plan
        weightSum = plan.weightSum()
        output = Tensor(channels: 3, height: height, width: width)
    }

    /// The next tile to run, or nil when all are taken or the job was cancelled.
    func claim(cancel: CancellationFlag?) -> Int? {
        lock.lock(); defer { lock.unlock() }
        if cancel?.isCancelled == true || nextToRun >= plan.tiles.count { return nil }
        nextToRun += 1
        return nextToRun - 1
    }

    func finish(_ i: Int, _ t: Tensor, progress: ((TileProgress) -> Void)?) {
        lock.lock(); defer { lock.unlock() }
        pending[i] = t
        while let next = pending[nextToBlend] {
            blend(nextToBlend, next)
            pending[nextToBlend] = nil
            nextToBlend += 1
        }
        done += 1
        progress?(TileProgress(index: i, rect: plan.tiles[i], restored: t, done: done, total: plan.tiles.count))
    }

    /// output += t · w / Σw over the tile's rectangle.
    private func blend(_ i: Int, _ t: Tensor) {
        let r = plan.tiles[i], wt = plan.blendWeights(i)
        let h = output.height, w = output.width
        for c in 0..<3 {
            for y in 0..<r.height {
                for x in 0..<r.width {
                    let p = (r.y + y) * w + r.x + x
                    output.data[c * h * w + p] += t.data[(c * r.height + y) * r.width + x] * wt[y * r.width + x] / weightSum[p]
                }
            }
        }
    }
}
