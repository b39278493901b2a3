import Testing

@testable import TerminalUI

/// Widgets on sentinel-filled buffers: "·" marks cells a widget must not touch.
@Suite struct WidgetsTests {
    @Test func statusLineLeftAndRight() {
        var b = CellBuffer.sentinel(width: 12, height: 2)
        let style = Style(fg: .black, bg: .white)
        b.render(StatusLine(left: "abc", right: "42%", style: style), in: Rect(x: 0, y: 1, width: 10, height: 1))
        #expect(b.lines() == ["············", "abc    42%··"])
        #expect(b[5, 1].bg == .white)
        #expect(b[0, 1].style == style)
    }

    @Test func statusLineTruncatesTheLeftSide() {
        var b = CellBuffer.sentinel(width: 10, height: 1)
        b.render(StatusLine(left: "abcdefghij", right: "xyz"), in: b.bounds)
        #expect(b.lines() == ["abcde… xyz"])
    }

    @Test func panelWithTitle() {
        var b = CellBuffer.sentinel(width: 7, height: 4)
        b.render(Panel(title: "ab"), in: Rect(x: 0, y: 0, width: 6, height: 4))
        #expect(b.lines() == ["┌ ab ┐·", "│····│·", "│····│·", "└────┘·"])
        #expect(b[2, 0].bold)
        #expect(Panel.inner(Rect(x: 0, y: 0, width: 6, height: 4)) == Rect(x: 1, y: 1, width: 4, height: 2))
    }

    @Test func panelTooSmallDrawsNothing() {
        var b = CellBuffer.sentinel(width: 3, height: 3)
        b.render(Panel(title: "x"), in: Rect(x: 0, y: 0, width: 1, height: 3))
        #expect(b == CellBuffer.sentinel(width: 3, height: 3))
    }

    @Test func colormapLegendGradientAndLabels() {
        var b = CellBuffer.sentinel(width: 5, height: 3)
        b.render(
            ColormapLegend(stops: [.black, .white], minLabel: "0", maxLabel: "1"), in: Rect(x: 0, y: 0, width: 4, height: 2))
        #expect(b.lines() == ["    ·", "0··1·", "·····"])
        #expect((0..<4).map { b[$0, 0].bg } == [RGB(32, 32, 32), RGB(96, 96, 96), RGB(159, 159, 159), RGB(223, 223, 223)])
    }

    @Test func colormapLegendCaption() {
        var b = CellBuffer.sentinel(width: 12, height: 2)
        b.render(ColormapLegend(colormap: { _ in .red }, minLabel: "-1", maxLabel: "+1", caption: "γ"), in: b.bounds)
        #expect(b.lines()[1] == "-1···γ····+1")
        #expect(b[11, 0].bg == .red)
    }

    @Test func progressBar() {
        var b = CellBuffer.sentinel(width: 11, height: 1)
        b.render(ProgressBar(fraction: 0.5), in: Rect(x: 0, y: 0, width: 10, height: 1))
        #expect(b.lines() == ["███    50%·"])
        var c = CellBuffer.sentinel(width: 10, height: 1)
        c.render(ProgressBar(fraction: 0.25), in: c.bounds)
        #expect(c.lines() == ["█▌     25%"])
        var d = CellBuffer.sentinel(width: 12, height: 1)
        d.render(ProgressBar(fraction: .nan, label: "tile"), in: d.bounds)
        #expect(d.lines() == ["tile      0%"])
        // The bar alone, as the command line prints it on stderr.
        #expect(ProgressBar.glyphs(fraction: 0.3, width: 4, empty: "·") == ["█", "▏", "·", "·"])
        #expect(ProgressBar.glyphs(fraction: 2, width: 2).joined() == "██")
        #expect(ProgressBar.glyphs(fraction: .nan, width: 2, empty: "·").joined() == "··")
    }

    @Test func helpOverlayIsCentredAndBoxed() {
        var b = CellBuffer.sentinel(width: 20, height: 6)
        let help = HelpOverlay(rows: [("q", "quit"), ("←→", "pan")])
        #expect(help.box(in: b.bounds) == Rect(x: 4, y: 1, width: 12, height: 4))
        b.render(help, in: b.bounds)
        #expect(
            b.lines() == [
                "····················",
                "····┌ Keys ────┐····",
                "····│ q   quit │····",
                "····│ ←→  pan  │····",
                "····└──────────┘····",
                "····················",
            ])
        #expect(b[6, 2].bold)
    }

    @Test func tooSmallMessage() {
        var b = CellBuffer.sentinel(width: 24, height: 4)
        b.render(
            TooSmallMessage(needed: TerminalSize(cols: 80, rows: 24), actual: TerminalSize(cols: 24, rows: 4)), in: b.bounds)
        #expect(
            b.lines() == [
                "                        ", "   Terminal too small   ", " need 80×24, have 24×4  ", "                        ",
            ])
    }

    @Test func truncation() {
        #expect("hello".truncated(toColumns: 5) == "hello")
        #expect("hello".truncated(toColumns: 4) == "hel…")
        #expect("hello".truncated(toColumns: 0) == "")
    }
}
