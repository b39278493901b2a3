/// Turns the difference between two frames into the bytes that bring the terminal from one
/// to the other (ratatui's Buffer::diff + backend draw, in one pure function).
///
/// We write SGR and cursor moves ourselves instead of going through ncurses: under tmux
/// this gave exact colours with any TERM, no palette quirk for values below 8 and no
/// colour-pair limits (ncurses' direct colour needs TERM=tmux-direct and the ncurses-term
/// package, and treats values below 8 as palette indices). Conventions of the stream:
/// - cursor positioning (`ESC[row;colH`, 1-based) only where the next changed cell is not
///   where the cursor already is; after the last column the cursor is treated as unknown
///   because terminals disagree about the pending-wrap state;
/// - one combined SGR (`ESC[…m`) only where bold/fg/bg differ from the current pen;
///   nil colours are the defaults (`39`/`49`);
/// - every non-empty stream ends with `ESC[0m`, so the next diff can assume a reset pen;
/// - a full repaint (no previous frame, or a size change) starts with `ESC[0m` and
///   positions at the start of every row; an unchanged frame produces no bytes at all.
public enum Renderer {
    public static func diff(previous: CellBuffer?, next: CellBuffer, mode: ColorMode) -> [UInt8] {
        var w = EscapeWriter(mode: mode)
        let full = previous == nil || previous!.width != next.width || previous!.height != next.height
        w.out.reserveCapacity(full ? next.width * next.height * 24 : 256)
        if full { w.out += [0x1B, 0x5B, 0x30, 0x6D] }  // ESC[0m: we do not know the pen
        next.cells.withUnsafeBufferPointer { cur in
            let old: [Cell] = full ? [] : previous!.cells
            old.withUnsafeBufferPointer { prev in
                for y in 0..<next.height {
                    let row = y * next.width
                    for x in 0..<next.width {
                        let cell = cur[row + x]
                        if !full && prev[row + x] == cell { continue }
                        w.put(cell, x: x, y: y, lastColumn: x == next.width - 1)
                    }
                }
            }
        }
        if !w.out.isEmpty { w.out += [0x1B, 0x5B, 0x30, 0x6D] }
        return w.out
    }
}

/// The state of the terminal while a diff is written: where the cursor is and what the
/// current SGR pen is, so that neither is re-sent needlessly.
struct EscapeWriter {
    let mode: ColorMode
    var out: [UInt8] = []
    /// nil = unknown (start of a stream, or after writing into the last column).
    var cursor: (x: Int, y: Int)? = nil
    var pen = Style.plain

    init(mode: ColorMode) { self.mode = mode }

    mutating func put(_ cell: Cell, x: Int, y: Int, lastColumn: Bool) {
        if cursor == nil || cursor! != (x, y) { moveTo(x: x, y: y) }
        setPen(cell.style)
        appendGlyph(cell.glyph)
        cursor = lastColumn ? nil : (x + 1, y)
    }

    mutating func moveTo(x: Int, y: Int) {
        out += [0x1B, 0x5B]
        appendDecimal(y + 1)
        out.append(0x3B)
        appendDecimal(x + 1)
        out.append(0x48)  // H
    }

    mutating func setPen(_ s: Style) {
        if mode == .mono {
            // No colours: bold, and reverse video where the background is light (status
            // line, active tab, cursor), so highlighted text still stands out.
            let reverse = s.bg.map { 0.299 * Double($0.r) + 0.587 * Double($0.g) + 0.114 * Double($0.b) >= 128 } ?? false
            let key = Style(fg: nil, bg: reverse ? .white : nil, bold: s.bold)
            guard key != pen else { return }
            out += [0x1B, 0x5B, 0x30]  // ESC[0
            if key.bold { out += [0x3B, 0x31] }
            if reverse { out += [0x3B, 0x37] }
            out.append(0x6D)
            pen = key
            return
        }
        guard s != pen else { return }
        out += [0x1B, 0x5B]  // ESC[
        var first = true
        func sep(_ out: inout [UInt8]) {
            if !first { out.append(0x3B) }
            first = false
        }
        if s.bold != pen.bold {
            sep(&out)
            if s.bold { out.append(0x31) } else { out += [0x32, 0x32] }  // 1 | 22
        }
        if s.fg != pen.fg {
            sep(&out)
            appendColor(s.fg, base: 0x33)  // 3x
        }
        if s.bg != pen.bg {
            sep(&out)
            appendColor(s.bg, base: 0x34)  // 4x
        }
        out.append(0x6D)  // m
        pen = s
    }

    /// `38;2;r;g;b` / `38;5;n` / `39` (and the 48/49 forms with base "4").
    mutating func appendColor(_ c: RGB?, base: UInt8) {
        out.append(base)
        guard let c else {
            out.append(0x39)
            return
        }
        out.append(0x38)
        switch mode {
        case .trueColor:
            out += [0x3B, 0x32, 0x3B]  // ;2;
            appendDecimal(Int(c.r))
            out.append(0x3B)
            appendDecimal(Int(c.g))
            out.append(0x3B)
            appendDecimal(Int(c.b))
        case .ansi256:
            out += [0x3B, 0x35, 0x3B]  // ;5;
            appendDecimal(Int(XtermPalette.index(for: c)))
        case .ansi16, .ansi8:
            // 3n / 4n for the first 8, 9n / 10n for the bright ones.
            out.removeLast(2)
            let i = Int(XtermPalette.basicIndex(for: c, count: mode == .ansi16 ? 16 : 8))
            if i < 8 {
                out.append(base)
                appendDecimal(i)
            } else {
                appendDecimal(base == 0x33 ? 9 : 10)
                appendDecimal(i - 8)
            }
        case .mono:
            out.removeLast(2)  // setPen never asks for colours in monochrome
        }
    }

    /// The glyph's UTF-8 bytes; control characters (which could move the cursor or start an
    /// escape sequence and desynchronise our model of the screen) are replaced by "?".
    mutating func appendGlyph(_ g: String) {
        var wrote = false
        for b in g.utf8 {
            if b < 0x20 || b == 0x7F {
                out.append(0x3F)
            } else {
                out.append(b)
            }
            wrote = true
        }
        if !wrote { out.append(0x20) }  // an empty glyph still occupies its column
    }

    mutating func appendDecimal(_ v: Int) {
        switch v {
        case 0..<10:
            out.append(0x30 + UInt8(v))
        case 10..<100:
            out += [0x30 + UInt8(v / 10), 0x30 + UInt8(v % 10)]
        case 100..<1000:
            out += [0x30 + UInt8(v / 100), 0x30 + UInt8(v / 10 % 10), 0x30 + UInt8(v % 10)]
        default:
            out += Array(String(v).utf8)
        }
    }
}
