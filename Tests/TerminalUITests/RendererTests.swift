import Testing

@testable import TerminalUI

/// Escape streams byte for byte on small buffers, and by their effect on larger ones.
@Suite struct RendererTests {
    func s(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test func fullPaintOfTwoCells() {
        var b = CellBuffer(width: 2, height: 1)
        b[0, 0] = Cell("a", fg: .red)
        b[1, 0] = Cell("b", fg: .red, bg: .blue)
        let out = Renderer.diff(previous: nil, next: b, mode: .trueColor)
        #expect(s(out) == "\u{1B}[0m\u{1B}[1;1H\u{1B}[38;2;255;0;0ma\u{1B}[48;2;0;0;255mb\u{1B}[0m")
    }

    @Test func fullPaintPositionsEveryRow() {
        var b = CellBuffer(width: 2, height: 2)
        b.drawText(x: 0, y: 0, "ab")
        b.drawText(x: 0, y: 1, "cd")
        #expect(s(Renderer.diff(previous: nil, next: b, mode: .trueColor)) == "\u{1B}[0m\u{1B}[1;1Hab\u{1B}[2;1Hcd\u{1B}[0m")
    }

    @Test func oneChangedCellIsOneMoveOneSGROneGlyph() {
        let a = CellBuffer(width: 3, height: 2)
        var b = a
        b[1, 1] = Cell("x", fg: .green)
        #expect(s(Renderer.diff(previous: a, next: b, mode: .trueColor)) == "\u{1B}[2;2H\u{1B}[38;2;0;255;0mx\u{1B}[0m")
    }

    @Test func unchangedFrameWritesNothing() {
        var a = CellBuffer(width: 5, height: 3)
        a.drawText(x: 0, y: 1, "hello", fg: .red)
        #expect(Renderer.diff(previous: a, next: a, mode: .trueColor).isEmpty)
    }

    @Test func contiguousChangesShareOneMoveAndOneSGR() {
        let a = CellBuffer(width: 6, height: 1)
        var b = a
        b.drawText(x: 1, y: 0, "ab", fg: .red)
        b.drawText(x: 4, y: 0, "c", fg: .red)
        #expect(
            s(Renderer.diff(previous: a, next: b, mode: .trueColor)) == "\u{1B}[1;2H\u{1B}[38;2;255;0;0mab\u{1B}[1;5Hc\u{1B}[0m")
    }

    @Test func afterTheLastColumnTheCursorIsRepositioned() {
        let a = CellBuffer(width: 2, height: 2)
        var b = a
        b.drawText(x: 1, y: 0, "x")
        b.drawText(x: 0, y: 1, "y")
        #expect(s(Renderer.diff(previous: a, next: b, mode: .trueColor)) == "\u{1B}[1;2Hx\u{1B}[2;1Hy\u{1B}[0m")
    }

    @Test func attributesTurnOffWithTheirOwnCodes() {
        let a = CellBuffer(width: 3, height: 1)
        var b = a
        b[0, 0] = Cell("a", fg: .red, bg: .blue, bold: true)
        b[1, 0] = Cell("b", fg: nil, bg: .blue)
        b[2, 0] = Cell("c", fg: .red)
        #expect(
            s(Renderer.diff(previous: a, next: b, mode: .trueColor))
                == "\u{1B}[1;1H\u{1B}[1;38;2;255;0;0;48;2;0;0;255ma\u{1B}[22;39mb\u{1B}[38;2;255;0;0;49mc\u{1B}[0m")
    }

    @Test func ansi256UsesPaletteIndices() {
        var b = CellBuffer(width: 1, height: 1)
        b[0, 0] = Cell("▀", fg: .red, bg: RGB(128, 128, 128))
        #expect(
            s(Renderer.diff(previous: nil, next: b, mode: .ansi256)) == "\u{1B}[0m\u{1B}[1;1H\u{1B}[38;5;196;48;5;244m▀\u{1B}[0m")
    }

    @Test func sizeChangeRepaintsEverything() {
        let a = CellBuffer(width: 2, height: 1)
        let b = CellBuffer(width: 3, height: 1)
        #expect(s(Renderer.diff(previous: a, next: b, mode: .trueColor)) == "\u{1B}[0m\u{1B}[1;1H   \u{1B}[0m")
    }

    @Test func controlCharactersNeverReachTheTerminal() {
        var b = CellBuffer(width: 2, height: 1)
        b[0, 0] = Cell("\u{1B}")
        b[1, 0] = Cell("")
        #expect(s(Renderer.diff(previous: nil, next: b, mode: .trueColor)) == "\u{1B}[0m\u{1B}[1;1H? \u{1B}[0m")
    }

    @Test func largeCoordinates() {
        let a = CellBuffer(width: 1200, height: 2)
        var b = a
        b[1150, 1] = Cell("z")
        #expect(s(Renderer.diff(previous: a, next: b, mode: .trueColor)) == "\u{1B}[2;1151Hz\u{1B}[0m")
    }

    /// Replaying diff(a, b) on a screen that shows a must show b, for random frames.
    @Test(arguments: [ColorMode.trueColor, .ansi256])
    func replayedDiffReproducesTheNextFrame(mode: ColorMode) {
        var rng = SystemRandomNumberGenerator()
        let palette: [RGB?] = [nil, .red, .blue, RGB(12, 34, 56), RGB(128, 128, 128)]
        let glyphs = [" ", "a", "▀", "é", "─"]
        func random(_ w: Int, _ h: Int) -> CellBuffer {
            var b = CellBuffer(width: w, height: h)
            for y in 0..<h {
                for x in 0..<w where Int.random(in: 0..<3, using: &rng) > 0 {
                    b[x, y] = Cell(
                        glyphs.randomElement(using: &rng)!, fg: palette.randomElement(using: &rng)!,
                        bg: palette.randomElement(using: &rng)!, bold: Bool.random(using: &rng))
                }
            }
            return b
        }
        func shown(_ b: CellBuffer) -> CellBuffer {
            var out = b
            for y in 0..<b.height {
                for x in 0..<b.width {
                    out[x, y].fg = b[x, y].fg.map(mode.displayed)
                    out[x, y].bg = b[x, y].bg.map(mode.displayed)
                }
            }
            return out
        }
        for _ in 0..<20 {
            let a = random(7, 4)
            let b = random(7, 4)
            var screen = VirtualScreen(width: 7, height: 4)
            screen.feed(Renderer.diff(previous: nil, next: a, mode: mode))
            #expect(screen.buffer == shown(a))
            screen.feed(Renderer.diff(previous: a, next: b, mode: mode))
            #expect(screen.buffer == shown(b))
        }
    }
}
