import TestSupport
import Foundation
import Testing

@testable import TerminalUI

/// The real backend, end to end: this test binary re-runs itself inside a private tmux
/// server with `RAM_TUI_CHILD` set, where `childApp` below becomes a tiny full-screen app
/// (an image strip plus a status line naming the last event). The parent sends keys,
/// resizes the window, quits or signals it, and checks what tmux shows and the terminal
/// state (alternate screen, cursor) left behind.
@Suite(.enabled(if: TmuxHarness.isAvailable, "tmux is not installed: end-to-end terminal tests skipped"))
struct NcursesBackendTests {
    /// The strip's colours; pure black is the value ncurses' direct-colour mode gets wrong.
    static let strip: [(RGB, RGB)] = [(.red, .blue), (.black, .white), (RGB(1, 2, 3), RGB(250, 128, 7))]

    /// The child app. Inert unless started by the tests below.
    @Test func childApp() throws {
        guard ProcessInfo.processInfo.environment["RAM_TUI_CHILD"] == "1" else { return }
        // Swift Testing's own output was sent to /dev/null by the parent; draw on the pane.
        let tty = open("/dev/tty", O_RDWR)
        if tty >= 0 { dup2(tty, 1) }
        let backend = NcursesBackend()
        try backend.enter()
        let term = Terminal(backend: backend, environment: ProcessInfo.processInfo.environment)
        var last = "none"
        var frame = 0
        func render() {
            term.draw { buf in
                for (i, (fg, bg)) in Self.strip.enumerated() { buf[i, 0] = Cell("▀", fg: fg, bg: bg) }
                buf.drawText(x: 0, y: 1, "text é─")
                let status =
                    "frame \(frame) key \(last) size \(buf.width)x\(buf.height) mode \(term.colorMode.rawValue) pid \(getpid()) READY"
                buf.drawText(x: 0, y: buf.height - 1, status, fg: .black, bg: .lightGray)
            }
            frame += 1
        }
        render()
        while true {
            guard let event = term.readEvent(timeoutMs: 200) else { continue }
            switch event {
            case .key(.char("q")): backend.leave(); exit(0)
            case .key(.ctrl("l")): term.invalidate(); last = "ctrl-l"
            case .key(let k): last = "\(k)"
            case .resize: last = "resize"
            case .mouse(let m): last = "mouse \(m.col),\(m.row)"
            }
            render()
        }
    }

    static var selfExecutable: String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    }

    /// Runs `childApp` in a pane under a shell that prints the exit status and stays, so the
    /// terminal state the app left behind can be inspected in a live pane.
    func startChild(cols: Int = 60, rows: Int = 10) throws -> TmuxHarness {
        let exe = try #require(Self.selfExecutable)
        let cmd =
            "'\(exe)' --testing-library swift-testing --filter 'NcursesBackendTests/childApp' >/dev/null 2>&1; echo EXITED=$?; sleep 60"
        return try TmuxHarness(command: cmd, cols: cols, rows: rows, environment: ["RAM_TUI_CHILD": "1"])
    }

    /// The child's pid, from its status line.
    func childPid(_ tmux: TmuxHarness) throws -> Int32? {
        for line in try tmux.captureText() {
            guard let r = line.range(of: " pid ") else { continue }
            return Int32(line[r.upperBound...].prefix { $0.isNumber })
        }
        return nil
    }

    func expectStrip(_ grid: CellBuffer, mode: ColorMode) {
        for (i, (fg, bg)) in Self.strip.enumerated() {
            #expect(grid[i, 0] == Cell("▀", fg: mode.displayed(fg), bg: mode.displayed(bg)), "strip cell \(i)")
        }
        #expect(grid.lines()[1].hasPrefix("text é─"))
    }

    @Test func drawsKeysResizeAndQuit() throws {
        let tmux = try startChild()
        defer { tmux.kill() }
        #expect(try tmux.waitFor("frame 0 "))
        let mode: ColorMode = try tmux.captureText().last { $0.contains("mode truecolor") } != nil ? .trueColor : .ansi256
        if TmuxHarness.hasTmuxDirect { #expect(mode == .trueColor, "tmux-direct has the terminfo RGB flag") }
        expectStrip(try tmux.capture(), mode: mode)
        #expect(try tmux.display("#{alternate_on} #{cursor_flag}") == "1 0")

        for (key, name) in [
            ("Right", "right"), ("F1", "f(1)"), ("PageDown", "pageDown"), ("Escape", "escape"), ("x", "char(\"x\")"),
        ] {
            try tmux.sendKeys(key)
            #expect(try tmux.waitFor("key \(name) "), "key \(key)")
        }
        try tmux.sendKeys("C-l")
        #expect(try tmux.waitFor("key ctrl-l "))

        try tmux.resize(cols: 40, rows: 6)
        #expect(try tmux.waitFor("size 40x6 "))
        let resized = try tmux.capture()
        expectStrip(resized, mode: mode)
        #expect(resized.lines()[5].hasPrefix("frame"))

        try tmux.sendKeys("q")
        #expect(try tmux.waitFor("EXITED=0"))
        let modes = try tmux.display("#{alternate_on} #{cursor_flag}")
        #expect(modes == "0 1", "alternate screen off, cursor visible")
    }

    @Test func sigtermRestoresTheTerminal() throws {
        let tmux = try startChild()
        defer { tmux.kill() }
        #expect(try tmux.waitFor("READY"))
        let pid = try #require(try childPid(tmux))
        #expect(Foundation.kill(pid, SIGTERM) == 0)
        #expect(try tmux.waitFor("EXITED=\(128 + SIGTERM)"))
        let modes = try tmux.display("#{alternate_on} #{cursor_flag}")
        #expect(modes == "0 1", "alternate screen off, cursor visible")
    }
}
