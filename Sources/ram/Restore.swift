import ArgumentParser
import Foundation
import Imaging
import RAMModel

struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Restore an image (PNG in, PNG out).")

    @Argument(help: "Input PNG (never written to).") var input: String
    @Argument(help: "Output PNG (written to a temporary file, then renamed).") var output: String
    @OptionGroup var weights: WeightsOptions
    @OptionGroup var tiles: TileOptions
    @OptionGroup var inputOptions: InputOptions
    @Flag(help: "Overwrite OUTPUT if it exists.") var force = false
    @Option(help: "Output bit depth, 8 or 16 (default: the input's).") var bitDepth: Int?

    func validate() throws {
        if let b = bitDepth, b != 8 && b != 16 { throw ValidationError("--bit-depth must be 8 or 16") }
    }

    func run() throws {
        try runMain {
            // Check the output before the (slow) restoration, so a mistake costs nothing.
            try preflightOutput(output, force: force, inputs: [input])
            let model = try weights.load()
            let image = try inputOptions.read(input)
            let bar = ProgressBar("restoring \(URL(fileURLWithPath: input).lastPathComponent)")
            let start = Date()
            let restorer = tiles.restorer(model)
            let plan = restorer.plan(height: image.height, width: image.width)
            let restored = try restorer.restore(image) { bar.update($0.done, $0.total) }!
            try PNGCodec.save(restored, to: output, force: force, inputs: [input], bitDepth: bitDepth)
            if isatty(2) != 0 {
                printErr(String(format: "wrote %@ (%dx%d, %@) in %.2f s", output, image.width, image.height,
                                plan.description, Date().timeIntervalSince(start)))
            }
        }
    }
}

/// Fails early when OUTPUT could not be written later (exists without --force, is an input,
/// directory missing or unwritable), without creating anything.
func preflightOutput(_ path: String, force: Bool, inputs: [String]) throws {
    var failure: Error?
    do {
        try SafeFile.write(to: path, force: force, inputs: inputs) { _ in throw PreflightDone() }
    } catch is PreflightDone {
        return
    } catch { failure = error }
    if let failure { throw failure }
}

private struct PreflightDone: Error {}
