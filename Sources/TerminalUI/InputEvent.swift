/// A key as the application sees it, independent of how the terminal encoded it.
public enum Key: Hashable, Sendable {
    /// A printable character (including space).
    case char(Character)
    case up, down, left, right
    case pageUp, pageDown, home, end
    case insert, delete
    case enter, escape, tab, backTab, backspace
    /// Function key F1…F12 (and beyond where the terminal sends them).
    case f(Int)
    /// Control plus a letter or one of `@[\]^_`, lower-cased: Ctrl-L is `.ctrl("l")`.
    /// In the default raw input mode Ctrl-C and Ctrl-Z arrive here instead of as signals.
    case ctrl(Character)
}

/// What the loop receives from the terminal.
public enum InputEvent: Hashable, Sendable {
    case key(Key)
    /// The terminal now has this many columns and rows; the next frame is a full repaint.
    case resize(cols: Int, rows: Int)
    case mouse(MouseEvent)
}

/// A mouse report, in cells (0-based column and row).
public struct MouseEvent: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        /// A button went down (1 left, 2 middle, 3 right).
        case press(Int)
        /// The pointer moved with a button held.
        case drag(Int)
        case release
        case wheelUp
        case wheelDown
    }

    public var kind: Kind
    public var col: Int
    public var row: Int

    public init(_ kind: Kind, col: Int, row: Int) {
        self.kind = kind
        self.col = col
        self.row = row
    }

    /// Parses the part of an SGR (mode 1006) report after `ESC [ <`: "Cb;Cx;Cy" and `M`
    /// (press, drag) or `m` (release). Cb: bits 0–1 the button (0 left, 1 middle, 2 right,
    /// 3 none), +32 motion, +64 wheel (64 up, 65 down), +4/8/16 shift/meta/ctrl (ignored);
    /// coordinates are 1-based. nil for anything else (motion without a button included).
    public static func parseSGR(_ body: String) -> MouseEvent? {
        guard let last = body.last, last == "M" || last == "m" else { return nil }
        let fields = body.dropLast().split(separator: ";", omittingEmptySubsequences: false).map { Int($0) }
        guard fields.count == 3, let cb = fields[0], let x = fields[1], let y = fields[2], x >= 1, y >= 1 else { return nil }
        let button = cb & 3
        let kind: Kind
        if cb & 64 != 0 {
            guard last == "M" else { return nil }
            kind = button == 0 ? .wheelUp : (button == 1 ? .wheelDown : .wheelUp)
            if button > 1 { return nil }  // horizontal wheel: not used
        } else if last == "m" {
            kind = .release
        } else if cb & 32 != 0 {
            guard button != 3 else { return nil }  // plain motion
            kind = .drag(button + 1)
        } else {
            guard button != 3 else { return nil }
            kind = .press(button + 1)
        }
        return MouseEvent(kind, col: x - 1, row: y - 1)
    }
}

/// ncurses key codes (curses.h, octal there), kept here as numbers so that the mapping is a
/// pure function testable without a terminal; `NcursesBackend` checks a few against the
/// header's macros. Values from /usr/include/curses.h (ncurses 6.4), and as ncurses returns
/// them under tmux 3.3a with `keypad` on (arrows 258–261, F1 265, Backspace 263, resize 410).
public enum CursesKeyCode {
    public static let down: Int32 = 0o402  // 258
    public static let up: Int32 = 0o403  // 259
    public static let left: Int32 = 0o404  // 260
    public static let right: Int32 = 0o405  // 261
    public static let home: Int32 = 0o406  // 262
    public static let backspace: Int32 = 0o407  // 263
    public static let f0: Int32 = 0o410  // 264; F(n) = f0 + n
    public static let delete: Int32 = 0o512  // 330 KEY_DC
    public static let insert: Int32 = 0o513  // 331 KEY_IC
    public static let pageDown: Int32 = 0o522  // 338 KEY_NPAGE
    public static let pageUp: Int32 = 0o523  // 339 KEY_PPAGE
    public static let enter: Int32 = 0o527  // 343 KEY_ENTER (keypad)
    public static let backTab: Int32 = 0o541  // 353 KEY_BTAB
    public static let end: Int32 = 0o550  // 360
    public static let resize: Int32 = 0o632  // 410
}

extension Key {
    /// Maps what `wget_wch` returned: `isKeyCode` when it returned KEY_CODE_YES (a function
    /// key code in `code`), otherwise `code` is a Unicode scalar value. Returns nil for codes
    /// the viewer has no use for (mouse, unknown function keys) and for KEY_RESIZE, which the
    /// backend turns into `.resize` with the new size.
    public static func fromCurses(_ code: Int32, isKeyCode: Bool) -> Key? {
        if isKeyCode {
            switch code {
            case CursesKeyCode.up: return .up
            case CursesKeyCode.down: return .down
            case CursesKeyCode.left: return .left
            case CursesKeyCode.right: return .right
            case CursesKeyCode.home: return .home
            case CursesKeyCode.end: return .end
            case CursesKeyCode.pageUp: return .pageUp
            case CursesKeyCode.pageDown: return .pageDown
            case CursesKeyCode.insert: return .insert
            case CursesKeyCode.delete: return .delete
            case CursesKeyCode.backspace: return .backspace
            case CursesKeyCode.enter: return .enter
            case CursesKeyCode.backTab: return .backTab
            case (CursesKeyCode.f0 + 1)...(CursesKeyCode.f0 + 63): return .f(Int(code - CursesKeyCode.f0))
            default: return nil
            }
        }
        switch code {
        case 9: return .tab
        case 10, 13: return .enter  // ^J with ncurses' default nl(), ^M otherwise
        case 27: return .escape
        case 8, 127: return .backspace  // ^H and DEL when terminfo kbs does not match
        case 0: return .ctrl("@")
        case 1...26: return .ctrl(Character(Unicode.Scalar(UInt8(code) + 0x60)))  // ^A … ^Z
        case 28...31: return .ctrl(Character(Unicode.Scalar(UInt8(code) + 0x40)))  // ^\ ^] ^^ ^_
        default:
            guard code >= 32, let scalar = Unicode.Scalar(UInt32(code)) else { return nil }
            return .char(Character(scalar))
        }
    }
}
