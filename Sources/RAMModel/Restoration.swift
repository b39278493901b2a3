import Foundation
import Imaging
import TensorCore

/// Image-level entry points: RGBImage in, RGBImage out, alpha carried through untouched.
///
/// By default an image is restored with the whole image's semantics (what one forward pass
/// over the whole image computes): in one pass when that fits `maxMemory`, otherwise by
/// `StreamedForward`, which gives the same output at bounded memory. Per-tile statistics
/// (`TiledRestorer`: every tile adapts to itself, overlaps blended) are there for people who
/// study them; they change the answer, so they are never chosen implicitly.
public struct Restorer: Sendable {
    public enum Statistics: Sendable, Equatable {
        /// Whole-image statistics (exact), one pass or streamed within the memory budget.
        case wholeImage
        /// Each tile of `tileSize` (overlapping by `overlap`) restored on its own and blended.
        case perTile
    }

    public let network: RAMNetwork
    public var statistics: Statistics
    /// Tile size and overlap (per-tile statistics, the first paint) and tiles in flight.
    public var tiling: Tiling
    /// Bytes the restoration may use for the network's feature maps and workspaces.
    public var maxMemory: Int
    /// Forces the streamed pass with this tile size (tests and studies); nil: chosen by `plan`.
    public var streamTile: Int?
    /// Paint a first result before the exact one (the viewer): tiles of `tileSize` restored with
    /// statistics pooled from full-resolution crops (`StatisticsPool`), reported with stage
    /// `.firstPaint` as each finishes, for images larger than two tiles.
    public var firstPaint = false
    /// Do no harm (`ChangeGuard`): applied to the finished image, whatever the plan; nil
    /// returns the network's output as it is. The tiles reported through `progress` are the
    /// network's, before the guard.
    public var changeGuard: ChangeGuard?
    /// How the passes run (threads, BLAS policy, kernels, precision, profiler); each of several
    /// workers runs under its own `context.worker()`.
    public var context: ExecutionContext

    public init(network: RAMNetwork, statistics: Statistics = .wholeImage, tiling: Tiling = Tiling(),
                maxMemory: Int = Restorer.defaultMaxMemory, streamTile: Int? = nil, context: ExecutionContext = .default) {
        self.network = network
        self.statistics = statistics
        self.tiling = tiling
        self.maxMemory = maxMemory
        self.streamTile = streamTile
        self.context = context
    }

    /// Per-tile defaults (`--tile`): measured with `ram bench` (see README, Performance).
    public static let defaultTileSize = 256
    public static let defaultOverlap = 32
    /// The default memory budget (`--max-memory`).
    public static let defaultMaxMemory = 1536 << 20

    /// Tiles in flight by default: one per core (each single-threaded, which beats one tile on
    /// every core), at most `maxDefaultWorkers` so memory stays bounded (one workspace per
    /// worker; see README, Tiling and memory).
    public static let maxDefaultWorkers = 4
    public static var defaultWorkers: Int {
        min(maxDefaultWorkers, max(1, ProcessInfo.processInfo.activeProcessorCount))
    }

    /// How an image of this size is restored.
    public enum Plan: Sendable, Equatable, CustomStringConvertible {
        case onePass
        case streamed(tiles: [Int], spill: Bool)
        case perTile(tiles: Int)

        public var description: String {
            switch self {
            case .onePass: return "one pass"
            case .streamed(let t, let spill):
                return "streamed in \(t.map(String.init).joined(separator: "/"))-pixel tiles\(spill ? ", feature maps in temporary files" : "")"
            case .perTile(let n): return "\(n) tiles with per-tile statistics"
            }
        }
    }

    /// Bytes one forward pass over a padded (h, w) image holds in its workspace: about 25·dim
    /// floats per pixel (the largest of each scratch tensor over the levels; measured by
    /// `Workspace.footprint`, see RestorerPlanTests) plus the padded input and the output.
    public func onePassBytes(height h: Int, width w: Int) -> Int {
        let n = RAMNetwork.padded(h) * RAMNetwork.padded(w)
        return 4 * n * (25 * network.configuration.dim + 6)
    }

