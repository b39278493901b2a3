import ArgumentParser
import Foundation
import Imaging

struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare two images: PSNR/SSIM of A against B, and an error-map PNG with a legend strip.")

    @Argument(help: "Image A (e.g. the restored image).") var a: String
    @Argument(help: "Image B (the reference).") var b: String
    @Option(help: "Write the error map here (map above, legend strip below; .png, or .jpg/.jpeg at --quality).") var out: String?
    @Option(help: "abs (|A−B|, mean over channels), absmax (max over channels) or signed (A−B).") var mode: String = "abs"
    @Option(help: "Multiply errors by this before colouring (the legend shows the real values).") var amplify: Float = 1
    @Option(help: "Colour scale: robust (1st–99th percentile), minmax, or fixed (0–1; −1–1 when signed).") var scale: String = "robust"
    @Option(help: "viridis, magma, turbo, gray (absolute maps) or blueRed (signed).") var colormap: String?
    @OptionGroup var metrics: MetricOptions
    @OptionGroup var inputOptions: InputOptions
    @Flag(help: "Overwrite --out if it exists.") var force = false
    @OptionGroup var outputOptions: OutputOptions
    @Flag(help: "Print JSON instead of text.") var json = false

    func run() throws {
        try runMain {
            let kind: ErrorMapStyle.Kind
            switch mode {
            case "abs": kind = .absolute(.mean)
            case "absmax": kind = .absolute(.max)
            case "signed": kind = .signed
            default: throw UsageError(message: "--mode must be abs, absmax or signed (got \(mode))")
            }
            let norm: ValueNormalization
            switch scale {
            case "robust": norm = .robust
            case "minmax": norm = .minMax
            case "fixed": norm = .fixed(mode == "signed" ? -1...1 : 0...1)
            default: throw UsageError(message: "--scale must be robust, minmax or fixed (got \(scale))")
            }
            var cmap: Colormap?
            if let colormap {
                guard let c = Colormap(rawValue: colormap) else {
                    throw UsageError(message: "unknown colormap \(colormap); use one of \(Colormap.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                cmap = c
            }
            guard amplify > 0 else { throw UsageError(message: "--amplify must be positive") }
            if let out { try preflightOutput(out, force: force, inputs: [a, b]) }
            let ia = try inputOptions.read(a), ib = try inputOptions.read(b)
            try checkSameSize(ia, ib, a, b)
            let p = metrics.psnrOf(ia, ib), s = metrics.ssimOf(ia, ib)
            var range: ClosedRange<Float>?
            if let out {
                let result = ErrorMap.render(ia, ib, style: ErrorMapStyle(kind: kind, normalization: norm, amplification: amplify, colormap: cmap))
                range = result.range
                let legend = ColorLegend(colormap: cmap ?? (mode == "signed" ? .blueRed : .viridis), range: result.range,
                                         length: result.image.width, thickness: max(6, min(24, result.image.height / 12)))
                try ImageFile.save(stack(result.image, legend.image), to: out, force: force, inputs: [a, b], bitDepth: 8,
                                   quality: outputOptions.quality)
            }
            if json {
                // JSON has no infinity: identical images report "inf".
                var obj: [String: Any] = ["psnr": p.isFinite ? p as Any : (p > 0 ? "inf" : "nan"), "ssim": s.isFinite ? s as Any : "nan",
                                          "convention": metrics.convention]
                if let range { obj["map_range"] = [range.lowerBound, range.upperBound]; obj["map"] = out! }
                print(String(decoding: try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys]), as: UTF8.self))
            } else {
                // SSIM needs an 11×11 window: smaller images have none.
                let ssimText = s.isFinite ? String(format: "%.4f", s) : "n/a (smaller than the 11×11 window)"
                print(String(format: "PSNR %.2f dB  SSIM %@  (%@)", p, ssimText, metrics.convention))
                if let range, let out {
                    print(String(format: "error map: %@, colours span %.4g … %.4g (legend strip below the map)", out,
                                 range.lowerBound, range.upperBound))
                }
            }
        }
    }
}

/// `top` above `bottom` (same width); the result has no alpha.
func stack(_ top: RGBImage, _ bottom: RGBImage) -> RGBImage {
    let w = top.width, h = top.height + bottom.height
    var out = RGBImage(width: w, height: h)
    for c in 0..<3 {
        for y in 0..<h {
            for x in 0..<w {
                if y < top.height {
                    out[c, y, x] = top[c, y, x]
                } else if x < bottom.width {
                    out[c, y, x] = bottom[c, y - top.height, x]
                }
            }
        }
    }
    return out
}
