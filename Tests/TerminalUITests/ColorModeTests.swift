import Testing

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
