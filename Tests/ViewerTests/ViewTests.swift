import Imaging
import RAMModel
import TensorCore
import TerminalUI
import Testing

@testable import Viewer

/// Views rendered from fixed states into cell buffers: explicit checks of the cells that
/// matter, plus a whole-screen snapshot (glyphs and colours) per view.
struct ViewTests {
    /// 16×12: red | green over blue | white.
    static func quadrants(dim: Float = 1) -> RGBImage {
        var img = RGBImage(width: 16, height: 12)
        for y in 0..<12 {
            for x in 0..<16 {
                let c: (Float, Float, Float)
                switch (x < 8, y < 6) {
                case (true, true): c = (1, 0, 0)
                case (false, true): c = (0, 1, 0)
                case (true, false): c = (0, 0, 1)
                case (false, false): c = (1, 1, 1)
                }
                img[0, y, x] = c.0 * dim
                img[1, y, x] = c.1 * dim
                img[2, y, x] = c.2 * dim
            }
        }
        return img
    }

    static let gray = RGB(128, 128, 128)

    /// Input: quadrants; reference: quadrants at half brightness; restored: finished, gray 0.5.
    /// 60×16 (no side panel), zoom 1:1 so every image pixel is one half cell.
    static func state(cols: Int = 60, rows: Int = 16, restored: Bool = true) -> ViewerState {
        var s = ViewerState(
            info: Fixtures.info, input: quadrants(), reference: quadrants(dim: 0.5), blocks: Fixtures.blocks,
            size: TerminalSize(cols: cols, rows: rows))
        _ = update(&s, .start)
        if restored {
            _ = update(&s, .inputScored(Scores(psnr: 6.02, ssim: 0.5), inputVersion: s.input.version))
            _ = update(
                &s,
                .restoreFinished(
                    s.jobs.restore!.id, Fixtures.constant(0.5, 0.5, 0.5), Scores(psnr: 9.5, ssim: 0.25),
                    seconds: 0.42))
        }
        s.viewport = Viewport(zoom: .scale(1), cursorX: 2, cursorY: 2)
        return s
    }

    static func render(_ s: ViewerState, mode: ColorMode = .trueColor) -> CellBuffer {
        Screen.render(s, cache: RenderCache(colorMode: mode))
    }

    // Geometry at 60×16, 1:1: the image area is rows 2…14 (13 rows, 26 half rows), 60 columns;
    // the 16×12 image is centred: columns 22…37, half rows 8…19 = rows 6…11.
    static let imageLeft = 22, imageTop = 6
    /// With two legend rows (features, error maps) the image area is rows 2…12: image rows 5…10.
    static let mapTop = 5

    @Test func splitShowsAOnTheLeftAndBOnTheRightOfTheDivider() {
        let buf = Self.render(Self.state())
        let (x0, y0) = (Self.imageLeft, Self.imageTop)
        #expect(buf[x0, y0] == Cell("▀", fg: .red, bg: .red))
        #expect(buf[x0 + 7, y0 + 5] == Cell("▀", fg: .blue, bg: .blue))
        #expect(buf[30, y0] == Cell("│", fg: CompareView.dividerColor, bold: true))  // divider at 0.5 of 60
        #expect(buf[31, y0] == Cell("▀", fg: Self.gray, bg: Self.gray))  // B: restored
        #expect(buf[x0 + 15, y0 + 5] == Cell("▀", fg: Self.gray, bg: Self.gray))
        // Outside the image: untouched blanks.
        #expect(buf[x0 - 1, y0] == Cell.blank && buf[x0, y0 - 1] == Cell.blank)
        // The cursor (2, 2) is the upper half of the cell two columns in, one row down.
        #expect(buf[x0 + 2, y0 + 1].glyph == "+" && buf[x0 + 2, y0 + 1].bg == .red)
        #expect(buf.lines()[1].hasPrefix("◀ A: input"))
        #expect(buf.lines()[1].hasSuffix("B: restored ▶"))
        #expect(buf.lines()[0].contains("1 Compare"))
        #expect(buf.lines()[15].contains("restored in 0.42 s"))
        Snapshot.assert(buf, named: "compare-split")
    }

