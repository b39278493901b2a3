import ArgumentParser
import Foundation
import Imaging

struct Degrade: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Degrade an image with one of the five degradations (seeded, deterministic).",
        discussion: """
            KIND: noise:SIGMA (0–255 scale), rain:light|medium|heavy|LEVEL, haze:BETA,
            blur (random camera shake) or blur:LENGTH[,ANGLE], lowlight:LEVEL (0–1).
            """)

    @Argument(help: "Input PNG or JPEG (never written to).") var input: String
    @Argument(help: "Output: .png, or .jpg/.jpeg (JPEG at --quality).") var output: String
    @Option(help: "The degradation, e.g. noise:25, rain:heavy, haze:1.2, blur:15,30, lowlight:0.5.") var kind: String
    @Option(parsing: .unconditional, help: "Random seed.", transform: parseSeed) var seed: UInt64 = 0
    @OptionGroup var inputOptions: InputOptions
    @Flag(help: "Overwrite OUTPUT if it exists.") var force = false
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        try runMain {
            let d = try Degradation(parsing: kind)
            try preflightOutput(output, force: force, inputs: [input])
            let image = try inputOptions.read(input)
            let out = d.apply(to: image, seed: seed)
            try ImageFile.save(out, to: output, force: force, inputs: [input], quality: outputOptions.quality)
        }
    }
}
