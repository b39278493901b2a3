import TestSupport
import Foundation
import Imaging
import TerminalUI
import Testing

@testable import Viewer

/// Where the binary and the fixture weights are; the end-to-end tests skip (with this
/// message) when the debug binary has not been built.
enum EndToEnd {
    /// `.build/debug/ram`: next to the test bundle (.build/<triple>/debug/ramPackageTests.xctest),
    /// else under the package root.
    static let binary: String? = {
        var candidates: [String] = []
        let bundleDir = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
            .deletingLastPathComponent()
        candidates.append(bundleDir.appendingPathComponent("ram").path)
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("ram").path)
        candidates.append(Fixtures.packageRoot.appendingPathComponent(".build/debug/ram").path)
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    static var available: Bool { TmuxHarness.isAvailable && binary != nil }
    static let skipReason: Comment = "end-to-end viewer tests skipped: needs tmux and .build/debug/ram (swift build)"

    /// A scratch directory with a 48×32 test image: four colour quadrants over a gradient, so
    /// a wrong placement or a wrong colour shows.
    static func makeImage() throws -> (dir: URL, path: String, image: RGBImage) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
            "ram-view-e2e-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var img = RGBImage(width: 48, height: 32)
        for y in 0..<32 {
            for x in 0..<48 {
                let t = Float(x + y) / 80
                let q: (Float, Float, Float) =
                    x < 24 ? (y < 16 ? (0.9, 0.2, 0.1) : (0.1, 0.3, 0.9)) : (y < 16 ? (0.2, 0.8, 0.3) : (0.9, 0.9, 0.2))
                img[0, y, x] = q.0 * (0.6 + 0.4 * t)
                img[1, y, x] = q.1 * (0.6 + 0.4 * t)
                img[2, y, x] = q.2 * (0.6 + 0.4 * t)
            }
        }
        let path = dir.appendingPathComponent("quadrants.png").path
        try PNGCodec.write(img, to: path)
        // What the viewer will see: the PNG read back (8-bit quantised).
        return (dir, path, try PNGCodec.read(path: path))
    }

    /// `ram view …` in a fresh tmux. The shell stays after the viewer exits and prints
    /// EXITED=<status>, so the terminal modes the viewer left behind can be inspected in a
    /// live pane; the viewer's pid is written to `pidFile` (sh execs it).
    static func launch(_ args: String, cols: Int = 100, rows: Int = 30, env: [String: String] = [:]) throws -> ViewerProcess {
        var environment = ["RAM_WEIGHTS": Fixtures.tinyWeights]
        environment.merge(env) { $1 }
        let pidFile = FileManager.default.temporaryDirectory.appendingPathComponent("ram-view-\(UUID().uuidString.prefix(8)).pid")
            .path
        let cmd = "sh -c 'echo $$ > \(pidFile); exec \(binary!) view \(args)'; echo EXITED=$?; sleep 60"
        return ViewerProcess(
            tmux: try TmuxHarness(command: cmd, cols: cols, rows: rows, environment: environment), pidFile: pidFile)
    }

    struct ViewerProcess {
        var tmux: TmuxHarness
        var pidFile: String

        var pid: Int32? {
            (try? String(contentsOfFile: pidFile, encoding: .utf8)).flatMap {
                Int32($0.trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }

        /// Waits for the viewer to exit; true when it printed EXITED=`status` and left the
        /// terminal in the normal screen with the cursor visible.
        func exitedCleanly(status: Int32 = 0, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let exited = try tmux.waitFor("EXITED=\(status)")
            let screen = try tmux.captureText().filter { !$0.isEmpty }.suffix(3)
            #expect(exited, "no EXITED=\(status): \(screen)", sourceLocation: sourceLocation)
            #expect(
                try tmux.display("#{alternate_on} #{cursor_flag}") == "0 1", "alternate screen off, cursor visible",
                sourceLocation: sourceLocation)
        }

        func kill() {
            tmux.kill()
            try? FileManager.default.removeItem(atPath: pidFile)
        }
    }

    /// A viewer opened by `withViewer`: its process and the image it was given.
    struct Session {
        let app: ViewerProcess
        /// The test image as the viewer reads it.
        let image: RGBImage

        /// `q`, then the checks of `exitedCleanly`.
        func quit(sourceLocation: SourceLocation = #_sourceLocation) throws {
            try app.tmux.sendKeys("q")
            try app.exitedCleanly(sourceLocation: sourceLocation)
        }
    }

    /// Opens `ram view <test image> --tile 32 --overlap 8 <args>` (with `onImage` false:
    /// `ram view <args>`, the demo) in a fresh tmux, waits for `ready` and runs `body`; the
    /// scratch directory and the tmux server go afterwards, whatever happens.
    static func withViewer(
        _ args: String = "", onImage: Bool = true, cols: Int = 100, rows: Int = 30, env: [String: String] = [:],
        ready: String = "? help", timeout: Double = 10, sourceLocation: SourceLocation = #_sourceLocation,
        _ body: (TmuxHarness, Session) throws -> Void
    ) throws {
        let (dir, path, image) = try makeImage()
        defer { try? FileManager.default.removeItem(at: dir) }
        let app = try launch(onImage ? "\(path) --tile 32 --overlap 8 \(args)" : args, cols: cols, rows: rows, env: env)
        defer { app.kill() }
        #expect(try app.tmux.waitFor(ready, timeout: timeout), "no \(ready)", sourceLocation: sourceLocation)
        try body(app.tmux, Session(app: app, image: image))
    }
}

