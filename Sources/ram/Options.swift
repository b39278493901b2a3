import ArgumentParser
import Foundation
import Imaging
import RAMModel

struct WeightsOptions: ParsableArguments {
    @Option(name: .long, help: "Weights (.safetensors). Default: $RAM_WEIGHTS, else the best model in Assets/weights.")
    var weights: String?

    func load() throws -> RAMModelFile { try RAMModelFile(path: try ShippedWeights.resolve(weights)) }
}

struct TileOptions: ParsableArguments {
    @Option(help: "Tile size in pixels (the image is restored tile by tile above this size).")
    var tile: Int = Restorer.defaultTileSize

    @Option(help: "Overlap between neighbouring tiles, in pixels.")
    var overlap: Int = Restorer.defaultOverlap

    @Option(help: "Tiles restored in parallel, each on one core (default: one per core, at most \(Restorer.maxDefaultWorkers); 1 = one tile at a time on every core).")
    var workers: Int?

    func validate() throws {
        if tile < 8 { throw ValidationError("--tile must be at least 8 (got \(tile))") }
        if overlap < 0 || overlap >= tile { throw ValidationError("--overlap must be ≥ 0 and smaller than --tile (got \(overlap) with tile \(tile))") }
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1 (got \(workers))") }
    }

    func restorer(_ model: RAMModelFile) -> Restorer {
        Restorer(network: RAMNetwork(weights: model.weights), tileSize: tile, overlap: overlap, workers: workers ?? Restorer.defaultWorkers)
    }
}

struct InputOptions: ParsableArguments {
    @Option(help: "Refuse images larger than this many megapixels (checked before decoding).")
    var maxMegapixels: Double = 100

    func read(_ path: String) throws -> RGBImage {
        try PNGCodec.read(path: path, maxPixels: Int(maxMegapixels * 1_000_000))
    }
}

struct MetricOptions: ParsableArguments {
    @Flag(help: "Score the luma (BT.601 Y) channel instead of RGB.")
    var yChannel = false

    @Option(help: "Pixels cropped from each border before scoring.")
    var crop: Int = 0

    var convention: String { metricConvention(yChannel: yChannel, crop: crop) }
    func psnrOf(_ a: RGBImage, _ b: RGBImage) -> Double { psnr(a, b, yChannel: yChannel, crop: crop) }
    func ssimOf(_ a: RGBImage, _ b: RGBImage) -> Double { ssim(a, b, yChannel: yChannel, crop: crop) }
}

func checkSameSize(_ a: RGBImage, _ b: RGBImage, _ pa: String, _ pb: String) throws {
    if a.width != b.width || a.height != b.height {
        throw UsageError(message: "\(pa) is \(a.width)x\(a.height) but \(pb) is \(b.width)x\(b.height); they must be the same size")
    }
}
