import ArgumentParser
import Foundation
import Imaging
import RAMModel

struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Restore an image, or many into a directory (PNG or JPEG in; PNG or JPEG out by extension).",
        discussion: """
            ram restore IN OUT: one image; OUT's extension picks the format (.png, or .jpg/.jpeg with --quality).

            ram restore IN... --out-dir DIR: every input file, and the PNG/JPEG files directly in every input \
            directory, into DIR as NAME.png (--format jpg: NAME.jpg); one line per file, a summary at the end, \
            exit status non-zero if any file failed (the others are still written).
            """)

    @Argument(help: "INPUT OUTPUT, or with --out-dir the inputs (files and directories). Inputs are never written to; outputs go through a temporary file, then a rename.")
    var paths: [String]
    @Option(help: "Restore every input into this directory (created if missing).") var outDir: String?
    @Option(help: "Output format with --out-dir: png or jpg.") var format: String = "png"
    @Flag(help: "With --out-dir: leave inputs whose output already exists alone.") var skipExisting = false
    @OptionGroup var outputOptions: OutputOptions
    var input: String { paths[0] }
    var output: String { paths[1] }
    @OptionGroup var weights: WeightsOptions
    @OptionGroup var tiles: TileOptions
    @OptionGroup var execution: ExecutionOptions
    @OptionGroup var inputOptions: InputOptions
    @Flag(help: "Overwrite OUTPUT if it exists.") var force = false
    @Option(help: "Output bit depth, 8 or 16 (default: the input's).") var bitDepth: Int?

    func validate() throws {
        if let b = bitDepth, b != 8 && b != 16 { throw ValidationError("--bit-depth must be 8 or 16") }
        try validatePaths()
    }

    func run() throws {
        if let outDir { return try runBatch(into: outDir) }
        try runMain {
            // Check the output before the (slow) restoration, so a mistake costs nothing.
            try preflightOutput(output, force: force, inputs: [input])
            let model = try weights.load()
            let image = try inputOptions.read(input)
            let bar = StderrProgress("restoring \(URL(fileURLWithPath: input).lastPathComponent)")
            let start = Date()
            let restorer = tiles.restorer(model, context: execution.context)
            let plan = restorer.plan(height: image.height, width: image.width)
            let (restored, outcome) = try restorer.restoreGuarded(image) { bar.update($0.done, $0.total) }!
            try ImageFile.save(restored, to: output, force: force, inputs: [input], bitDepth: bitDepth,
                               quality: outputOptions.quality)
            if isatty(2) != 0 {
                printErr(String(format: "wrote %@ (%dx%d, %@) in %.2f s", output, image.width, image.height,
                                plan.description, Date().timeIntervalSince(start)) + (outcome.map { "; " + $0.summary } ?? ""))
            }
        }
    }
}

/// Fails early when OUTPUT could not be written later (exists without --force, is an input,
/// directory missing or unwritable), without creating anything.
func preflightOutput(_ path: String, force: Bool, inputs: [String]) throws {
    _ = try ImageFormat(outputPath: path)
    var failure: Error?
    do {
        try SafeFile.write(to: path, force: force, inputs: inputs) { _ in throw PreflightDone() }
    } catch is PreflightDone {
        return
    } catch { failure = error }
    if let failure { throw failure }
}

private struct PreflightDone: Error {}