@Suite(.enabled(if: EndToEnd.available, EndToEnd.skipReason), .serialized)
struct EndToEndTests {
    /// The cells of the image as the viewer must draw them: the same placement and encoder.
    static func expected(_ image: RGBImage, size: TerminalSize, mode: ColorMode, sideBySideLeft: Bool = false)
        -> (placement: ImagePlacement, cells: EncodedImage)
    {
        let layout = ScreenLayout.compute(size)!
        var area = layout.imageArea(legend: false).image
        if sideBySideLeft { area = ScreenLayout.sideBySide(area).left }
        let p = ImagePlacement.place(
            imageWidth: image.width, imageHeight: image.height, in: area, zoom: .fit,
            focusX: Double(image.width / 2), focusY: Double(image.height / 2))
        return (p, HalfBlockEncoder.encode(image, source: p.source, cols: p.dest.width, rows: p.dest.height, mode: mode))
    }

    /// Counts image cells on screen that match the expected ones (glyph and both colours),
    /// over the columns `cols` of the placement; the cursor cell is skipped.
    static func compare(_ screen: CellBuffer, _ exp: (placement: ImagePlacement, cells: EncodedImage), columns: Range<Int>)
        -> (matched: Int, total: Int, firstMismatch: String?)
    {
        var matched = 0, total = 0
        var first: String?
        for row in 0..<exp.cells.rows {
            for col in columns {
                let want = exp.cells[col, row]
                let got = screen[exp.placement.dest.x + col, exp.placement.dest.y + row]
                if got.glyph == "+" { continue }
                total += 1
                if got.glyph == want.glyph && got.fg == want.fg && got.bg == want.bg {
                    matched += 1
                } else if first == nil {
                    first = "cell (\(col), \(row)): want \(want), got \(got)"
                }
            }
        }
        return (matched, total, first)
    }

