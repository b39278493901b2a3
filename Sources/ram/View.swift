import ArgumentParser
import Foundation
import Imaging
import RAMModel
import TerminalUI
import Viewer

struct View: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open the terminal viewer (default: a demo on the bundled sample).",
        discussion: """
            With no IMAGE, opens the bundled sample (Assets/samples/astronaut.png) degraded with --degrade \
            (default noise:25), restores it live and uses the clean photo as the reference. With IMAGE and \
            --degrade, the same happens to IMAGE (the original becomes the reference unless --reference is given). \
            With several images (or a directory), each is read when first shown and keeps what was computed for it; \
            --degrade applies to each, --reference needs a single IMAGE. \
            Press ? in the viewer for the keys. RAM_VIEW_LATENCY_LOG=FILE logs key-to-frame latencies.
            """)

    @Argument(help: ArgumentHelp(
        "Images or directories to restore and inspect (default: the bundled sample, degraded on the fly). A directory opens its PNG and JPEG files, sorted by name; . and , (PgDn, PgUp) step through the images.",
        valueName: "image"))
    var images: [String] = []
    @Option(help: "Clean reference image, for error maps and PSNR/SSIM.") var reference: String?
    @Option(help: "Degradation applied on the fly (demo default: noise:25), e.g. rain:heavy, haze:1.2, blur:15,30, lowlight:0.5.")
    var degrade: String?
    @Option(parsing: .unconditional, help: "Seed of the on-the-fly degradation.", transform: parseSeed) var seed: UInt64 = 0
    @Option(help: "Colour mode: truecolor, 256, 16, 8 or mono (default: detected from COLORTERM and terminfo's RGB and colors).") var color: String?
    @Option(name: .long, help: ArgumentHelp(
        "Weights (.safetensors); give it twice to compare two models (A, then B: restored by each, compared, scored, differenced, their feature maps and grid rows side by side). Default A: $RAM_WEIGHTS, else the best model in Assets/weights.",
        valueName: "FILE"))
    var weights: [String] = []
    @OptionGroup var tiles: TileOptions
    @OptionGroup var execution: ExecutionOptions
    @OptionGroup var inputOptions: InputOptions
    @Option(help: ArgumentHelp("The second model: the same as a second --weights.", valueName: "FILE"))
    var compare: String?
    @Option(help: "Directory where w writes the view as numbered PNGs (default: the current directory).")
    var outDir: String?
    @Flag(help: "No mouse (by default: click moves the cursor, drag moves the split divider, the wheel zooms).")
    var noMouse = false
    @Flag(help: "Print the viewer's keys as a Markdown table (the README's) and exit.") var keys = false

    static let demoSample = "astronaut.png"
    static let demoDegradation = "noise:25"

    func validate() throws {
        if let outDir {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: outDir, isDirectory: &isDir), isDir.boolValue else {
                throw ValidationError("--out-dir \(outDir) is not a directory")
            }
        }
        if weights.count > 2 {
            throw ValidationError("--weights takes at most two models, A and B (got \(weights.count))")
        }
        if weights.count == 2, compare != nil {
            throw ValidationError("the second model is given twice: use --weights A --weights B or --compare B, not both")
        }
        if let color, ColorMode(name: color) == nil { throw ValidationError("--color must be truecolor, 256, 16, 8 or mono (got \(color))") }
    }

    func run() throws {
        if keys {
            print(KeyBindings.markdown(), terminator: "")
            return
        }
        try runMain {
            let colorOverride = color.flatMap(ColorMode.init(name:))
            var paths = images
            if images.count > 1 || images.contains(where: View.isDirectory) {
                paths = try ImageFile.expand(images)
                guard !paths.isEmpty else { throw UsageError(message: "no PNG or JPEG files in \(images.joined(separator: ", "))") }
            }
            if paths.count > 1, reference != nil {
                throw UsageError(message: "--reference goes with a single IMAGE (got \(paths.count) images)")
            }
            let model = try RAMModelFile(path: try ShippedAssets.resolve(weights.first))
            let restorer = tiles.restorer(model, firstPaint: true, context: execution.context)
            var input: RGBImage
            var name: String
            var referenceImage: RGBImage?
            var referenceName: String?
            var onTheFly: OnTheFlyDegradation?
            var degradation = try degrade.map { try Degradation(parsing: $0) }
            var list: ImageList?
            if paths.count > 1 {
                let read = View.reader(
                    maxPixels: Int(inputOptions.maxMegapixels * 1_000_000), degradation: degradation, seed: seed,
                    restorer: restorer)
                // The first readable image is shown; the others are read when reached.
                var failures: [Int: String] = [:]
                var first: (Int, GalleryImage)?
                var firstError: Error?
                for (i, path) in paths.enumerated() {
                    do {
                        first = (i, try read(path))
                        break
                    } catch {
                        failures[i] = ImageReadFailure(error, path: path).message
                        firstError = firstError ?? error
                    }
                }
                guard let (index, image) = first else { throw firstError! }
                list = ImageList(paths: paths, index: index, failures: failures, read: read)
                input = image.input
                name = image.inputName
                referenceImage = image.reference
                referenceName = image.referenceName
                onTheFly = image.onTheFly
                degradation = nil  // applied by the reader
            } else if let image = paths.first {
                input = try inputOptions.read(image)
                name = URL(fileURLWithPath: image).lastPathComponent
            } else {
                guard let dir = ShippedAssets.samplesDirectory(containing: View.demoSample) else {
                    throw UsageError(
                        message: "no IMAGE given and the bundled sample (Assets/samples/\(View.demoSample)) was not found")
                }
                input = try inputOptions.read(dir + "/" + View.demoSample)
                name = View.demoSample
                if degradation == nil { degradation = try Degradation(parsing: View.demoDegradation) }
            }
            if let reference {
                let r = try inputOptions.read(reference)
                try checkSameSize(input, r, paths.first ?? name, reference)
                referenceImage = r
                referenceName = URL(fileURLWithPath: reference).lastPathComponent
            }
            if let degradation {
                if referenceImage == nil {
                    referenceImage = input
                    referenceName = name + " (clean)"
                    onTheFly = OnTheFlyDegradation(baseName: name, degradation: degradation, seed: seed)
                }
                input = degradation.apply(to: input, seed: seed)
                name += " + \(degradation)"
            }
            let cfg = model.configuration
            let summary = String(
                format: "dim %d · %@ · %.2f\u{00A0}M\u{00A0}params", cfg.dim,  // the count wraps as one piece
                "blocks \(cfg.numBlocks.map(String.init).joined(separator: ","))",
                Double(model.weights.parameterCount) / 1e6)
                + (restorer.changeGuard.map { String(format: " · guard %.1f/255", $0.changeRMS * 255) } ?? "")
            let modelB = try (weights.count == 2 ? weights[1] : compare).map { try RAMModelFile(path: $0) }
            var info = SessionInfo(
                inputName: name, referenceName: referenceName,
                modelName: URL(fileURLWithPath: model.path).lastPathComponent, modelSummary: summary,
                tiling: restorer.tiling)
            info.restorePlan = restorer.plan(height: input.height, width: input.width).description
                + (execution.precision == .bf16 ? " in bf16" : "")
            info.restoreSteps = restorer.steps(height: input.height, width: input.width)
            var config = ViewerConfiguration(
                input: input, reference: referenceImage, info: info, blocks: BlockInfo.list(model.weights),
                restorer: restorer, colorOverride: colorOverride,
                latencyLog: ProcessInfo.processInfo.environment["RAM_VIEW_LATENCY_LOG"])
            config.outputDirectory = outDir ?? "."
            config.mouse = !noMouse
            config.list = list
            if let modelB {
                config.info.secondModelName = URL(fileURLWithPath: modelB.path).lastPathComponent
                config.restorerB = tiles.restorer(modelB, firstPaint: true, context: execution.context)
            }
            config.onTheFly = onTheFly
            let status = try ViewerApp.run(config)
            // The terminal is back. Leave without running exit handlers: a restoration or a
            // feature pass may still be inside OpenBLAS on another thread, and OpenBLAS's exit
            // handler (gotoblas_quit → blas_thread_shutdown_) then waits on its worker threads,
            // measured here to hang the exit for as long as the pass runs.
            fflush(nil)
            _exit(status)
        }
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }

    /// How the viewer reads an image of a list: decoded (EXIF orientation applied), degraded
    /// on the fly when asked (the original is then its reference), with the restorer's plan.
    static func reader(maxPixels: Int, degradation: Degradation?, seed: UInt64, restorer: Restorer)
        -> @Sendable (String) throws -> GalleryImage
    {
        { path in
            let clean = try ImageFile.read(path: path, maxPixels: maxPixels)
            let name = URL(fileURLWithPath: path).lastPathComponent
            var image = GalleryImage(input: clean, inputName: name)
            if let degradation {
                image.input = degradation.apply(to: clean, seed: seed)
                image.inputName = name + " + \(degradation)"
                image.reference = clean
                image.referenceName = name + " (clean)"
                image.onTheFly = OnTheFlyDegradation(baseName: name, degradation: degradation, seed: seed)
            }
            image.restorePlan = restorer.plan(height: clean.height, width: clean.width).description
            image.restoreSteps = restorer.steps(height: clean.height, width: clean.width)
            return image
        }
    }
}
