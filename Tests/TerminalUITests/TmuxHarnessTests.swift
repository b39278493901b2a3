import TestSupport
import Foundation
import Testing

@testable import TerminalUI

/// Proves the harness on a plain shell command before any app uses it.
@Suite(.enabled(if: TmuxHarness.isAvailable, "tmux is not installed: end-to-end terminal tests skipped"))
struct TmuxHarnessTests {
    @Test func capturesColouredHalfBlocks() throws {
        // Two truecolor cells, one 256-colour cell, then default text; the SGR state of the
        // last cell carries over the line break into "x" on the next row.
        let cmd =
            #"printf '\033[38;2;255;0;0m\033[48;2;0;0;255m\342\226\200\033[38;2;0;255;0m\342\226\200\033[38;5;196;49m\342\226\204\033[0m READY\n\033[38;2;1;2;3mx\033[0m'; sleep 5"#
        let tmux = try TmuxHarness(command: cmd, cols: 20, rows: 4)
        defer { tmux.kill() }
        #expect(try tmux.waitFor("READY"))
        let grid = try tmux.capture()
        #expect(grid.width == 20 && grid.height == 4)
        #expect(grid[0, 0] == Cell("▀", fg: .red, bg: .blue))
        #expect(grid[1, 0] == Cell("▀", fg: .green, bg: .blue))
        #expect(grid[2, 0] == Cell("▄", fg: .red, bg: nil))
        #expect(grid.lines()[0].hasPrefix("▀▀▄ READY"))
        #expect(grid[4, 0] == Cell("R"))
        #expect(grid[0, 1] == Cell("x", fg: RGB(1, 2, 3)))
        #expect(try tmux.captureText().first == "▀▀▄ READY")
    }

    @Test func keysReachTheCommand() throws {
        let tmux = try TmuxHarness(command: #"read line; echo "got:$line"; sleep 5"#, cols: 30, rows: 3)
        defer { tmux.kill() }
        try tmux.sendLiteral("hello")
        try tmux.sendKeys("Enter")
        #expect(try tmux.waitFor("got:hello"))
    }

    @Test func resizeAndExit() throws {
        let tmux = try TmuxHarness(command: "sleep 0.3; exit 3", cols: 30, rows: 5)
        defer { tmux.kill() }
        try tmux.resize(cols: 25, rows: 4)
        #expect(try tmux.display("#{pane_width}x#{pane_height}") == "25x4")
        let status = try tmux.waitForExit()
        // tmux may fail to record the status (see waitForExit); the exit itself is certain.
        #expect(status == "3" || status == "unknown", "last probe: \(tmux.lastExitProbe)")
    }

    @Test func exitStatusThroughTheShell() throws {
        let tmux = try TmuxHarness(command: #"sh -c 'exit 3'; echo "EXITED=$?"; sleep 5"#, cols: 30, rows: 3)
        defer { tmux.kill() }
        #expect(try tmux.waitFor("EXITED=3"))
    }
}