    @Test func dividerMovesWithTheKeys() {
        var s = Self.state()
        _ = update(&s, .key(.char("[")))
        _ = update(&s, .key(.char("[")))
        let buf = Self.render(s)
        // 0.4 of the 60-column area (at 1:1 the placement fills the area; the image starts at 22).
        #expect(buf[24, Self.imageTop] == Cell("│", fg: CompareView.dividerColor, bold: true))
        #expect(buf[25, Self.imageTop].fg == Self.gray)
        #expect(buf[23, Self.imageTop].fg == .red)
    }

    @Test func sideBySideShowsBothWholeImages() {
        var s = Self.state()
        s.compare.style = .sideBySide
        let buf = Self.render(s)
        // Halves of 29 columns: 0…28 and 31…59; each centres the 16-px image, the half column
        // rounded down: origin −6.5 → −7, so the image starts 7 columns in.
        let left = 7, right = 31 + 7
        #expect(buf[left, Self.imageTop].fg == .red)
        #expect(buf[left + 15, Self.imageTop].fg == .green)
        #expect(buf[right, Self.imageTop] == Cell("▀", fg: Self.gray, bg: Self.gray))
        #expect(buf.lines()[1].contains("A: input") && buf.lines()[1].contains("B: restored"))
        Snapshot.assert(buf, named: "compare-side-by-side")
    }

    @Test func flickerAlternatesInPlace() {
        var s = Self.state()
        s.compare.style = .flicker
        let a = Self.render(s)
        #expect(a[Self.imageLeft + 10, Self.imageTop].fg == .green)
        _ = update(&s, .tick(1))
        _ = update(&s, .tick(2))
        let b = Self.render(s)
        #expect(b[Self.imageLeft + 10, Self.imageTop].fg == Self.gray)
        #expect(b.lines()[1].contains("⇄"))
        Snapshot.assert(b, named: "compare-flicker-b")
    }

    @Test func tilesShowUpInThePreviewAsTheyArrive() {
        var s = Self.state(restored: false)
        _ = update(
            &s,
            .restoreProgress(
                s.jobs.restore!.id,
                Fixtures.tileProgress(index: 0, x: 8, y: 0, w: 8, h: 8, value: 1, done: 1, total: 6)))
        let buf = Self.render(s)
        #expect(buf[Self.imageLeft + 12, Self.imageTop] == Cell("▀", fg: .white, bg: .white))  // the tile
        let dim = buf[Self.imageLeft + 12, Self.imageTop + 5]  // below the tile: dimmed input (white → gray 0.36)
        #expect(dim.fg == RGB(92, 92, 92))
        #expect(buf.lines()[1].contains("B: restored (1/6)"))
        #expect(buf.lines()[15].contains("restoring 1/6"))
    }

    /// A `FeatureData` for block encoder_level1.0 whose γ is a ramp (4 channels, 12×16).
    static func withFeatures(_ s: inout ViewerState) {
        _ = update(&s, .key(.char("2")))
        let taps: [TapBranch: Tensor] = [
            .gamma: Fixtures.ramp(channels: 4, height: 12, width: 16), .beta: Fixtures.ramp(channels: 4, height: 12, width: 16),
            .alpha: Fixtures.ramp(channels: 3, height: 12, width: 16), .out: Fixtures.ramp(channels: 4, height: 12, width: 16),
            .attn: Fixtures.ramp(channels: 4, height: 12, width: 16),
        ]
        _ = update(&s, .featuresReady(s.jobs.features!.id, FeatureData(block: "encoder_level1.0", taps: taps)))
    }

