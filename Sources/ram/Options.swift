import ArgumentParser
import Foundation
import Imaging
import RAMModel
import TensorCore

struct WeightsOptions: ParsableArguments {
    @Option(name: .long, help: "Weights (.safetensors). Default: $RAM_WEIGHTS, else the best model in Assets/weights.")
    var weights: String?

    func load() throws -> RAMModelFile { try RAMModelFile(path: try ShippedAssets.resolve(weights)) }
}

struct TileOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Memory for the network's feature maps, in MB. Images that fit run in one pass; larger ones are streamed tile by tile with the same result, spilling feature maps to temporary files when they do not fit.",
        valueName: "MB"))
    var maxMemory: Int = Restorer.defaultMaxMemory >> 20

    @Option(help: ArgumentHelp(
        "Restore tiles of this size independently (per-tile statistics: each tile adapts to its own content, which changes the result; for studying tiling). Default: whole-image statistics.",
        valueName: "PIXELS"))
    var tile: Int?

    @Option(help: "Overlap between neighbouring tiles with --tile, in pixels.")
    var overlap: Int = Restorer.defaultOverlap

    @Flag(help: "Return the network's output as it is, without the weights' do-no-harm guard (which pulls an image the network would barely change back towards the input).")
    var noGuard = false

    @Option(help: "Tiles restored in parallel, each on one core (default: one per core, at most \(Restorer.maxDefaultWorkers); 1 = one tile at a time on every core).")
    var workers: Int?

    func validate() throws {
        if maxMemory < 64 { throw ValidationError("--max-memory must be at least 64 MB (got \(maxMemory))") }
        if let tile, tile < 8 { throw ValidationError("--tile must be at least 8 (got \(tile))") }
        if overlap < 0 || overlap >= (tile ?? Int.max) {
            throw ValidationError("--overlap must be ≥ 0 and smaller than --tile (got \(overlap) with tile \(tile ?? 0))")
        }
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1 (got \(workers))") }
    }

    var tiling: Tiling {
        Tiling(tileSize: tile ?? Restorer.defaultTileSize, overlap: overlap, workers: workers ?? Restorer.defaultWorkers)
    }

    /// `firstPaint`: the viewer paints a quick result (statistics pooled from crops) before the exact one.
    func restorer(_ model: RAMModelFile, firstPaint: Bool = false, context: ExecutionContext) -> Restorer {
        var r = Restorer(network: RAMNetwork(weights: model.weights), statistics: tile == nil ? .wholeImage : .perTile,
                         tiling: tiling, maxMemory: maxMemory << 20, context: context)
        r.firstPaint = firstPaint
        r.changeGuard = noGuard ? nil : model.changeGuard
        return r
    }
}

struct InputOptions: ParsableArguments {
    @Option(help: "Refuse images larger than this many megapixels (checked before decoding).")
    var maxMegapixels: Double = 100

    func read(_ path: String) throws -> RGBImage {
        try ImageFile.read(path: path, maxPixels: Int(maxMegapixels * 1_000_000))
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

/// `--seed`: an unsigned 64-bit integer. Declared with `parsing: .unconditional` so that
/// "-1" reaches this check instead of being taken for an option ("Missing value").
func parseSeed(_ text: String) throws -> UInt64 {
    guard let v = UInt64(text) else {
        throw ValidationError("--seed must be an integer from 0 to 18446744073709551615 (got \(text))")
    }
    return v
}

func checkSameSize(_ a: RGBImage, _ b: RGBImage, _ pa: String, _ pb: String) throws {
    if a.width != b.width || a.height != b.height {
        throw UsageError(message: "\(pa) is \(a.width)x\(a.height) but \(pb) is \(b.width)x\(b.height); they must be the same size")
    }
}
