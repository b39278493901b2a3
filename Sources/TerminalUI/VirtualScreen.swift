/// A minimal terminal emulator for the escape sequences this package writes and the ones
/// `tmux capture-pane -p -e` emits: printable UTF-8 with autowrap, CR/LF, CUP/CUF/CUB/CUU/
/// CUD, ED/EL, DECSC/DECRC and SGR (bold, 16/256/24-bit colours in ';' and ':' forms).
/// Everything else is consumed and ignored.
///
/// Tests use it to check a renderer stream by its effect (replaying `diff(a, b)` on a screen
/// that shows `a` must show `b`), `RecordingBackend` uses it to keep "the screen", and the
/// tmux harness uses it to turn a capture into cells. Colours come back as RGB; 256-colour
/// indices are converted with `XtermPalette`.
public struct VirtualScreen {
    public private(set) var buffer: CellBuffer
    public private(set) var cursorX = 0
    public private(set) var cursorY = 0
    /// Set after writing into the last column; the next printable character wraps first.
    private var pendingWrap = false
    private var pen = Style.plain
    private var saved = (x: 0, y: 0, pen: Style.plain)
    private var decoder = UTF8Decoder()
    private var parser = Parser.ground

    private enum Parser: Equatable {
        case ground, escape, csi([UInt8])
    }

    public init(width: Int, height: Int) {
        buffer = CellBuffer(width: width, height: height)
    }

    /// Starts from a known screen content (for replaying a diff on top of it).
    public init(showing screen: CellBuffer) {
        buffer = screen
    }

