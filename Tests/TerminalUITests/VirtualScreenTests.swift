import Testing

@testable import TerminalUI

@Suite struct VirtualScreenTests {
    @Test func printsWrapsAndPositions() {
        var v = VirtualScreen(width: 3, height: 2)
        v.feed("abcd")
        #expect(v.buffer.lines() == ["abc", "d  "])
        v.feed("\u{1B}[1;2HZ")
        #expect(v.buffer.lines() == ["aZc", "d  "])
    }

    @Test func sgrForms() {
        var v = VirtualScreen(width: 6, height: 1)
        v.feed("\u{1B}[38;2;1;2;3m" + "a")
        v.feed("\u{1B}[48:2::4:5:6m" + "b")  // ncurses' colon form
        v.feed("\u{1B}[39;49;1;38;5;196m" + "c")
        v.feed("\u{1B}[31;42m" + "d")
        v.feed("\u{1B}[0m" + "e")
        v.feed("\u{1B}[22m\u{1B}[m" + "f")
        let b = v.buffer
        #expect(b[0, 0] == Cell("a", fg: RGB(1, 2, 3)))
        #expect(b[1, 0] == Cell("b", fg: RGB(1, 2, 3), bg: RGB(4, 5, 6)))
        #expect(b[2, 0] == Cell("c", fg: .red, bold: true))
        #expect(b[3, 0] == Cell("d", fg: RGB(205, 0, 0), bg: RGB(0, 205, 0), bold: true))
        #expect(b[4, 0] == Cell("e"))
        #expect(b[5, 0] == Cell("f"))
    }

    @Test func newlinesCarryTheSGRStateLikeTmuxCaptures() {
        var v = VirtualScreen(width: 2, height: 2)
        v.feed("\u{1B}[38;2;9;9;9mab\ncd")
        #expect(v.buffer[1, 1].fg == RGB(9, 9, 9))
        #expect(v.buffer.lines() == ["ab", "cd"])
    }

    @Test func saveRestoreEraseAndCombining() {
        var v = VirtualScreen(width: 4, height: 2)
        v.feed("xxxx\u{1B}[2;1H\u{1B}7yy\u{1B}8z")
        #expect(v.buffer.lines() == ["xxxx", "zy  "])
        v.feed("\u{1B}[1;2H\u{1B}[K")
        #expect(v.buffer.lines() == ["x   ", "zy  "])
        v.feed("\u{1B}[1;1He\u{301}")
        #expect(v.buffer[0, 0].glyph == "e\u{301}")
        v.feed("\u{1B}[?25l\u{1B}[2J")
        #expect(v.buffer.lines() == ["    ", "    "])
    }
}
