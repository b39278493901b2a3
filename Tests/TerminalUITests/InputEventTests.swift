import CNcursesw
import Testing

@testable import TerminalUI

@Suite struct InputEventTests {
    @Test func keyCodesMatchTheCursesHeader() {
        #expect(CursesKeyCode.up == KEY_UP)
        #expect(CursesKeyCode.down == KEY_DOWN)
        #expect(CursesKeyCode.left == KEY_LEFT)
        #expect(CursesKeyCode.right == KEY_RIGHT)
        #expect(CursesKeyCode.home == KEY_HOME)
        #expect(CursesKeyCode.end == KEY_END)
        #expect(CursesKeyCode.pageUp == KEY_PPAGE)
        #expect(CursesKeyCode.pageDown == KEY_NPAGE)
        #expect(CursesKeyCode.backspace == KEY_BACKSPACE)
        #expect(CursesKeyCode.delete == KEY_DC)
        #expect(CursesKeyCode.insert == KEY_IC)
        #expect(CursesKeyCode.enter == KEY_ENTER)
        #expect(CursesKeyCode.backTab == KEY_BTAB)
        #expect(CursesKeyCode.f0 == KEY_F0)
        #expect(CursesKeyCode.resize == KEY_RESIZE)
    }

    /// The codes ncurses returns under tmux 3.3a with `keypad` on, as measured.
    @Test func measuredTmuxCodes() {
        #expect(Key.fromCurses(261, isKeyCode: true) == .right)
        #expect(Key.fromCurses(260, isKeyCode: true) == .left)
        #expect(Key.fromCurses(259, isKeyCode: true) == .up)
        #expect(Key.fromCurses(258, isKeyCode: true) == .down)
        #expect(Key.fromCurses(10, isKeyCode: false) == .enter)
        #expect(Key.fromCurses(27, isKeyCode: false) == .escape)
        #expect(Key.fromCurses(265, isKeyCode: true) == .f(1))
        #expect(Key.fromCurses(338, isKeyCode: true) == .pageDown)
        #expect(Key.fromCurses(263, isKeyCode: true) == .backspace)
        #expect(Key.fromCurses(9, isKeyCode: false) == .tab)
        #expect(Key.fromCurses(12, isKeyCode: false) == .ctrl("l"))
    }

    @Test func charactersAndControls() {
        #expect(Key.fromCurses(0x71, isKeyCode: false) == .char("q"))
        #expect(Key.fromCurses(0x20, isKeyCode: false) == .char(" "))
        #expect(Key.fromCurses(0xE9, isKeyCode: false) == .char("é"))
        #expect(Key.fromCurses(3, isKeyCode: false) == .ctrl("c"))
        #expect(Key.fromCurses(13, isKeyCode: false) == .enter)
        #expect(Key.fromCurses(127, isKeyCode: false) == .backspace)
        #expect(Key.fromCurses(8, isKeyCode: false) == .backspace)
        #expect(Key.fromCurses(28, isKeyCode: false) == .ctrl("\\"))
        #expect(Key.fromCurses(339, isKeyCode: true) == .pageUp)
        #expect(Key.fromCurses(262, isKeyCode: true) == .home)
        #expect(Key.fromCurses(360, isKeyCode: true) == .end)
        #expect(Key.fromCurses(353, isKeyCode: true) == .backTab)
        #expect(Key.fromCurses(264 + 12, isKeyCode: true) == .f(12))
        #expect(Key.fromCurses(0o631, isKeyCode: true) == nil)  // KEY_MOUSE: not used
        #expect(Key.fromCurses(0xD800, isKeyCode: false) == nil)  // not a scalar
    }
}