    @Test func featureMapIsColouredWithALegend() {
        var s = Self.state()
        Self.withFeatures(&s)
        s.features.selection = .channel(1)
        s.features.normalization = .minMax
        let buf = Self.render(s)
        // Channel 1 holds 1 + i/100 for i = y·16 + x: min 1 (top-left), max 2.91 (bottom-right).
        let lo = Colormap.viridis.map(0), hi = Colormap.viridis.map(1)
        // Feature/error views keep 2 legend rows: image area rows 2…12 (22 half rows); the 12-px
        // image is centred at half row 5, moved to a whole cell: half row 6 = rows 5…10.
        let top = Self.mapTop
        #expect(buf[Self.imageLeft, top].fg == RGB(lo.r, lo.g, lo.b))
        #expect(buf[Self.imageLeft + 15, top + 5].bg == RGB(hi.r, hi.g, hi.b))
        let lines = buf.lines()
        #expect(lines[1].hasPrefix("encoder_level1.0 · γ gate σ(γ) · channel 1 of 4 · 1/1 res"))
        #expect(lines[14].hasPrefix("1 ") && lines[14].hasSuffix(" 2.91"))
        #expect(lines[14].contains("min–max · viridis"))
        #expect(buf[0, 13].bg == RGB(lo.r, lo.g, lo.b) || buf[0, 13].bg != nil)  // the gradient row
        Snapshot.assert(buf, named: "features-channel")
    }

    @Test func featureMapWaitsForItsTaps() {
        var s = Self.state()
        _ = update(&s, .key(.char("2")))
        let buf = Self.render(s)
        #expect(buf.lines().contains { $0.contains("computing the taps of encoder_level1.0…") })
    }

    @Test func featureBlendMixesTheMapWithTheInput() {
        var s = Self.state()
        Self.withFeatures(&s)
        s.features.selection = .channel(1)
        s.features.normalization = .minMax
        s.features.blend = true
        s.features.blendOpacity = 0.5
        let buf = Self.render(s)
        let lo = Colormap.viridis.map(0)
        #expect(buf[Self.imageLeft, Self.mapTop].fg == RGB.red.mix(RGB(lo.r, lo.g, lo.b), 0.5))
        #expect(buf.lines()[14].contains("blended 50% over input"))
    }

    @Test func errorMapShowsAmplifiedDifferenceWithLegend() {
        var s = Self.state()
        _ = update(&s, .key(.char("3")))
        // Top-left: restored (0.5, 0.5, 0.5) against the reference (0.5, 0, 0): mean |Δ| = 1/3;
        // amplified ×4 the scale spans 0…0.25, so it saturates at the top colour.
        let buf = Self.render(s)
        let top = Colormap.magma.map(1)
        #expect(buf[Self.imageLeft, Self.mapTop].fg == RGB(top.r, top.g, top.b))
        let lines = buf.lines()
        #expect(lines[1].hasPrefix("|restored − reference| · ×4 · opacity 100%"))
        #expect(lines[14].hasPrefix("0 ") && lines[14].hasSuffix("≥0.25"))
        Snapshot.assert(buf, named: "error-abs")
        // Half opacity: half restored gray, half map.
        _ = update(&s, .key(.char("[")))
        _ = update(&s, .key(.char("[")))
        let half = Self.render(s)
        #expect(half[Self.imageLeft, Self.mapTop].fg == Self.gray.mix(RGB(top.r, top.g, top.b), 0.5))
    }

    @Test func signedErrorUsesTheDivergingMap() {
        var s = Self.state()
        _ = update(&s, .key(.char("3")))
        s.errorMap.kind = .signed
        s.errorMap.amplification = 1
        let buf = Self.render(s)
        // White quadrant of the reference is 0.5: restored − reference = 0 → the map's middle.
        let mid = Colormap.blueRed.map(0.5)
        #expect(buf[Self.imageLeft + 15, Self.mapTop + 5].fg == RGB(mid.r, mid.g, mid.b))
        #expect(buf.lines()[14].hasPrefix("≤-1 ") && buf.lines()[14].contains("blue: darker"))
    }

