import Imaging
import TerminalUI
import Testing

@testable import Viewer

/// A second model (`--compare B.safetensors`): restored by A and by B, compared as any pair,
/// an error map between them, both scored in the panel.
struct TwoModelTests {
    /// A grid cell (noise:25) with the degraded input and A's restoration, waiting for B's.
    static func gridCellAwaitingB() -> GridCell {
        var cell = GridCell(
            degradation: .noise(sigma: 25), degraded: Fixtures.constant(0.2, 0.2, 0.2), degradedPSNR: 20, degradedSSIM: 0.5)
        cell.expectsB = true
        cell.restored = Fixtures.constant(0.5, 0.5, 0.5)
        cell.restoredPSNR = 28
        cell.restoredSSIM = 0.8
        return cell
    }

    static func state() -> ViewerState {
        var info = Fixtures.info
        info.secondModelName = "other.safetensors"
        var s = ViewerState(
            info: info, input: ViewTests.quadrants(), reference: ViewTests.quadrants(dim: 0.5), blocks: Fixtures.blocks,
            size: TerminalSize(cols: 110, rows: 30))
        _ = update(&s, .start)
        return s
    }

    @Test func startRestoresWithBothModelsAndRoutesTheirResults() {
        var info = Fixtures.info
        info.secondModelName = "other.safetensors"
        var s = ViewerState(
            info: info, input: ViewTests.quadrants(), reference: ViewTests.quadrants(dim: 0.5), blocks: Fixtures.blocks,
            size: TerminalSize(cols: 110, rows: 30))
        let effects = update(&s, .start)
        let a = s.jobs.restore!.id, b = s.jobs.restoreB!.id
        #expect(effects.contains(.restore(a, image: s.input.value, reference: s.reference!.value)))
        #expect(effects.contains(.restoreWithB(b, image: s.input.value, reference: s.reference!.value)))
        _ = update(&s, .restoreFinished(b, Fixtures.constant(0.2, 0.2, 0.2), Scores(psnr: 12, ssim: 0.3), seconds: 1))
        #expect(s.restoredBComplete && s.restoredB!.value == Fixtures.constant(0.2, 0.2, 0.2))
        #expect(!s.restoredComplete)
        _ = update(&s, .restoreFinished(a, Fixtures.constant(0.5, 0.5, 0.5), Scores(psnr: 9.5, ssim: 0.25), seconds: 1))
        #expect(s.restoredComplete)
        let text = Screen.render(s, cache: RenderCache(colorMode: .trueColor)).lines().joined(separator: "\n")
        #expect(text.contains("restored  9.50 dB"))
        #expect(text.contains("by B      12.00 dB"))
    }

    @Test func compareAnyPairAndTheErrorBetweenThem() {
        var s = Self.state()
        _ = update(&s, .restoreFinished(s.jobs.restoreB!.id, Fixtures.constant(0.2, 0.2, 0.2), nil, seconds: 1))
        _ = update(
            &s, .restoreFinished(s.jobs.restore!.id, Fixtures.constant(0.5, 0.5, 0.5), nil, seconds: 1))
        #expect(s.availableRoles == [.input, .restored, .restoredB, .reference])
        _ = update(&s, .key(.char("b")))
        #expect(s.compare.b == .restoredB)
        let text = Screen.render(s, cache: RenderCache(colorMode: .trueColor)).lines()[1]
        #expect(text.contains("B: restored by B"), "\(text)")
        _ = update(&s, .key(.char("3")))
        s.errorMap.kind = .restoredVsRestoredB
        s.errorMap.amplification = 1
        let pair = s.errorPair!
        #expect(pair.a.value == s.restored!.value && pair.b.value == s.restoredB!.value)
        let buf = Screen.render(s, cache: RenderCache(colorMode: .trueColor))
        #expect(buf.lines()[1].hasPrefix("|restored − restored by B| · ×1"))
    }

    @Test func featureMapsOfBothModelsSideBySideOnOneScale() {
        var s = Self.state()
        s.size = TerminalSize(cols: 90, rows: 30)
        s.panelVisible = false
        _ = update(&s, .key(.char("2")))
        let a = Fixtures.ramp(channels: 4, height: 12, width: 16)
        var b = a
        for i in b.data.indices { b.data[i] += 10 }
        var data = FeatureData(block: "encoder_level1.0", taps: [.gamma: a])
        data.tapsB = [.gamma: b]
        _ = update(&s, .featuresReady(s.jobs.features!.id, data))
        s.features.normalization = .minMax
        let buf = Screen.render(s, cache: RenderCache(colorMode: .trueColor))
        let text = buf.lines().joined(separator: "\n")
        #expect(text.contains("A: tiny.safetensors") && text.contains("B: other.safetensors"))
        #expect(buf.lines().filter { $0.contains("one scale for A and B") }.count == 1, "one legend")
        // On the shared scale A's map is dark (its values are the lower ones), B's bright.
        let layout = s.layout!
        let areas = ScreenLayout.featureAreas(layout.imageArea(legend: true).image, models: 2)
        func meanGreen(_ area: Rect) -> Double {
            let p = ImagePane.placement(s, in: area)
            var sum = 0.0, n = 0
            for y in p.dest.y..<p.dest.maxY {
                for x in p.dest.x..<p.dest.maxX where buf[x, y].glyph != "+" {
                    if let fg = buf[x, y].fg { sum += Double(fg.g); n += 1 }
                }
            }
            return sum / Double(max(n, 1))
        }
        #expect(meanGreen(areas[0].image) < 100 && meanGreen(areas[1].image) > 180, "\(meanGreen(areas[0].image)) \(meanGreen(areas[1].image))")
        // The cursor readout gives both values.
        s.panelVisible = true
        let panel = Screen.render(s, cache: RenderCache(colorMode: .trueColor)).lines().joined(separator: "\n")
        #expect(panel.contains("γ A") && panel.contains("γ B"), "\(panel)")
    }

    @Test func gridHasARowPerModel() {
        var s = Self.state()
        _ = update(&s, .key(.char("4")))
        let grid = s.gridLayout(s.layout!)
        let c = grid.columns[0]
        #expect(c.restoredB != nil && c.restoredBScores != nil)
        #expect(c.degraded.y < c.restored.y && c.restored.y < c.restoredB!.y && c.restoredB!.maxY <= s.layout!.content.maxY)
        var cell = TwoModelTests.gridCellAwaitingB()
        _ = update(&s, .gridCellReady(s.jobs.grid!.id, index: 0, cell))
        var text = Screen.render(s, cache: RenderCache(colorMode: .trueColor)).lines().joined(separator: "\n")
        #expect(text.contains("A 28.0 "), "\(text)")
        #expect(text.contains("restoring…"), "B's row waits")
        cell.restoredB = Fixtures.constant(0.9, 0.9, 0.9)
        cell.restoredBPSNR = 27.5
        cell.restoredBSSIM = 0.75
        _ = update(&s, .gridCellReady(s.jobs.grid!.id, index: 0, cell))
        text = Screen.render(s, cache: RenderCache(colorMode: .trueColor)).lines().joined(separator: "\n")
        #expect(text.contains("B 27.5 "), "\(text)")
    }
}
