import Foundation
import Imaging
import TensorCore

/// Image-level entry points: RGBImage in, RGBImage out, alpha carried through untouched.
public struct Restorer: Sendable {
    public let network: RAMNetwork
    public var tileSize: Int
    public var overlap: Int
    public var workers: Int

    public init(network: RAMNetwork, tileSize: Int = Restorer.defaultTileSize, overlap: Int = Restorer.defaultOverlap,
                workers: Int = 1) {
        self.network = network
        self.tileSize = tileSize
        self.overlap = overlap
        self.workers = workers
    }

    /// Defaults measured with `ram bench` (see README, Performance).
    public static let defaultTileSize = 256
    public static let defaultOverlap = 32

    /// Tiles in flight by default: one per core (each single-threaded, which beats one tile on
    /// every core: a 1024² image with ram-small 3.8-4.1 s with two workers vs 5.1-5.4 s with
    /// one on two cores), at most `maxDefaultWorkers` so memory stays bounded (one workspace
    /// per worker; see README, Tiling and memory). Images of one tile use every core either way.
    public static let maxDefaultWorkers = 4
    public static var defaultWorkers: Int {
        min(maxDefaultWorkers, max(1, ProcessInfo.processInfo.activeProcessorCount))
    }

    /// Restores the image (tiled when larger than a tile). nil when cancelled.
    public func restore(_ image: RGBImage, cancel: CancellationFlag? = nil,
                        progress: ((TileProgress) -> Void)? = nil) throws -> RGBImage? {
        let tiled = TiledRestorer(network: network, tileSize: tileSize, overlap: overlap, workers: workers)
        guard let out = try tiled.restore(image.tensor, cancel: cancel, progress: progress) else { return nil }
        return RGBImage(tensor: out, alpha: image.alpha, bitDepth: image.bitDepth)
    }
}

/// Where the shipped weights live and which one is the default.
public enum ShippedWeights {
    /// Preference order among shipped files: the best measured model first.
    public static let preference = ["ram-paper.safetensors", "ram-small.safetensors"]

    /// `Assets/weights` next to the executable's package (walking up from the binary, which
    /// lives in .build/<config>/), or under the current directory.
    public static func directory() -> String? {
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["RAM_ASSETS"] { candidates.append(env + "/weights") }
        var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            candidates.append(dir.appendingPathComponent("Assets/weights").path)
            dir.deleteLastPathComponent()
        }
        candidates.append(FileManager.default.currentDirectoryPath + "/Assets/weights")
        return candidates.first { FileManager.default.fileExists(atPath: $0) }
    }

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

    /// Directory of bundled sample photos.
    public static func samplesDirectory() -> String? {
        guard let w = directory() else { return nil }
        let s = URL(fileURLWithPath: w).deletingLastPathComponent().appendingPathComponent("samples").path
        return FileManager.default.fileExists(atPath: s) ? s : nil
    }
}
