import Imaging
import RAMModel
import TensorCore
import TerminalUI
import Testing

@testable import Viewer

/// The defects a full walk through the viewer found, one test each (issue "the viewer for
/// research work"); each failed before its fix.
struct DefectTests {
    static func render(_ s: ViewerState, mode: ColorMode = .trueColor) -> CellBuffer {
        Screen.render(s, cache: RenderCache(colorMode: mode))
    }

    static func text(_ s: ViewerState) -> String { render(s).lines().joined(separator: "\n") }

    // 1. Flicker: Space pauses (flipping once), Space again resumes; the hint says so.
    @Test func flickerSpacePausesAndSpaceResumes() {
        var s = ViewTests.state()
        _ = update(&s, .key(.char("s")))
        _ = update(&s, .key(.char("s")))
        #expect(s.compare.style == .flicker)
        _ = update(&s, .tick(10))
        _ = update(&s, .key(.char(" ")))
        #expect(s.compare.flickerPaused && s.compare.showingB)
        #expect(!s.status.contains("s restarts"), "\(s.status)")
        #expect(s.status.contains("Space resumes"), "\(s.status)")
        _ = update(&s, .key(.char(" ")))
        #expect(!s.compare.flickerPaused)
        _ = update(&s, .tick(11))
        _ = update(&s, .tick(11.7))
        #expect(!s.compare.showingB, "flicker resumed: B → A after a period")
        #expect(Self.text(s).contains("every"))
    }

    // 2. "any key closes" the help: q too (it does not quit from the help).
    @Test func qClosesTheHelpWithoutQuitting() {
        var s = Fixtures.state()
        _ = update(&s, .key(.char("?")))
        #expect(s.showHelp)
        #expect(update(&s, .key(.char("q"))) == [])
        #expect(!s.showHelp && !s.quitRequested)
        #expect(update(&s, .key(.char("q"))) == [.quit])
    }

    // 3. Below 100 columns: a key shows the panel; without it the status line summarises.
    @Test func narrowTerminalTogglesThePanelAndSummarisesInTheStatusLine() {
        var s = ViewTests.state(cols: 80, rows: 24)
        s.viewport = Viewport(zoom: .fit, cursorX: 12, cursorY: 9)
        var lines = Self.render(s).lines()
        #expect(!lines.contains { $0.contains("┌ ram") })
        // The compact summary: scores and the cursor in the status line.
        #expect(lines[23].contains("9.50 dB"), "\(lines[23])")
        #expect(lines[23].contains("12,9"), "\(lines[23])")
        _ = update(&s, .key(.char("p")))
        lines = Self.render(s).lines()
        #expect(lines.contains { $0.contains("┌ ram") })
        #expect(lines.contains { $0.contains("restored  9.50 dB") })
        _ = update(&s, .key(.char("p")))
        #expect(!Self.render(s).lines().contains { $0.contains("┌ ram") })
    }

    @Test func widePanelShowsTheWholeInputName() {
        var s = ViewTests.state(cols: 160, rows: 48)
        s.info.inputName = "astronaut.png + noise:25"
        let text = Self.text(s)
        #expect(text.contains("astronaut.png + noise:25"))
        #expect(!text.contains("nois…"))
    }

    // 4. Feature maps computed on a downscaled copy say so; the readout maps the cursor.
    @Test func featuresOfADownscaledCopySayWhatResolutionTheyShow() {
        var s = ViewTests.state(cols: 110, rows: 30)
        _ = update(&s, .key(.char("2")))
        // The taps of a copy at half size (8×6) of the 16×12 input.
        let tap = Fixtures.ramp(channels: 4, height: 6, width: 8)
        _ = update(
            &s, .featuresReady(s.jobs.features!.id, FeatureData(block: "encoder_level1.0", taps: [.gamma: tap], imageScale: 2)))
        s.viewport.cursorX = 10
        s.viewport.cursorY = 6
        let text = Self.text(s)
        #expect(!text.contains("1/1 res"), "a map of a half-size copy is not full resolution")
        #expect(text.contains("1/2 res"))
        #expect(text.contains("8×6 copy"))
        // Cursor (10, 6) of the input is map pixel (5, 3): the readout names input pixels.
        #expect(text.contains("x 10–11 y 6–7"), "\(text)")
    }

