import ArgumentParser
import Foundation
import RAMModel

struct View: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Open the terminal viewer (default: a demo on the bundled sample).")

    @Argument(help: "Image to restore and inspect (default: the bundled sample, degraded on the fly).") var image: String?
    @Option(help: "Clean reference image, for error maps and PSNR/SSIM.") var reference: String?
    @Option(help: "Degradation applied to the demo sample.") var degrade: String = "noise:25"
    @Option(help: "Colour mode: truecolor or 256 (default: detected).") var color: String?
    @OptionGroup var weights: WeightsOptions
    @OptionGroup var tiles: TileOptions

    func run() throws {
        try runMain {
            throw UsageError(message: "the viewer is not built yet")
        }
    }
}
