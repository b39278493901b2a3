import TerminalUI
import Testing

@testable import Viewer

/// The mouse: click moves the cursor, drag moves the split divider, the wheel zooms.
struct MouseTests {
    @Test func sgrReportsParse() {
        #expect(MouseEvent.parseSGR("0;10;5M") == MouseEvent(.press(1), col: 9, row: 4))
        #expect(MouseEvent.parseSGR("32;11;5M") == MouseEvent(.drag(1), col: 10, row: 4))
        #expect(MouseEvent.parseSGR("0;11;5m") == MouseEvent(.release, col: 10, row: 4))
        #expect(MouseEvent.parseSGR("64;3;4M") == MouseEvent(.wheelUp, col: 2, row: 3))
        #expect(MouseEvent.parseSGR("65;3;4M") == MouseEvent(.wheelDown, col: 2, row: 3))
        #expect(MouseEvent.parseSGR("35;3;4M") == nil)  // motion without a button
        #expect(MouseEvent.parseSGR("0;x;4M") == nil && MouseEvent.parseSGR("0;3;4") == nil)
    }

    @Test func clickMovesTheCursorToThePixelUnderIt() {
        var s = ViewTests.state()  // 1:1, image at columns 22…37, rows 6…11
        _ = update(&s, .mouse(MouseEvent(.press(1), col: ViewTests.imageLeft + 5, row: ViewTests.imageTop + 3)))
        #expect(s.viewport.cursorX == 5 && s.viewport.cursorY == 6)
        _ = update(&s, .mouse(MouseEvent(.release, col: 0, row: 0)))
        // Outside the image: nothing moves.
        _ = update(&s, .mouse(MouseEvent(.press(1), col: 2, row: 3)))
        #expect(s.viewport.cursorX == 5 && s.viewport.cursorY == 6)
        // A tab in the header switches the view.
        _ = update(&s, .mouse(MouseEvent(.press(1), col: 14, row: 0)))
        #expect(s.mode == .features)
    }

    @Test func dragMovesTheDivider() {
        var s = ViewTests.state()
        #expect(s.compare.divider == 0.5)  // column 30 of the 60-column area
        _ = update(&s, .mouse(MouseEvent(.press(1), col: 30, row: 8)))
        #expect(s.mouseDrag == .divider)
        _ = update(&s, .mouse(MouseEvent(.drag(1), col: 20, row: 8)))
        _ = update(&s, .mouse(MouseEvent(.release, col: 20, row: 8)))
        #expect(abs(s.compare.divider - 20.0 / 60) < 1e-9)
        #expect(s.mouseDrag == nil)
        #expect(Screen.render(s, cache: RenderCache(colorMode: .trueColor))[20, 8].glyph == "│")
    }

    @Test func wheelZoomsAtThePointer() {
        var s = Fixtures.state(width: 160, height: 120)  // fit ≈ 0.54
        let p = primaryPlacement(s)!
        let col = p.dest.x + p.dest.width / 4, row = p.dest.y + p.dest.height / 4
        let under = p.pixel(atCol: col, row: row)!
        _ = update(&s, .mouse(MouseEvent(.wheelUp, col: col, row: row)))
        #expect(s.viewport.zoom == .scale(1))
        #expect(s.viewport.cursorX == under.x && s.viewport.cursorY == under.y)
        _ = update(&s, .mouse(MouseEvent(.wheelDown, col: col, row: row)))
        #expect(s.viewport.zoom == .fit)
    }
}
