import ArgumentParser
import Foundation
import Imaging
import RAMModel

struct Features: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a GatedDA feature tap as colormapped PNGs: one per channel, plus mean |x| and max.",
        discussion: "Tap names: <block>.<branch>, e.g. encoder_level2.3.gamma; branches gamma (σ(γ), the gate), beta, alpha (α′), out, attn. `ram info --taps` lists them.")

    @Argument(help: "Input PNG or JPEG.") var input: String
    @Option(help: "Tap name, e.g. encoder_level2.3.gamma.") var tap: String
    @Option(help: "Output directory (created if missing).") var out: String
    @Option(help: "viridis, magma, turbo or gray.") var colormap: String = "viridis"
    @Flag(help: "Min–max scaling per map instead of the robust 1st–99th percentiles.") var minmax = false
    @Flag(help: "Scale maps up to the input size (nearest neighbour).") var upscale = false
    @OptionGroup var weights: WeightsOptions
    @OptionGroup var inputOptions: InputOptions
    @Flag(help: "Overwrite existing PNGs in OUT.") var force = false

    func run() throws {
        try runMain {
            guard let cmap = Colormap(rawValue: colormap) else { throw UsageError(message: "unknown colormap \(colormap)") }
            let model = try weights.load()
            let net = RAMNetwork(weights: model.weights)
            guard net.tapNames.contains(tap) else {
                let blocks = Set(net.tapNames.map { $0.split(separator: ".").dropLast().joined(separator: ".") })
                throw UsageError(message: "unknown tap \(tap); blocks are \(blocks.sorted().prefix(6).joined(separator: ", "))…, branches \(TapBranch.allCases.map(\.rawValue).joined(separator: ", ")) (see `ram info --taps`)")
            }
            let image = try inputOptions.read(input)
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: out, isDirectory: &isDir) {
                if !isDir.boolValue { throw UsageError(message: "--out \(out) exists and is not a directory") }
            } else {
                do { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) } catch {
                    throw ImagingError(.directoryNotWritable(directory: out), path: out, detail: "\(error.localizedDescription)", reading: false)
                }
            }
            let (_, taps) = net.forward(image.tensor, taps: TapRequest([tap]))
            let t = FeatureMaps.cropToImage(taps[tap]!, tap: tap, imageWidth: image.width, imageHeight: image.height)
            func save(_ values: [Float], _ name: String) throws -> ClosedRange<Float> {
                let range = valueRange(values, robust: !minmax)
                var img = colorize(values, width: t.width, height: t.height, colormap: cmap, range: range)
                if upscale && (img.width != image.width || img.height != image.height) { img = nearest(img, image.width, image.height) }
                try ImageFile.save(img, to: out + "/" + name, force: force, inputs: [input], bitDepth: 8)
                return range
            }
            var lines: [String] = []
            for c in 0..<t.channels {
                let r = try save(FeatureMaps.channel(t, c), String(format: "%@_c%03d.png", tap, c))
                lines.append(String(format: "%@_c%03d.png  range %.4g … %.4g", tap, c, r.lowerBound, r.upperBound))
            }
            for a in FeatureMaps.Aggregate.allCases {
                let r = try save(FeatureMaps.aggregate(t, a), "\(tap)_\(a.rawValue).png")
                lines.append(String(format: "%@_%@.png  range %.4g … %.4g", tap, a.rawValue, r.lowerBound, r.upperBound))
            }
            print("\(tap): \(t.channels) channels at \(t.width)x\(t.height) (1/\(FeatureMaps.scale(ofTap: tap)) of the input), \(minmax ? "min–max" : "robust 1–99%") scaling, \(colormap)")
            lines.forEach { print("  " + $0) }
        }
    }
}

func nearest(_ img: RGBImage, _ w: Int, _ h: Int) -> RGBImage {
    var out = RGBImage(width: w, height: h)
    for c in 0..<3 { for y in 0..<h { for x in 0..<w {
        out[c, y, x] = img[c, min(img.height - 1, y * img.height / h), min(img.width - 1, x * img.width / w)]
    } } }
    return out
}