    /// Bytes of the feature maps alive at once in the streamed pass: the decoder's last level
    /// (2·dim channels) read and written (2·2·dim floats per pixel).
    public func streamedMapBytes(height h: Int, width w: Int) -> Int {
        let n = RAMNetwork.padded(h) * RAMNetwork.padded(w)
        return 4 * n * 4 * network.configuration.dim
    }

    public func plan(height h: Int, width w: Int) -> Plan {
        if statistics == .perTile {
            let tiles = (try? tiling.plan(width: w, height: h).tiles.count) ?? 1
            return .perTile(tiles: tiles)
        }
        // The maps stay in memory when they fit beside the workspaces (a quarter of the budget).
        let spill = streamedMapBytes(height: h, width: w) > maxMemory - maxMemory / 4
        if let streamTile { return .streamed(tiles: [Int](repeating: streamTile, count: 4), spill: spill) }
        if onePassBytes(height: h, width: w) <= maxMemory { return .onePass }
        return .streamed(tiles: streamedTiles(workers: tiling.workers), spill: spill)
    }

    /// Per level, the largest tile (a multiple of 8) whose workspace fits a quarter of the
    /// budget split among the workers: a tile's workspace holds about 14 floats per pixel per
    /// channel of the level's widest block (2·dim at the first two levels, 4·dim, 8·dim),
    /// with its 4-pixel halo.
    func streamedTiles(workers: Int) -> [Int] {
        let d = network.configuration.dim
        return [2 * d, 2 * d, 4 * d, 8 * d].map { width in
            let side = Int((Double(maxMemory / 4 / workers) / Double(4 * 14 * width)).squareRoot()) - 2 * StreamedForward.blockHalo
            return max(16, min(1024, side / 8 * 8))
        }
    }

    /// Steps the restoration reports through `progress` for an image of this size.
    public func steps(height h: Int, width w: Int) -> Int {
        switch plan(height: h, width: w) {
        case .onePass: return 1
        case .perTile(let n): return n
        case .streamed(let t, let spill):
            return StreamedForward(network: network, tileSizes: t, spill: spill).steps(height: h, width: w)
        }
    }

    /// Restores the image; nil when cancelled.
    public func restore(_ image: RGBImage, cancel: CancellationFlag? = nil,
                        progress: ((TileProgress) -> Void)? = nil) throws -> RGBImage? {
        try restoreGuarded(image, cancel: cancel, progress: progress)?.image
    }

    /// Restores the image and says what the guard measured and did (nil without a guard); nil
    /// when cancelled.
    public func restoreGuarded(_ image: RGBImage, cancel: CancellationFlag? = nil,
                               progress: ((TileProgress) -> Void)? = nil) throws -> (image: RGBImage, guard: ChangeGuard.Outcome?)? {
        guard let (out, outcome) = try restoreGuarded(image.tensor, cancel: cancel, progress: progress) else { return nil }
        return (RGBImage(tensor: out, alpha: image.alpha, bitDepth: image.bitDepth), outcome)
    }

    /// Restores a (3, H, W) tensor; nil when cancelled.
    public func restore(_ image: Tensor, cancel: CancellationFlag? = nil,
                        progress: ((TileProgress) -> Void)? = nil) throws -> Tensor? {
        try restoreGuarded(image, cancel: cancel, progress: progress)?.output
    }

    /// The network's output by the plan, then the guard; nil when cancelled.
    func restoreGuarded(_ image: Tensor, cancel: CancellationFlag?,
                        progress: ((TileProgress) -> Void)?) throws -> (output: Tensor, guard: ChangeGuard.Outcome?)? {
        guard var out = try networkOutput(image, cancel: cancel, progress: progress) else { return nil }
        let outcome = changeGuard.map { $0.apply(input: image, output: &out) }
        return (out, outcome)
    }

