import ArgumentParser
import Foundation
import Imaging
import RAMModel
import TensorCore
import TerminalUI

struct OutputOptions: ParsableArguments {
    @Option(help: "JPEG quality 1-100 for .jpg/.jpeg outputs.") var quality: Int = JPEGCodec.defaultQuality

    func validate() throws {
        if !(1...100).contains(quality) { throw ValidationError("--quality must be 1...100 (got \(quality))") }
    }
}

extension Restore {
    /// The argument rules of the two forms: INPUT OUTPUT, or inputs with --out-dir.
    func validatePaths() throws {
        guard ["png", "jpg", "jpeg"].contains(format.lowercased()) else {
            throw ValidationError("--format must be png or jpg (got \(format))")
        }
        if outDir == nil {
            guard paths.count == 2 else {
                throw ValidationError("give INPUT and OUTPUT, or the inputs with --out-dir DIR (got \(paths.count) paths)")
            }
            if skipExisting { throw ValidationError("--skip-existing goes with --out-dir") }
            if bitDepth == 16, (try? ImageFormat(outputPath: output)) == .jpeg {
                throw ValidationError("--bit-depth 16 needs a .png output (JPEG is 8-bit)")
            }
        } else {
            guard !paths.isEmpty else { throw ValidationError("give at least one input file or directory with --out-dir") }
            if bitDepth == 16 && format.lowercased() != "png" {
                throw ValidationError("--bit-depth 16 needs --format png (JPEG is 8-bit)")
            }
        }
    }

    /// `ram restore IN... --out-dir DIR`: restores every input into DIR, one line per file on
    /// stderr (with the overall progress), a bad file reported and passed over, a summary at the
    /// end, and the first failure's exit status if anything failed. Outputs follow the single-
    /// file rules: temporary file + rename, never over an existing file without --force, never
    /// onto any of the inputs.
    func runBatch(into outDir: String) throws {
        var files: [String] = []
        var model: RAMModelFile?
        try runMain {
            files = try ImageFile.expand(paths)
            guard !files.isEmpty else {
                throw UsageError(message: "no PNG or JPEG files in \(paths.joined(separator: ", "))")
            }
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: outDir, isDirectory: &isDir) {
                if !isDir.boolValue { throw UsageError(message: "--out-dir \(outDir) exists and is not a directory") }
            } else {
                do { try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true) } catch {
                    throw ImagingError(.directoryNotWritable(directory: outDir), path: outDir,
                                       detail: error.localizedDescription, reading: false)
                }
            }
            model = try weights.load()
        }
        guard let model else { return }
        let restorer = tiles.restorer(model, context: execution.context)
        let ext = format.lowercased() == "png" ? "png" : "jpg"
        let prefix = outDir.hasSuffix("/") ? outDir : outDir + "/"
        let total = files.count, width = String(total).count
        var claimed: [String: String] = [:]  // output -> the input it belongs to
        var failures: [(input: String, message: String, exit: ExitStatus)] = []
        var written = 0, skipped = 0
        let start = Date()

        func line(_ i: Int, _ text: String) {
            let n = String(i + 1)
            let bar = ProgressBar.glyphs(fraction: Double(i + 1) / Double(total), width: 20, empty: "·").joined()
            printErr("[\(String(repeating: " ", count: width - n.count))\(n)/\(total)] \(bar) \(text)")
        }

        for (i, input) in files.enumerated() {
            let name = URL(fileURLWithPath: input).deletingPathExtension().lastPathComponent + "." + ext
            let output = prefix + name
            do {
                if let other = claimed[output] {
                    throw UsageError(message: "\(input): \(output) is already the output of \(other); restore one of them separately")
                }
                claimed[output] = input
                if skipExisting && FileManager.default.fileExists(atPath: output) {
                    skipped += 1
                    line(i, "\(input): skipped, \(output) exists")
                    continue
                }
                try preflightOutput(output, force: force, inputs: files)
                let image = try inputOptions.read(input)
                let bar = StderrProgress("  \(URL(fileURLWithPath: input).lastPathComponent)")
                let t0 = Date()
                let restored = try restorer.restore(image) { bar.update($0.done, $0.total) }!
                try ImageFile.save(restored, to: output, force: force, inputs: files, bitDepth: bitDepth,
                                   quality: outputOptions.quality)
                written += 1
                line(i, String(format: "%@ -> %@ (%dx%d, %.2f s)", input, output, restored.width, restored.height,
                               Date().timeIntervalSince(t0)))
            } catch {
                let (message, code) = describe(error)
                failures.append((input, message, code))
                line(i, "\(input): FAILED: \(message)")
            }
        }
        let seconds = Date().timeIntervalSince(start)
        var summary = String(format: "restored %d of %d files into %@ in %.1f s", written, total, outDir, seconds)
        if skipped > 0 { summary += ", \(skipped) skipped (output exists)" }
        if failures.isEmpty {
            printErr(summary)
            return
        }
        printErr(summary + ", \(failures.count) failed:")
        for f in failures { printErr("  \(f.input): \(f.message)") }
        throw ExitCode(failures[0].exit.rawValue)
    }
}
