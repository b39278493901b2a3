import Testing

@testable import TerminalUI

@Suite struct CellBufferTests {
    @Test func newBufferIsBlank() {
        let b = CellBuffer(width: 3, height: 2)
        #expect(b.lines() == ["   ", "   "])
        #expect(b[0, 0] == .blank)
    }

    @Test func setAndClippedAccess() {
        var b = CellBuffer.sentinel(width: 3, height: 2)
        b.set(x: 1, y: 1, Cell("a", fg: .red))
        b[5, 0] = Cell("z")  // outside: ignored
        b[-1, 0] = Cell("z")
        #expect(b.lines() == ["···", "·a·"])
        #expect(b[1, 1].fg == .red)
        #expect(b[9, 9] == .blank)
    }

    @Test func fillClips() {
        var b = CellBuffer.sentinel(width: 4, height: 3)
        b.fill(Rect(x: 2, y: 1, width: 10, height: 10), with: Cell("#"))
        #expect(b.lines() == ["····", "··##", "··##"])
    }

    @Test func drawTextClipsAtMaxWidthAndEdge() {
        var b = CellBuffer.sentinel(width: 6, height: 2)
        let n = b.drawText(x: 1, y: 0, "hello world", fg: .green, maxWidth: 3)
        #expect(n == 3)
        let m = b.drawText(x: 3, y: 1, "abcdef")
        #expect(m == 3)
        #expect(b.lines() == ["·hel··", "···abc"])
        #expect(b[1, 0].fg == .green)
        #expect(b[1, 0].bg == nil)
    }

    @Test func drawTextOffLeftEdgeAndOffRows() {
        var b = CellBuffer.sentinel(width: 4, height: 1)
        b.drawText(x: -2, y: 0, "abcdef")
        #expect(b.lines() == ["cdef"])
        #expect(b.drawText(x: 0, y: 3, "x") == 0)
    }

    @Test func drawTextReplacesControlsAndWideCharacters() {
        var b = CellBuffer.sentinel(width: 5, height: 1)
        b.drawText(x: 0, y: 0, "a\u{1B}漢é\t")
        #expect(b.lines() == ["a??é?"])
    }

    @Test func combiningMarkStaysInOneCell() {
        var b = CellBuffer.sentinel(width: 3, height: 1)
        b.drawText(x: 0, y: 0, "e\u{301}x")
        #expect(b[0, 0].glyph == "e\u{301}")
        #expect(b[1, 0].glyph == "x")
    }

    @Test func blitClipsToBufferAndClipRect() {
        var b = CellBuffer.sentinel(width: 4, height: 3)
        let src = ["a", "b", "c", "d", "e", "f"].map { Cell($0) }  // 3 wide, 2 tall
        b.blit(cells: src, width: 3, at: 2, 1)
        #expect(b.lines() == ["····", "··ab", "··de"])
        var c = CellBuffer.sentinel(width: 4, height: 3)
        c.blit(cells: src, width: 3, at: -1, 0, clip: Rect(x: 0, y: 0, width: 4, height: 1))
        #expect(c.lines() == ["bc··", "····", "····"])
    }

    @Test func blitBuffer() {
        var b = CellBuffer.sentinel(width: 3, height: 2)
        var o = CellBuffer(width: 2, height: 1)
        o.drawText(x: 0, y: 0, "ok")
        b.blit(o, at: 1, 1)
        #expect(b.lines() == ["···", "·ok"])
    }
}
