import Testing
import Imaging

@testable import TerminalUI

@Suite struct ColorModeTests {
    @Test func colortermTruecolor() {
        #expect(ColorMode.detect(environment: ["COLORTERM": "truecolor", "TERM": "xterm-256color"]) == .trueColor)
        #expect(ColorMode.detect(environment: ["COLORTERM": "24bit"]) == .trueColor)
    }

    @Test func terminfoRGBFlag() {
        #expect(ColorMode.detect(environment: ["TERM": "tmux-256color"], terminfoRGB: true) == .trueColor)
        #expect(ColorMode.detect(environment: ["TERM": "tmux-256color"], terminfoRGB: false) == .ansi256)
    }

    @Test func directTerm() {
        #expect(ColorMode.detect(environment: ["TERM": "xterm-direct"]) == .trueColor)
        #expect(ColorMode.detect(environment: ["TERM": "tmux-direct"]) == .trueColor)
    }

    @Test func defaultIs256() {
        #expect(ColorMode.detect(environment: [:]) == .ansi256)
        #expect(ColorMode.detect(environment: ["TERM": "xterm-256color", "COLORTERM": "yes"]) == .ansi256)
    }

    @Test func overrides() {
        let env = ["COLORTERM": "truecolor"]
        #expect(ColorMode.detect(environment: env, override: .ansi256) == .ansi256)
        #expect(ColorMode.detect(environment: env.merging(["RAM_COLOR": "256"]) { $1 }) == .ansi256)
        #expect(ColorMode.detect(environment: ["RAM_COLOR": "truecolor"]) == .trueColor)
        #expect(ColorMode.detect(environment: ["RAM_COLOR": "bogus"]) == .ansi256)
        #expect(ColorMode(name: "24bit") == .trueColor)
        #expect(ColorMode(name: "nope") == nil)
    }

    @Test func displayedColour() {
        #expect(ColorMode.trueColor.displayed(RGB(1, 2, 3)) == RGB(1, 2, 3))
        #expect(ColorMode.ansi256.displayed(RGB(250, 3, 3)) == .red)
    }
}

/// Terminals with fewer colours (TERM=linux, vt100, dumb): detected from terminfo `colors`.
@Suite struct FewColourTests {
    @Test func terminfoColorsPicksTheMode() {
        #expect(ColorMode.detect(environment: ["TERM": "xterm-256color"], terminfoColors: 256) == .ansi256)
        #expect(ColorMode.detect(environment: ["TERM": "xterm-16color"], terminfoColors: 16) == .ansi16)
        #expect(ColorMode.detect(environment: ["TERM": "linux"], terminfoColors: 8) == .ansi8)
        #expect(ColorMode.detect(environment: ["TERM": "vt100"], terminfoColors: -1) == .mono)
        #expect(ColorMode.detect(environment: ["TERM": "dumb"], terminfoColors: -1) == .mono)
        // Unknown (no terminfo read): the 256-colour default; COLORTERM still wins.
        #expect(ColorMode.detect(environment: ["TERM": "xterm"]) == .ansi256)
        #expect(ColorMode.detect(environment: ["COLORTERM": "truecolor"], terminfoColors: 8) == .trueColor)
        #expect(ColorMode(name: "16") == .ansi16 && ColorMode(name: "8") == .ansi8 && ColorMode(name: "mono") == .mono)
    }

    @Test func sixteenColoursUseTheBasicSGRCodes() {
        var next = CellBuffer(width: 2, height: 1)
        next[0, 0] = Cell("▀", fg: RGB(250, 5, 5), bg: RGB(90, 90, 255))
        next[1, 0] = Cell("x", fg: RGB(255, 255, 255))
        let out = String(decoding: Renderer.diff(previous: nil, next: next, mode: .ansi16), as: UTF8.self)
        #expect(out.contains("91") && out.contains("104"), "\(out.debugDescription)")  // bright red on bright blue
        #expect(!out.contains("38;") && !out.contains("48;"))
        let eight = String(decoding: Renderer.diff(previous: nil, next: next, mode: .ansi8), as: UTF8.self)
        #expect(eight.contains("31") && eight.contains("44"), "\(eight.debugDescription)")
        #expect(!eight.contains(";9") && !eight.contains("[9") && !eight.contains("10"))
    }

    @Test func monochromeDrawsImagesWithBlockShapesAndNoColours() {
        var img = RGBImage(width: 4, height: 4)
        for y in 0..<4 { for x in 0..<4 { for c in 0..<3 { img[c, y, x] = y < 2 ? 1 : 0 } } }
        let cells = HalfBlockEncoder.encode(img, cols: 4, rows: 2, mode: .mono)
        #expect(cells[0, 0].glyph == "█" && cells[0, 1].glyph == " ")
        #expect(cells.cells.allSatisfy { $0.fg == nil && $0.bg == nil })
        var next = CellBuffer(width: 1, height: 1)
        next[0, 0] = Cell("s", fg: .black, bg: .lightGray)  // a status line: reverse video
        let out = String(decoding: Renderer.diff(previous: nil, next: next, mode: .mono), as: UTF8.self)
        #expect(out.contains("[7m") || out.contains(";7m"), "\(out.debugDescription)")
        #expect(!out.contains("38;") && !out.contains("[3"))
    }
}