    @Test func gridShowsEveryDegradationWithScores() {
        var s = Self.state(cols: 130, rows: 30)
        s.viewport.zoom = .fit
        _ = update(&s, .key(.char("4")))
        let id = s.jobs.grid!.id
        for (i, d) in Degradation.standardFive.enumerated() {
            var cell = GridCell(
                degradation: d, degraded: Self.quadrants(dim: 0.8), degradedPSNR: 20 + Double(i), degradedSSIM: 0.5)
            if i < 3 {
                cell.restored = Self.quadrants()
                cell.restoredPSNR = 30 + Double(i)
                cell.restoredSSIM = 0.9
            }
            _ = update(&s, .gridCellReady(id, index: i, cell))
        }
        let buf = Self.render(s)
        let text = buf.lines().joined(separator: "\n")
        for d in Degradation.standardFive { #expect(text.contains(d.description)) }
        #expect(text.contains("20.00 dB 0.500"))
        #expect(text.contains("32.00 dB 0.900"))
        #expect(text.contains("restoring…"))
        #expect(s.jobs.grid!.done == 3)
        Snapshot.assert(buf, named: "grid")
    }

    @Test func panelShowsSizeModelZoomScoresCursorAndJobs() {
        var s = Self.state(cols: 110, rows: 30)
        s.viewport = Viewport(zoom: .fit, cursorX: 12, cursorY: 9)
        let buf = Self.render(s)
        let panel = buf.lines().map { String($0.suffix(ScreenLayout.panelWidth)) }.joined(separator: "\n")
        #expect(panel.contains("Image    16×12"))
        #expect(panel.contains("Model    tiny.safetensors"))
        #expect(panel.contains("Zoom     fit ("))
        #expect(panel.contains("Cursor   x 12  y 9"))
        #expect(panel.contains("input     1.00 1.00 1.00"))
        #expect(panel.contains("restored  0.50 0.50 0.50"))
        #expect(panel.contains("input     6.02 dB   0.5000"))
        #expect(panel.contains("restored  9.50 dB   0.2500"))
        #expect(panel.contains("restore  done 0.42 s"))
        Snapshot.assert(buf, named: "panel")
    }

    @Test func helpOverlayRendersTheBindingTable() {
        var s = Self.state(cols: 100, rows: 40)
        _ = update(&s, .key(.char("2")))
        _ = update(&s, .key(.char("?")))
        let text = Self.render(s).lines().joined(separator: "\n")
        #expect(text.contains("Keys — Features view"))
        for b in KeyBindings.table where !b.label.isEmpty && (b.scope == nil || b.scope == .features) {
            #expect(text.contains(b.label + " "), "help lacks \(b.label)")
            #expect(text.contains(b.help.truncated(toColumns: 40).prefix(20)), "help lacks \(b.help)")
        }
    }

    @Test func tooSmallTerminalShowsAMessage() {
        let buf = Self.render(Self.state(cols: 30, rows: 10))
        #expect(buf.lines().contains { $0.contains("Terminal too small") })
        #expect(buf.lines().contains { $0.contains("need 40×12, have 30×10") })
    }

    @Test func movingTheCursorOnlyCopiesCells() {
        let cache = RenderCache(colorMode: .trueColor)
        var s = Self.state()
        _ = Screen.render(s, cache: cache)
        let misses = cache.encodeStats.misses
        _ = update(&s, .key(.char("l")))
        _ = update(&s, .key(.char("]")))
        _ = Screen.render(s, cache: cache)
        #expect(cache.encodeStats.misses == misses)
        #expect(cache.encodeStats.hits > 0)
    }

    @Test func in256ColourModeCellsArePaletteColours() {
        var s = Self.state()
        s.compare.a = .reference  // half-bright colours: not in the palette as they are
        let buf = Self.render(s, mode: .ansi256)
        let c = buf[Self.imageLeft, Self.imageTop]
        #expect(c.fg == XtermPalette.quantize(RGB(128, 0, 0)))
        #expect(c.fg != RGB(128, 0, 0))
    }
}
