import ArgumentParser
import Foundation
import Imaging
import RAMModel

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Degrade clean images, restore them, and score input and output (PSNR/SSIM).")

    @Argument(help: "Clean reference images (PNG or JPEG), or directories of them.") var clean: [String]
    @Option(help: "Comma-separated degradations; `clean` restores the undegraded image (default: clean and the standard five).") var kinds: String?
    @Option(parsing: .unconditional, help: "Seed for the degradations (image i uses seed + i).", transform: parseSeed) var seed: UInt64 = 0
    @Option(help: "Centre-crop each image to this size first (0 = whole image).") var cropTo: Int = 0
    @OptionGroup var weights: WeightsOptions
    @OptionGroup var tiles: TileOptions
    @OptionGroup var execution: ExecutionOptions
    @OptionGroup var metrics: MetricOptions
    @OptionGroup var inputOptions: InputOptions
    @Option(help: "Bit depth of the degraded image before it is restored and scored: 8 (as a saved 8-bit PNG, like the evaluation pairs and the training inputs), 16, or 0 for the float image.")
    var inputBits: Int = 8
    @Option(help: "On the clean row, a photo counts as made worse when its restored PSNR is below this (dB).")
    var cleanThreshold: Double = 40
    @Flag(help: "Print JSON instead of a table.") var json = false

    struct Row: Codable {
        var image: String, kind: String
        var inputPSNR, inputSSIM, restoredPSNR, restoredSSIM: Double
        /// The guard's measured change (RMS, [0, 1] units) and the share of it kept; nil without a guard.
        var change: Double? = nil, guardWeight: Double? = nil
    }

    /// Harm next to gain, per kind: the mean gain (restored − input PSNR), the worst photo's gain
    /// and the share of photos whose restored PSNR is below their input's. On the clean row the
    /// input is the reference itself (PSNR infinite): the worst photo is the one with the lowest
    /// restored PSNR, and a photo counts as made worse below `cleanThreshold` dB.
    struct Summary: Codable, Equatable {
        var kind: String
        var images: Int
        var meanInputPSNR, meanRestoredPSNR: Double
        var meanGain: Double?
        var worstGain: Double?
        var worstImage: String
        var worstRestoredPSNR: Double
        var worse: Int
        var worseShare: Double
        var worseRule: String

        init(kind: String, rows: [Row], cleanThreshold: Double) {
            self.kind = kind
            images = rows.count
            let n = Double(max(1, rows.count))
            meanInputPSNR = rows.map(\.inputPSNR).reduce(0, +) / n
            meanRestoredPSNR = rows.map(\.restoredPSNR).reduce(0, +) / n
            worstRestoredPSNR = rows.map(\.restoredPSNR).min() ?? .nan
            if kind == EvalKind.cleanName {
                meanGain = nil
                worstGain = nil
                worstImage = rows.min { $0.restoredPSNR < $1.restoredPSNR }?.image ?? ""
                worse = rows.filter { $0.restoredPSNR < cleanThreshold }.count
                worseRule = "restored PSNR < " + String(format: "%g", cleanThreshold) + " dB"
            } else {
                let gains = rows.map { $0.restoredPSNR - $0.inputPSNR }
                meanGain = gains.reduce(0, +) / n
                let worst = rows.indices.min { gains[$0] < gains[$1] }
                worstGain = worst.map { gains[$0] }
                worstImage = worst.map { rows[$0].image } ?? ""
                worse = gains.filter { $0 < 0 }.count
                worseRule = "restored PSNR < input PSNR"
            }
            worseShare = Double(worse) / n
        }
    }

    /// A row kind of `ram eval`: a degradation, or `clean` (the reference itself is restored).
    enum EvalKind: CustomStringConvertible {
        case clean
        case degraded(Degradation)
        static let cleanName = "clean"

        init(parsing text: String) throws {
            if text.trimmingCharacters(in: .whitespaces).lowercased() == EvalKind.cleanName { self = .clean } else {
                self = .degraded(try Degradation(parsing: text))
            }
        }

        var description: String {
            switch self {
            case .clean: return EvalKind.cleanName
            case .degraded(let d): return d.description
            }
        }

        func apply(to image: RGBImage, seed: UInt64) -> RGBImage {
            switch self {
            case .clean: return image
            case .degraded(let d): return d.apply(to: image, seed: seed)
            }
        }
    }

    func run() throws {
        try runMain {
            let cleanFiles = try ImageFile.expand(clean)
            guard !cleanFiles.isEmpty else { throw UsageError(message: "give at least one clean PNG or JPEG (or a directory holding some)") }
            guard [0, 8, 16].contains(inputBits) else {
                throw UsageError(message: "--input-bits \(inputBits): use 8, 16 or 0 (float)")
            }
            let list: [EvalKind] = try kinds.map { try $0.split(separator: ",", omittingEmptySubsequences: true)
                .reduce(into: [String]()) { acc, part in
                    // "blur:15,30" contains a comma: glue numeric tails back to the previous kind.
                    if let f = part.first, f.isNumber || f == "-" || f == ".", !acc.isEmpty { acc[acc.count - 1] += "," + part } else { acc.append(String(part)) }
                }.map { try EvalKind(parsing: $0) } } ?? [.clean] + Degradation.standardFive.map { .degraded($0) }
            let model = try weights.load()
            let restorer = tiles.restorer(model, context: execution.context)
            var rows: [Row] = []
            for (i, path) in cleanFiles.enumerated() {
                var ref = try inputOptions.read(path)
                if cropTo > 0 {
                    let w = min(cropTo, ref.width), h = min(cropTo, ref.height)
                    ref = ref.cropped(x: (ref.width - w) / 2, y: (ref.height - h) / 2, width: w, height: h)
                }
                ref.alpha = nil
                for d in list {
                    let float = d.apply(to: ref, seed: seed + UInt64(i))
                    // The clean row restores the reference as it is (already a PNG's samples).
                    let degraded: RGBImage
                    if case .clean = d { degraded = float } else { degraded = inputBits == 0 ? float : float.quantized(bits: inputBits) }
                    let (out, outcome) = try restorer.restoreGuarded(degraded)!
                    let restored = out.clamped()
                    rows.append(Row(image: URL(fileURLWithPath: path).lastPathComponent, kind: d.description,
                                    inputPSNR: metrics.psnrOf(degraded, ref), inputSSIM: metrics.ssimOf(degraded, ref),
                                    restoredPSNR: metrics.psnrOf(restored, ref), restoredSSIM: metrics.ssimOf(restored, ref),
                                    change: outcome?.change, guardWeight: outcome?.weight))
                    if isatty(2) != 0 { printErr("  \(rows.last!.image) \(d): done") }
                }
            }
            let means = list.map { d -> Row in
                let r = rows.filter { $0.kind == d.description }
                let n = Double(r.count)
                return Row(image: "mean", kind: d.description, inputPSNR: r.map(\.inputPSNR).reduce(0, +) / n,
                           inputSSIM: r.map(\.inputSSIM).reduce(0, +) / n, restoredPSNR: r.map(\.restoredPSNR).reduce(0, +) / n,
                           restoredSSIM: r.map(\.restoredSSIM).reduce(0, +) / n)
            }
            let summary = list.map { d in
                Summary(kind: d.description, rows: rows.filter { $0.kind == d.description }, cleanThreshold: cleanThreshold)
            }
            if json {
                let enc = JSONEncoder()
                enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
                enc.outputFormatting = [.prettyPrinted, .sortedKeys]
                struct Report: Codable {
                    var weights: String; var convention: String; var input: String; var rows: [Row]; var means: [Row]; var summary: [Summary]
                }
                print(String(decoding: try enc.encode(Report(weights: model.path, convention: metrics.convention, input: inputBits == 0 ? "float" : "\(inputBits)-bit",
                                                             rows: rows, means: means, summary: summary)), as: UTF8.self))
                return
            }
            print("weights: \(model.path)  (\(model.configuration))")
            print("metrics: PSNR dB / SSIM on \(metrics.convention), outputs clamped to [0,1]; input \(inputBits == 0 ? "float (unquantised)" : "quantised to \(inputBits) bits")")
            let nameW = max(8, (rows.map(\.image.count) + [4]).max()!)
            let kindW = max(10, (list.map(\.description.count)).max()!)
            func line(_ r: Row) -> String {
                r.image.padding(toLength: nameW, withPad: " ", startingAt: 0) + "  "
                    + r.kind.padding(toLength: kindW, withPad: " ", startingAt: 0)
                    + String(format: "  %7.2f / %.4f   %7.2f / %.4f   ", r.inputPSNR, r.inputSSIM, r.restoredPSNR, r.restoredSSIM)
                    + (r.inputPSNR.isFinite ? String(format: "%+6.2f", r.restoredPSNR - r.inputPSNR) : "     —")
            }
            print("image".padding(toLength: nameW, withPad: " ", startingAt: 0) + "  " + "kind".padding(toLength: kindW, withPad: " ", startingAt: 0)
                  + "   input PSNR/SSIM   restored PSNR/SSIM   gain")
            rows.forEach { print(line($0)) }
            print(String(repeating: "-", count: nameW + kindW + 50))
            means.forEach { print(line($0)) }
            print("")
            print("harm: per kind, mean gain, the worst photo's gain, photos made worse "
                  + "(clean row: lowest restored PSNR, photos below " + String(format: "%g", cleanThreshold) + " dB)")
            for s in summary {
                let kind = s.kind.padding(toLength: kindW, withPad: " ", startingAt: 0)
                if let gain = s.meanGain, let worst = s.worstGain {
                    print(kind + String(format: "  mean %+6.2f  worst %+6.2f (", gain, worst) + s.worstImage
                          + String(format: ")  worse %d/%d (%.0f %%)", s.worse, s.images, 100 * s.worseShare))
                } else {
                    print(kind + String(format: "  mean %6.2f dB  worst %6.2f dB (", s.meanRestoredPSNR, s.worstRestoredPSNR) + s.worstImage
                          + String(format: ")  below %d/%d (%.0f %%)", s.worse, s.images, 100 * s.worseShare))
                }
            }
        }
    }
}