    /// The network's output by the plan, before the guard; nil when cancelled.
    func networkOutput(_ image: Tensor, cancel: CancellationFlag?, progress: ((TileProgress) -> Void)?) throws -> Tensor? {
        let h = image.height, w = image.width
        let plan = plan(height: h, width: w)
        if firstPaint, statistics == .wholeImage, max(h, w) > 2 * tiling.tileSize - tiling.overlap {
            guard try paintFirst(image, cancel: cancel, progress: progress) else { return nil }
        }
        switch plan {
        case .perTile:
            return try TiledRestorer(network: network, tiling: tiling, context: context)
                .restore(image, cancel: cancel, progress: progress)
        case .onePass:
            if cancel?.isCancelled == true { return nil }
            let out = network.forward(image, context: context).output
            progress?(TileProgress(index: 0, rect: PixelRect(x: 0, y: 0, width: w, height: h), restored: out, done: 1, total: 1))
            return out
        case .streamed(let t, let spill):
            let streamed = StreamedForward(network: network, tileSizes: t, spill: spill, workers: tiling.workers,
                                           context: context)
            return try streamed.forward(image, cancel: cancel) { p in
                let rect = p.output?.rect ?? PixelRect(x: 0, y: 0, width: 0, height: 0)
                let restored = p.output?.restored ?? Tensor(channels: 3, height: 0, width: 0)
                progress?(TileProgress(index: p.done - 1, rect: rect, restored: restored, done: p.done, total: p.total))
            }
        }
    }

    /// The first paint: statistics pooled from four full-resolution crops of one tile each,
    /// then every tile (`tileSize`, `overlap`) restored with them and blended. False when
    /// cancelled.
    func paintFirst(_ image: Tensor, cancel: CancellationFlag?, progress: ((TileProgress) -> Void)?) throws -> Bool {
        let rects = StatisticsPool.cropRects(height: image.height, width: image.width, side: tiling.tileSize)
        let crops = rects.map { Layout.crop(image, y0: $0.y, x0: $0.x, height: $0.height, width: $0.width) }
        if cancel?.isCancelled == true { return false }
        let table = StatisticsPool.measure(network, crops: crops, context: context)
        let tiled = TiledRestorer(network: network, tiling: tiling, statistics: .fixed(table), context: context)
        let out = try tiled.restore(image, cancel: cancel) { t in
            var t = t
            t.stage = .firstPaint
            progress?(t)
        }
        return out != nil
    }
}

/// Where the shipped weights and samples live and which weights are the default.
public enum ShippedAssets {
    /// Preference order among shipped files: the best measured model first.
    public static let preference = ["ram-paper.safetensors", "ram-small.safetensors"]

    /// The first existing `Assets/<folder>` (holding `file`, when given): under $RAM_ASSETS,
    /// next to the executable's package (walking up from the binary, which lives in
    /// .build/<config>/), or under the current directory.
    public static func assetDirectory(_ folder: String, containing file: String? = nil) -> String? {
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["RAM_ASSETS"] { candidates.append(env + "/" + folder) }
        var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            candidates.append(dir.appendingPathComponent("Assets/" + folder).path)
            dir.deleteLastPathComponent()
        }
        candidates.append(FileManager.default.currentDirectoryPath + "/Assets/" + folder)
        return candidates.first { dir in FileManager.default.fileExists(atPath: file.map { dir + "/" + $0 } ?? dir) }
    }

    /// `Assets/weights`.
    public static func directory() -> String? { assetDirectory("weights") }

    /// The weights to use: an explicit path, else $RAM_WEIGHTS, else the best shipped file.
    public static func resolve(_ explicit: String?) throws -> String {
        if let explicit { return explicit }
        if let env = ProcessInfo.processInfo.environment["RAM_WEIGHTS"], !env.isEmpty { return env }
        guard let dir = directory() else {
            throw RAMError.weights("no --weights given and no Assets/weights directory found; pass --weights FILE.safetensors")
        }
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".safetensors") }.sorted()
        if let best = preference.first(where: files.contains) ?? files.first { return dir + "/" + best }
        throw RAMError.weights("no .safetensors weights in \(dir); pass --weights FILE.safetensors")
    }

    /// Directory of bundled sample photos (`Assets/samples`), the first that holds `file` when given.
    public static func samplesDirectory(containing file: String? = nil) -> String? {
        assetDirectory("samples", containing: file)
    }
}
