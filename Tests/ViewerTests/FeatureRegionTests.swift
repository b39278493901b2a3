import Foundation
import Imaging
import TensorCore
import TerminalUI
import Testing

@testable import RAMModel
@testable import Viewer

/// Feature maps of a large image: at fit, one pass over a downscaled copy (labelled so); zoomed
/// in, the visible part at full resolution with a context margin, statistics pooled from crops
/// of the whole image, and the cursor readout in image pixels.
struct FeatureRegionTests {
    static func state() -> ViewerState {
        var s = ViewerState(
            info: Fixtures.info, input: Fixtures.gradient(width: 1600, height: 1200), reference: nil, blocks: Fixtures.blocks,
            size: TerminalSize(cols: 120, rows: 40))
        _ = update(&s, .start)
        return s
    }

    /// The region of the feature pass `effects` ask for: nil when none is asked for, and
    /// `whole` for the whole image.
    static let whole = PixelRect(x: -1, y: -1, width: 0, height: 0)
    static func region(_ effects: [Effect]) -> PixelRect? {
        for case .computeFeatures(_, _, _, let region) in effects { return region ?? whole }
        return nil
    }

    @Test func atFitTheWholeImageZoomedInTheVisibleRegionAtFullResolution() throws {
        var s = Self.state()
        let atFit = update(&s, .key(.char("2")))
        #expect(Self.region(atFit) == Self.whole, "fit: the whole (downscaled) image")
        s.viewport.cursorX = 1000
        s.viewport.cursorY = 700
        let zoomed = update(&s, .key(.char("z")))  // fit → 1:1
        let r = try #require(Self.region(zoomed))
        let visible = try #require(featureRegion(s)).visible
        #expect(r.x % 8 == 0 && r.y % 8 == 0)
        #expect(r.x <= visible.x - featureMargin + 8 && r.x + r.width >= min(1600, visible.x + visible.width + featureMargin))
        #expect(r.y <= visible.y && r.y + r.height >= visible.y + visible.height)
        #expect(r.width <= EffectRunner.featureMaxSide + 2 * featureMargin + 8)
        // A small pan stays inside the computed region: no new pass.
        let id = s.jobs.features!.id
        var taps: [TapBranch: Tensor] = [:]
        taps[.gamma] = Fixtures.ramp(channels: 4, height: r.height, width: r.width)
        var data = FeatureData(block: "encoder_level1.0", taps: taps)
        data.region = r
        _ = update(&s, .featuresReady(id, data))
        #expect(update(&s, .key(.char("l"))).isEmpty)
        // The label says what is shown; the readout is at the cursor's image pixel.
        let text = Screen.render(s, cache: RenderCache(colorMode: .trueColor)).lines().joined(separator: "\n")
        #expect(text.contains("1/1 res over x \(r.x)–\(r.x + r.width - 1) y \(r.y)–\(r.y + r.height - 1)"), "\(text.count) chars")
        #expect(text.contains("statistics pooled from 4 crops"))
        let cx = s.viewport.cursorX, cy = s.viewport.cursorY
        let expected = FeatureRendering.value(taps[.gamma]!, .meanAbs, x: cx - r.x, y: cy - r.y)!
        #expect(text.contains("Cursor   x \(cx)  y \(cy)"), "\(text.count) chars")
        #expect(text.contains("γ map     \(Format.value(expected))"), "\(text.count) chars")
        // Panning far away asks for the new region.
        var far: [Effect] = []
        for _ in 0..<8 { far += update(&s, .key(.char("L"))) }
        let moved = try #require(Self.region(far))
        #expect(moved.x > r.x)
    }
}
