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
        let right = "\(state.info.inputName) "
        if row.maxX - right.count > x + 1 {
            buffer.drawText(x: row.maxX - right.count, y: row.y, right, style: headerStyle)
        }
    }

    static func drawStatus(_ state: ViewerState, in row: Rect, into buffer: inout CellBuffer) {
        var right: [String] = []
        if let job = state.jobs.restore, job.isRunning { right.append("restoring \(job.done)/\(job.total)") }
        if let job = state.jobs.features, job.isRunning { right.append("taps…") }
        if let job = state.jobs.grid, job.isRunning { right.append("grid \(job.done)/\(job.total)") }
        right.append("? help  q quit")
        StatusLine(left: " " + state.status, right: right.joined(separator: " │ ") + " ", style: statusStyle)
            .draw(in: row, buffer: &buffer)
    }
}