    // 5. Features requested while the restoration runs: the view says what they wait for,
    // and taps computed for the same input are kept even when their job was cancelled.
    @Test func featuresSayWhatTheyWaitForAndCancelledTapsAreKept() {
        var s = ViewTests.state(restored: false)
        _ = update(&s, .key(.char("2")))
        let first = s.jobs.features!.id
        var text = Self.text(s)
        #expect(text.contains("restoration"), "the message names the restoration it shares the CPU with")
        // Another block while the first pass runs: queued behind it.
        _ = update(&s, .featuresStarted(first))
        _ = update(&s, .key(.char("b")))
        text = Self.text(s)
        #expect(text.contains("queued behind the taps of") && text.contains("encoder_level1.0 (a pass"), "\(text)")
        // Cancel everything; the first pass still finishes: its taps are kept.
        _ = update(&s, .key(.char("c")))
        let tap = Fixtures.ramp(channels: 4, height: 12, width: 16)
        _ = update(&s, .featuresReady(first, FeatureData(block: "encoder_level1.0", taps: [.gamma: tap])))
        #expect(s.featureData.contains { $0.value.block == "encoder_level1.0" })
        // r restarts the restoration and keeps the taps.
        _ = update(&s, .key(.char("B")))
        #expect(update(&s, .key(.char("r"))).allSatisfy { if case .computeFeatures = $0 { false } else { true } })
        #expect(s.currentFeatures?.value.block == "encoder_level1.0")
    }

    // 6. The readout: unfinished tiles are not values; restored values are clipped.
    @Test func readoutSkipsUnfinishedTilesAndClips() {
        var s = ViewTests.state(cols: 110, rows: 30, restored: false)
        s.viewport = Viewport(zoom: .fit, cursorX: 2, cursorY: 2)
        _ = update(
            &s,
            .restoreProgress(
                s.jobs.restore!.id, Fixtures.tileProgress(index: 0, x: 0, y: 0, w: 8, h: 8, value: 1.25, done: 1, total: 6)))
        var text = Self.text(s)
        #expect(text.contains("restoring 1.00 1.00 1.00"), "clipped like the image shown")
        s.viewport.cursorX = 12
        s.viewport.cursorY = 10
        text = Self.text(s)
        #expect(!text.contains("restoring 0."), "a pending tile is not a restored value")
        #expect(text.contains("not restored yet"))
        _ = update(&s, .key(.char("c")))
        #expect(Self.text(s).contains("cancelled"))
    }

    // 7. Keys that do nothing in this style say why; the status line does not keep stale news.
    @Test func inapplicableKeysExplainAndStatusIsNotStale() {
        var s = ViewTests.state()
        s.compare.style = .sideBySide
        _ = update(&s, .key(.char("]")))
        #expect(s.status.contains("split"), "\(s.status)")
        _ = update(&s, .key(.char("3")))
        s.errorMap.kind = .signed
        let map = s.errorMap.colormap
        _ = update(&s, .key(.char("v")))
        #expect(s.errorMap.colormap == map)
        #expect(s.status.contains("blueRed"), "\(s.status)")
        _ = update(&s, .key(.char("4")))
        _ = update(&s, .gridFinished(s.jobs.grid!.id, seconds: 1))
        #expect(s.status.contains("grid done"))
        _ = update(&s, .key(.char("1")))
        #expect(!s.status.contains("grid done"), "\(s.status)")
    }