    public mutating func feed<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
        for b in bytes { feed(byte: b) }
    }

    public mutating func feed(_ text: String) { feed(Array(text.utf8)) }

    private mutating func feed(byte b: UInt8) {
        switch parser {
        case .escape:
            parser = .ground
            switch b {
            case 0x5B: parser = .csi([])  // [
            case 0x37: saved = (cursorX, cursorY, pen)  // 7 DECSC
            case 0x38:  // 8 DECRC
                (cursorX, cursorY, pen) = saved
                pendingWrap = false
            default: break
            }
        case .csi(var bytes):
            if b >= 0x40 && b <= 0x7E {
                parser = .ground
                csi(final: b, params: bytes)
            } else {
                bytes.append(b)
                parser = .csi(bytes)
            }
        case .ground:
            switch b {
            case 0x1B: parser = .escape
            case 0x0A:
                cursorY = min(cursorY + 1, buffer.height - 1)
                cursorX = 0
                pendingWrap = false
            case 0x0D:
                cursorX = 0
                pendingWrap = false
            case 0x08: cursorX = max(cursorX - 1, 0)
            case 0..<0x20, 0x7F: break
            default:
                if let scalar = decoder.push(b) { put(scalar) }
            }
        }
    }

    private mutating func put(_ scalar: Unicode.Scalar) {
        // Combining marks, joiners and variation selectors belong to the previous cell.
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format:
            let px = pendingWrap ? cursorX : cursorX - 1
            if px >= 0 { buffer[px, cursorY].glyph.unicodeScalars.append(scalar) }
            return
        default: break
        }
        if pendingWrap {
            pendingWrap = false
            cursorX = 0
            cursorY = min(cursorY + 1, buffer.height - 1)
        }
        buffer[cursorX, cursorY] = Cell(String(Character(scalar)), style: pen)
        if cursorX >= buffer.width - 1 {
            pendingWrap = true
        } else {
            cursorX += 1
        }
    }

    private mutating func csi(final: UInt8, params raw: [UInt8]) {
        if raw.first == 0x3F { return }  // private modes (?25l, ?1049h): no effect on cells
        let text = String(decoding: raw, as: UTF8.self)
        let params = text.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
        func n(_ i: Int, _ def: Int) -> Int {
            i < params.count ? (Int(params[i]).map { $0 == 0 ? def : $0 } ?? def) : def
        }
        pendingWrap = pendingWrap && final == 0x6D
        switch final {
        case 0x48, 0x66:  // H f
            cursorY = min(max(n(0, 1) - 1, 0), buffer.height - 1)
            cursorX = min(max(n(1, 1) - 1, 0), buffer.width - 1)
        case 0x43: cursorX = min(cursorX + n(0, 1), buffer.width - 1)  // C
        case 0x44: cursorX = max(cursorX - n(0, 1), 0)  // D
        case 0x41: cursorY = max(cursorY - n(0, 1), 0)  // A
        case 0x42: cursorY = min(cursorY + n(0, 1), buffer.height - 1)  // B
        case 0x4A:  // J
            let mode = Int(params.first ?? "") ?? 0
            if mode == 2 || mode == 3 { buffer.fill(buffer.bounds, with: Cell(" ", style: Style(bg: pen.bg))) }
        case 0x4B:  // K: erase to end of line
            buffer.fill(
                Rect(x: cursorX, y: cursorY, width: buffer.width - cursorX, height: 1), with: Cell(" ", style: Style(bg: pen.bg)))
        case 0x6D: sgr(params)
        default: break
        }
    }

    private mutating func sgr(_ params: [String]) {
        if params.isEmpty || (params.count == 1 && params[0].isEmpty) {
            pen = .plain
            return
        }
        var i = 0
        while i < params.count {
            let p = params[i]
            if p.contains(":") {
                // ITU form 38:2::r:g:b / 38:2:r:g:b / 38:5:n, as ncurses writes for -direct.
                let sub = p.split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
                if let color = extendedColor(sub.dropFirst().map { $0 ?? 0 }, colon: true) {
                    if sub.first == 38 { pen.fg = color } else if sub.first == 48 { pen.bg = color }
                }
                i += 1
                continue
            }
            let v = Int(p) ?? 0
            switch v {
            case 0: pen = .plain
            case 1: pen.bold = true
            case 22: pen.bold = false
            case 30...37: pen.fg = XtermPalette.rgb(index: UInt8(v - 30))
            case 90...97: pen.fg = XtermPalette.rgb(index: UInt8(v - 90 + 8))
            case 40...47: pen.bg = XtermPalette.rgb(index: UInt8(v - 40))
            case 100...107: pen.bg = XtermPalette.rgb(index: UInt8(v - 100 + 8))
            case 39: pen.fg = nil
            case 49: pen.bg = nil
            case 38, 48:
                let rest = params[(i + 1)...].prefix(4).map { Int($0) ?? 0 }
                let used = rest.first == 2 ? 4 : (rest.first == 5 ? 2 : 0)
                if let color = extendedColor(Array(rest.prefix(used)), colon: false) {
                    if v == 38 { pen.fg = color } else { pen.bg = color }
                }
                i += used
            default: break
            }
            i += 1
        }
    }

    /// [2, r, g, b] or [5, n]; with the colon form [2, colourspace, r, g, b] also appears.
    private func extendedColor(_ a: [Int], colon: Bool) -> RGB? {
        guard let kind = a.first else { return nil }
        func byte(_ v: Int) -> UInt8 { UInt8(clamping: v) }
        if kind == 5, a.count >= 2 { return XtermPalette.rgb(index: byte(a[1])) }
        if kind == 2 {
            if colon && a.count >= 5 { return RGB(byte(a[2]), byte(a[3]), byte(a[4])) }
            if a.count >= 4 { return RGB(byte(a[1]), byte(a[2]), byte(a[3])) }
        }
        return nil
    }
}

/// Incremental UTF-8 → scalar decoding (bytes arrive one at a time from the parser).
private struct UTF8Decoder {
    private var bytes: [UInt8] = []
    private var needed = 0

    mutating func push(_ b: UInt8) -> Unicode.Scalar? {
        if bytes.isEmpty {
            switch b {
            case 0..<0x80: return Unicode.Scalar(b)
            case 0xC0..<0xE0: needed = 2
            case 0xE0..<0xF0: needed = 3
            case 0xF0..<0xF8: needed = 4
            default: return "\u{FFFD}"
            }
            bytes = [b]
            return nil
        }
        guard b & 0xC0 == 0x80 else {
            bytes = []
            return push(b)
        }
        bytes.append(b)
        guard bytes.count == needed else { return nil }
        defer { bytes = [] }
        return String(decoding: bytes, as: UTF8.self).unicodeScalars.first
    }
}