    @Test func imageRegionHoldsHalfBlocksWithTheImagesColours() throws {
        try EndToEnd.withViewer("--color truecolor", ready: "restored in", timeout: 30) { tmux, v in
            let size = TerminalSize(cols: 100, rows: 30)
            // Split: input left of the divider.
            let exp = Self.expected(v.image, size: size, mode: .trueColor)
            let divider = Int((0.5 * Double(exp.placement.dest.width)).rounded())
            var screen = try tmux.capture()
            let left = Self.compare(screen, exp, columns: 0..<divider)
            #expect(
                left.total > 500 && left.matched == left.total, "\(left.matched)/\(left.total) cells; \(left.firstMismatch ?? "")")
            #expect(screen[exp.placement.dest.x + divider, exp.placement.dest.y].glyph == "│")
            // Side by side: the whole input on the left.
            try tmux.sendKeys("s")
            #expect(try tmux.waitFor("compare: side by side"))
            let sbs = Self.expected(v.image, size: size, mode: .trueColor, sideBySideLeft: true)
            screen = try tmux.capture()
            let whole = Self.compare(screen, sbs, columns: 0..<sbs.cells.cols)
            #expect(whole.matched == whole.total, "\(whole.matched)/\(whole.total) cells; \(whole.firstMismatch ?? "")")
            try v.quit()
        }
    }

    @Test func in256ColourModeTheCellsUseThePalette() throws {
        try EndToEnd.withViewer("--color 256") { tmux, v in
            try tmux.sendKeys("s")
            #expect(try tmux.waitFor("compare: side by side"))
            let exp = Self.expected(v.image, size: TerminalSize(cols: 100, rows: 30), mode: .ansi256, sideBySideLeft: true)
            let r = Self.compare(try tmux.capture(), exp, columns: 0..<exp.cells.cols)
            #expect(r.total > 300 && r.matched == r.total, "\(r.matched)/\(r.total) cells; \(r.firstMismatch ?? "")")
        }
    }

    @Test func everyViewIsReachableByKeys() throws {
        try EndToEnd.withViewer("--degrade noise:25", cols: 130, rows: 34, ready: "restored in", timeout: 30) { tmux, v in
            var before = try tmux.captureText()
            #expect(before.contains { $0.contains("quadrants.png + noise:25") })
            #expect(before.contains { $0.contains("PSNR") })

            func step(_ keys: String..., expect marker: String, _ comment: String) throws {
                for k in keys { try tmux.sendKeys(k) }
                #expect(try tmux.waitFor(marker), "\(comment): no \(marker)")
                let now = try tmux.captureText()
                #expect(now != before, "\(comment): the screen did not change")
                before = now
            }
            try step("2", expect: "encoder_level1.0 · γ gate σ(γ) · mean |x|", "features")
            #expect(try tmux.waitFor("robust 1–99% · viridis"))
            try step("g", expect: "encoder_level1.0 · β · mean |x|", "branch β")
            try step("g", expect: "encoder_level1.0 · α′", "branch α′")
            try step("b", expect: "encoder_level2.0 · α′", "next block")
            #expect(try tmux.waitFor("robust 1–99% · viridis"))
            try step("n", expect: "channel 0 of", "channel")
            try step("v", expect: "robust 1–99% · magma", "colormap")
            try step("o", expect: "min–max · magma", "normalisation")
            try step("t", expect: "blended 60% over input", "blend")
            try step("3", expect: "|restored − reference| · ×4", "error view")
            #expect(try tmux.waitFor("mean |Δ| over RGB · magma"))
            try step("e", expect: "|restored − input| · ×4", "error kind")
            try step("e", expect: "restored − reference · ×4", "signed")
            try step("a", expect: "restored − reference · ×8", "amplification")
            try step("4", expect: "rain:medium", "grid")
            #expect(try tmux.waitFor("lowlight:0.5"))
            #expect(try tmux.waitFor("degradation grid done", timeout: 60))
            #expect(try tmux.captureText().filter { $0.contains(" dB ") }.count >= 2)
            try step("?", expect: "Keys — Grid view", "help")
            try tmux.sendKeys("x")  // any key closes the help
            #expect(try tmux.waitUntilText { !$0.contains { $0.contains("Keys — ") } && $0.contains { $0.contains("? help") } })
            before = try tmux.captureText()
            try step("1", expect: "◀ A: input", "compare")
            try step("s", expect: "compare: side by side", "side by side")
            try step("s", expect: "compare: flicker", "flicker")
            #expect(try tmux.waitFor("⇄"))
            try step("+", expect: "zoom 2×", "zoom (fit is 1.9×)")
            try step("l", expect: "x 25", "cursor right")
            try v.quit()
        }
    }

    @Test func resizeRedrawsAndQuitLeavesASaneTerminal() throws {
        try EndToEnd.withViewer("--color truecolor") { tmux, v in
            #expect(try tmux.display("#{alternate_on} #{cursor_flag}") == "1 0")
            try tmux.resize(cols: 70, rows: 20)
            #expect(try tmux.waitUntilText { $0.count >= 20 && $0[19].contains("? help") })
            // No side panel below 100 columns; the image is redrawn for the new size.
            #expect(try !tmux.captureText().contains { $0.contains("┌ ram") })
            try tmux.sendKeys("s")
            #expect(try tmux.waitFor("compare: side by side"))
            let exp = Self.expected(v.image, size: TerminalSize(cols: 70, rows: 20), mode: .trueColor, sideBySideLeft: true)
            let r = Self.compare(try tmux.capture(), exp, columns: 0..<exp.cells.cols)
            #expect(r.matched == r.total && r.total > 100, "\(r.matched)/\(r.total) after resize; \(r.firstMismatch ?? "")")
            try tmux.resize(cols: 30, rows: 10)
            #expect(try tmux.waitFor("Terminal too small"))
            try tmux.resize(cols: 100, rows: 30)
            #expect(try tmux.waitFor("┌ ram"))
            try v.quit()
        }
    }

    @Test func ctrlCQuitsAndRestoresTheTerminal() throws {
        try EndToEnd.withViewer { tmux, v in
            try tmux.sendKeys("C-c")
            // C-c is "interrupted": 130, as --help documents and as the INT signal gives.
            try v.app.exitedCleanly(status: 130)
        }
    }

    @Test func saveWritesTheViewAtFullResolution() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("ram-view-out-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: out) }
        try EndToEnd.withViewer("--degrade noise:25 --out-dir \(out)", cols: 120, rows: 34, ready: "restored in", timeout: 30) {
            tmux, v in
            try tmux.sendKeys("w")
            #expect(try tmux.waitFor("saved \(out)/ram-compare-001.png", timeout: 10))
            try tmux.sendKeys("3", "w")
            #expect(try tmux.waitFor("ram-error-001.png", timeout: 10))
            for (name, scale, what) in [
                ("ram-compare-001.png", false, "compare, split at 50%"), ("ram-error-001.png", true, "error map |restored - reference|"),
            ] {
                let img = try PNGCodec.read(path: out + "/" + name)
                // The 48×32 picture at the top left (its own size), the legend strip under it.
                #expect(img.width == ViewExport.minLegendWidth && img.height > 32 + 3 * BitmapFont.lineHeight, "\(name)")
                let text = SaveTests.legendText(img, pictureHeight: 32, scale: scale)
                #expect(text.contains(what) && text.contains("quadrants.png + noise:25"), "\(name): \(text)")
            }
            try v.quit()
        }
    }

    @Test func mouseClickDragAndWheel() throws {
        try EndToEnd.withViewer { tmux, v in
            let size = TerminalSize(cols: 100, rows: 30)
            let p = ImagePlacement.place(
                imageWidth: 48, imageHeight: 32, in: ScreenLayout.compute(size)!.imageArea(legend: false).image, zoom: .fit,
                focusX: 24, focusY: 16)
            // Raw SGR 1006 reports, as a terminal sends them (1-based): a click on the image…
            let (col, row) = (p.dest.x + p.dest.width / 4, p.dest.y + p.dest.height / 4)
            let want = p.pixel(atCol: col, row: row)!
            try tmux.sendLiteral("\u{1B}[<0;\(col + 1);\(row + 1)M\u{1B}[<0;\(col + 1);\(row + 1)m")
            #expect(try tmux.waitFor("Cursor   x \(want.x)  y \(want.y)"), "click at cell (\(col), \(row))")
            // …a drag of the divider to a quarter of the image…
            let divider = p.dest.x + p.dest.width / 2, to = p.dest.x + p.dest.width / 4
            try tmux.sendLiteral("\u{1B}[<0;\(divider + 1);\(row + 1)M\u{1B}[<32;\(to + 1);\(row + 1)M\u{1B}[<0;\(to + 1);\(row + 1)m")
            #expect(try tmux.waitFor("divider at 2"))
            let screen = try tmux.capture()
            #expect(screen[to, row + 1].glyph == "│", "divider drawn at column \(to)")
            // …and the wheel zooms in.
            try tmux.sendLiteral("\u{1B}[<64;\(col + 1);\(row + 1)M")
            #expect(try tmux.waitFor("zoom 2×"))
            try v.quit()
        }
    }

    @Test func noMouseLeavesReportsAlone() throws {
        try EndToEnd.withViewer("--no-mouse") { tmux, v in
            // tmux keeps the pane's mouse modes: none were asked for.
            #expect(try tmux.display("#{mouse_any_flag}#{mouse_button_flag}#{mouse_sgr_flag}") == "000")
            try v.quit()
        }
    }

    @Test func twoModelsCompareFeaturesAndGrid() throws {
        let fixtures = Fixtures.packageRoot.appendingPathComponent("Tests/RAMModelTests/Fixtures").path
        let a = fixtures + "/tiny.weights.safetensors", b = fixtures + "/tiny_ff.weights.safetensors"
        try EndToEnd.withViewer("--degrade noise:25 --weights \(a) --weights \(b)", cols: 130, rows: 36, ready: "Model B") {
            tmux, v in
            #expect(try tmux.waitFor("tiny_ff.weights.safetensors"))
            #expect(try tmux.waitUntilText(timeout: 30) { $0.contains { $0.contains("by B") && $0.contains(" dB") } })
            try tmux.sendKeys("b")  // B: restored → restored by B
            #expect(try tmux.waitFor("B: restored by B"))
            try tmux.sendKeys("3", "e", "e", "e", "e")
            #expect(try tmux.waitFor("|restored − restored by B|"))
            // Features: the same tap of both models, side by side, one legend.
            try tmux.sendKeys("2")
            #expect(try tmux.waitFor("A: tiny.weights.safetensors"))
            #expect(try tmux.waitFor("B: tiny_ff.weights.safetensors"))
            #expect(try tmux.waitFor("one scale for A and B", timeout: 30))
            let legends = try tmux.captureText().filter { $0.contains("robust 1–99%") }
            #expect(legends.count == 1, "one legend: \(legends)")
            // The grid: a row per model, scored per cell.
            try tmux.sendKeys("4")
            #expect(try tmux.waitFor("middle: restored by A · bottom: by B"))
            #expect(try tmux.waitFor("degradation grid done", timeout: 90))
            let text = try tmux.captureText()
            #expect(text.filter { $0.contains("A ") && $0.contains(" dB") }.count >= 1, "\(text.joined(separator: "\n"))")
            #expect(text.filter { $0.contains("B ") && $0.contains(" dB") }.count >= 1, "\(text.joined(separator: "\n"))")
            try v.quit()
        }
    }

    @Test func panelToggleAt80x24() throws {
        try EndToEnd.withViewer("--degrade noise:25", cols: 80, rows: 24, ready: "restored in", timeout: 30) { tmux, v in
            // Narrow: no panel, the status line carries the scores.
            #expect(try tmux.waitUntilText { $0.count >= 24 && $0[23].contains(" dB") && $0[23].contains("p panel") })
            #expect(try !tmux.captureText().contains { $0.contains("┌ ram") })
            try tmux.sendKeys("p")
            #expect(try tmux.waitFor("┌ ram"))
            #expect(try tmux.waitFor("restored  "))
            #expect(try tmux.waitFor("panel on"))
            try tmux.sendKeys("p")
            #expect(try tmux.waitUntilText { !$0.contains { $0.contains("┌ ram") } && $0.contains { $0.contains("panel off") } })
            try v.quit()
        }
    }

    @Test func sigtermRestoresTheTerminal() throws {
        try EndToEnd.withViewer { _, v in
            let pid = try #require(v.app.pid)
            #expect(kill(pid, SIGTERM) == 0)
            try v.app.exitedCleanly(status: 128 + SIGTERM)
        }
    }

    @Test func demoOpensTheBundledSampleDegradedAndStartsRestoring() throws {
        try EndToEnd.withViewer(onImage: false, cols: 120, rows: 36, ready: "astronaut.png + noise:25", timeout: 15) { tmux, v in
            // The status line is the last row written: once it is there the frame is complete.
            #expect(try tmux.waitFor("? help"))
            let text = try tmux.captureText().joined(separator: "\n")
            #expect(text.contains("restores one pass"))  // 384×384 fits the memory budget
            #expect(text.contains("Image    384×384"))
            #expect(text.contains("ref: astronaut.png"))
            #expect(try tmux.waitFor("input     ", timeout: 15))
            try v.quit()
        }
    }

    @Test func keysStayResponsiveWhileRestoring() throws {
        // The demo restores a 384×384 image: in a debug build with the tiny weights that takes
        // tens of seconds, so every key below arrives while the model runs.
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("ram-view-latency-\(getpid()).log").path
        try? FileManager.default.removeItem(atPath: log)
        defer { try? FileManager.default.removeItem(atPath: log) }
        try EndToEnd.withViewer(onImage: false, env: ["RAM_VIEW_LATENCY_LOG": log], timeout: 15) { tmux, v in
            var changes = 0
            let start = Date()
            for (i, key) in ["s", "s", "s", "2", "1", "l", "l", "3", "1", "z"].enumerated() {
                let before = try tmux.captureText()
                try tmux.sendKeys(key)
                if try tmux.waitUntilText(timeout: 2, { $0 != before }) {
                    changes += 1
                } else {
                    Issue.record("key \(i) \(key): no change")
                }
            }
            let elapsed = Date().timeIntervalSince(start)
            #expect(changes == 10)
            #expect(elapsed < 10, "10 keys took \(elapsed) s")
            #expect(try tmux.captureText().contains { $0.contains("restoring") }, "the restoration finished before the keys")
            try v.quit()
        }
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(text.contains("summary n="))
    }
}

extension TmuxHarness {
    /// Polls the plain capture until `done` holds.
    @discardableResult
    func waitUntilText(timeout: Double = 10, _ done: ([String]) -> Bool) throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if done(try captureText()) { return true }
            usleep(20_000)
        }
        return done(try captureText())
    }
}
