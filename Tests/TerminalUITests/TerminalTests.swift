import Testing

@testable import TerminalUI

/// The whole draw/input flow on the in-memory backend.
@Suite struct TerminalTests {
    @Test func drawWritesDiffsAndTheScreenFollows() throws {
        let backend = RecordingBackend(cols: 4, rows: 2)
        let term = Terminal(backend: backend, colorMode: .trueColor)
        try term.enter()
        term.draw { $0.drawText(x: 0, y: 0, "hi") }
        #expect(backend.screen.lines() == ["hi  ", "    "])
        #expect(backend.writes.count == 1)

        term.draw { $0.drawText(x: 0, y: 0, "hi") }  // same frame: nothing written
        #expect(backend.writes.count == 1)
        #expect(term.lastFrameBytes == 0)

        term.draw { $0.drawText(x: 0, y: 0, "ho", fg: .red) }
        #expect(backend.writes.count == 2)
        #expect(String(decoding: backend.lastWrite, as: UTF8.self) == "\u{1B}[1;1H\u{1B}[38;2;255;0;0mho\u{1B}[0m")
        #expect(backend.screen.lines() == ["ho  ", "    "])
        #expect(backend.screen[1, 0].fg == .red)
    }

    @Test func resizeEventLeadsToAFullRepaintAtTheNewSize() throws {
        let backend = RecordingBackend(cols: 3, rows: 1, events: [.key(.char("q")), .resize(cols: 5, rows: 2)])
        let term = Terminal(backend: backend, colorMode: .trueColor)
        try term.enter()
        term.draw { $0.drawText(x: 0, y: 0, "abc") }
        #expect(term.readEvent(timeoutMs: 0) == .key(.char("q")))
        #expect(term.readEvent(timeoutMs: 0) == .resize(cols: 5, rows: 2))
        #expect(term.previous == nil)
        #expect(term.size == TerminalSize(cols: 5, rows: 2))
        let frame = term.draw { $0.drawText(x: 0, y: 1, "abc") }
        #expect(frame.width == 5 && frame.height == 2)
        #expect(backend.screen.lines() == ["     ", "abc  "])
        #expect(term.readEvent(timeoutMs: 0) == nil)
    }

    @Test func invalidateRepaintsEverything() {
        let backend = RecordingBackend(cols: 2, rows: 1)
        let term = Terminal(backend: backend, colorMode: .trueColor)
        term.draw { $0.drawText(x: 0, y: 0, "ok") }
        term.invalidate()
        term.draw { $0.drawText(x: 0, y: 0, "ok") }
        #expect(backend.writes.count == 2)
        #expect(backend.writes[0] == backend.writes[1])
    }

    @Test func leaveIsIdempotent() throws {
        let backend = RecordingBackend(cols: 2, rows: 1)
        let term = Terminal(backend: backend, colorMode: .trueColor)
        try term.enter()
        term.leave()
        term.leave()
        #expect(backend.enterCount == 1 && backend.leaveCount == 1)
    }

    @Test func colourModeFromEnvironmentAndTerminfo() {
        #expect(
            Terminal(backend: RecordingBackend(cols: 1, rows: 1, terminfoHasRGB: true), environment: [:]).colorMode == .trueColor)
        #expect(Terminal(backend: RecordingBackend(cols: 1, rows: 1), environment: ["TERM": "screen"]).colorMode == .ansi256)
        #expect(
            Terminal(backend: RecordingBackend(cols: 1, rows: 1), environment: [:], override: .trueColor).colorMode == .trueColor)
    }

    @Test func ansi256FramesShowPaletteColours() {
        let backend = RecordingBackend(cols: 1, rows: 1)
        let term = Terminal(backend: backend, colorMode: .ansi256)
        term.draw { $0[0, 0] = Cell("x", fg: RGB(250, 5, 5)) }
        #expect(backend.screen[0, 0].fg == .red)
    }
}