    // 9. SSIM of an image smaller than its 11×11 window is not "nan".
    @Test func ssimOfATinyImageIsNotNaN() {
        var s = ViewerState(
            info: Fixtures.info, input: Fixtures.gradient(width: 8, height: 8), reference: Fixtures.gradient(width: 8, height: 8),
            blocks: Fixtures.blocks, size: TerminalSize(cols: 110, rows: 30))
        _ = update(&s, .inputScored(Scores(psnr: 30, ssim: ssim(s.input.value, s.reference!.value)), inputVersion: s.input.version))
        let text = Self.text(s)
        #expect(!text.lowercased().contains("nan"))
        #expect(text.contains("n/a"))
    }

    @Test func aVeryThinImageIsDrawnAtFit() {
        let img = Fixtures.constant(1, 0, 0, width: 3000, height: 4)
        let p = ImagePlacement.place(
            imageWidth: 3000, imageHeight: 4, in: Rect(x: 0, y: 0, width: 86, height: 37), zoom: .fit, focusX: 1500, focusY: 2)
        let cells = HalfBlockEncoder.encode(img, source: p.source, cols: p.dest.width, rows: p.dest.height, mode: .trueColor)
        #expect(cells.cells.filter { $0.glyph != " " }.count >= 80)
    }

    // 10. C-c is "interrupted" (exit status 130, as --help says and as SIGINT gives).
    @Test func ctrlCIsAnInterrupt() {
        var s = Fixtures.state()
        #expect(update(&s, .key(.ctrl("c"))) == [.quit])
        #expect(s.exitStatus == 130)
        var t = Fixtures.state()
        _ = update(&t, .key(.char("q")))
        #expect(t.exitStatus == 0)
    }
}

/// The README's keys table is the binding table (as the `?` overlay is).
struct KeysTableTests {
    @Test func readmeKeysTableIsTheBindingTable() throws {
        let readme = try String(contentsOf: Fixtures.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let begin = "<!-- keys:begin (ram view --keys) -->\n", end = "<!-- keys:end -->"
        guard let a = readme.range(of: begin), let b = readme.range(of: end, range: a.upperBound..<readme.endIndex) else {
            Issue.record("README.md has no keys table between \(begin) and \(end)")
            return
        }
        #expect(String(readme[a.upperBound..<b.lowerBound]) == KeyBindings.markdown(), "README keys table is stale: ram view --keys")
    }
}

/// 8. With 256 colours the diverging legend keeps its hues: blue cells stay blue and red
/// cells red (nearest colour in CIELAB instead of RGB: no teal or magenta steps).
struct LegendColourTests {
    static func hue(_ c: RGB) -> Double? {
        let r = Double(c.r), g = Double(c.g), b = Double(c.b)
        let mx = max(r, g, b), mn = min(r, g, b)
        guard mx - mn > 0 else { return nil }
        var h: Double
        if mx == r { h = (g - b) / (mx - mn) } else if mx == g { h = 2 + (b - r) / (mx - mn) } else { h = 4 + (r - g) / (mx - mn) }
        h *= 60
        return h < 0 ? h + 360 : h
    }

    @Test func blueRedLegendKeepsItsHuesIn256Colours() {
        var s = ViewTests.state()
        _ = update(&s, .key(.char("3")))
        s.errorMap.kind = .signed
        let buf = Screen.render(s, cache: RenderCache(colorMode: .ansi256))
        let row = 13, n = buf.width
        var worst = 0.0
        for x in 0..<n {
            let t = (Float(x) + 0.5) / Float(n)
            let m = Colormap.blueRed.map(t)
            let want = RGB(m.r, m.g, m.b)
            guard let cell = buf[x, row].bg, let hw = Self.hue(want), Int(max(m.r, m.g, m.b)) - Int(min(m.r, m.g, m.b)) >= 40
            else { continue }
            let got = XtermPalette.quantize(cell)  // what the terminal shows
            guard let hg = Self.hue(got) else {
                Issue.record("cell \(x): \(want) shown as gray \(got)")
                continue
            }
            let d = abs(hw - hg)
            worst = max(worst, min(d, 360 - d))
        }
        #expect(worst <= 25, "largest hue error \(worst)°")
    }
}
