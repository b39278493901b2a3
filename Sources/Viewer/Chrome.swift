import TerminalUI

/// The header (view tabs, what is open) and the status line (last event, jobs, key hints).
enum Chrome {
    static let headerStyle = Style(fg: .white, bg: RGB(40, 44, 60))
    static let activeTabStyle = Style(fg: .black, bg: RGB(255, 210, 0), bold: true)
    static let statusStyle = Style(fg: .black, bg: .lightGray)

    static func drawHeader(_ state: ViewerState, in row: Rect, into buffer: inout CellBuffer) {
        buffer.fill(row, with: Cell(" ", style: headerStyle))
        var x = row.x
        for mode in ViewMode.allCases {
            let tab = " \(mode.rawValue + 1) \(mode.title) "
            x += buffer.drawText(x: x, y: row.y, tab, style: mode == state.mode ? activeTabStyle : headerStyle)
            x += 1
        }
        var name = state.info.inputName
        if let position = state.info.position {
            // "3/20 photo.jpg": the position stays, a long name loses its start.
            let room = row.maxX - x - 4 - position.text.count
            if name.count > room && room >= 4 { name = "…" + name.suffix(room - 1) }
            name = position.text + " " + name
        }
        let right = "\(name) "
        if row.maxX - right.count > x + 1 {
            buffer.drawText(x: row.maxX - right.count, y: row.y, right, style: headerStyle)
        }
    }

    static func drawStatus(_ state: ViewerState, in row: Rect, into buffer: inout CellBuffer, panelShown: Bool = true) {
        var right: [String] = []
        if let job = state.jobs.restore, job.isRunning { right.append("restoring \(job.done)/\(job.total)") }
        if let job = state.jobs.restoreB, job.isRunning { right.append("B \(job.done)/\(job.total)") }
        if let job = state.jobs.features, job.isRunning { right.append(job.started ? "taps…" : "taps queued") }
        if let job = state.jobs.grid, job.isRunning { right.append("grid \(job.done)/\(job.total)") }
        if let busy = state.info.position?.busyText { right.append(busy) }
        if panelShown {
            right.append("? help  q quit")
        } else {
            // The summary's items go, first to last, while they would cut the left text.
            var summary = summary(state)
            let fixed = right + ["p panel ? help"]
            func width(_ parts: [String]) -> Int { (parts.joined(separator: " │ ") + " ").count }
            while !summary.isEmpty && width(summary + fixed) + state.status.count + 2 > row.width {
                summary.removeFirst()
            }
            right = right + summary + ["p panel ? help"]
        }
        StatusLine(left: " " + state.status, right: right.joined(separator: " │ ") + " ", style: statusStyle)
            .draw(in: row, buffer: &buffer)
    }

    /// The panel's essentials for a terminal too narrow for it: the cursor and, under it, the
    /// value of the current map or the restored pixel, and the scores ("in 6.02 → 9.50 dB").
    static func summary(_ state: ViewerState) -> [String] {
        var parts: [String] = []
        let cx = state.viewport.cursorX, cy = state.viewport.cursorY
        parts.append("@\(cx),\(cy)")
        if state.hasReference, let input = state.inputScores {
            var scores = "in \(String(format: "%.2f", input.psnr))"
            if state.restoredComplete, let r = state.restoredScores { scores += " → \(Format.psnr(r.psnr))" } else { scores += " dB" }
            parts.append(scores)
        }
        return parts
    }
}
