import TerminalUI

/// Compare: A and B split at a movable divider, side by side, or alternating in place.
enum CompareView {
    static let captionStyle = Style(fg: RGB(200, 200, 210))
    static let activeStyle = Style(fg: .yellow, bold: true)
    static let dividerColor = RGB(255, 210, 0)

    static func draw(_ state: ViewerState, _ layout: ScreenLayout, into buffer: inout CellBuffer, cache: RenderCache) {
        let (caption, area, _) = layout.imageArea(legend: false)
        let s = state.compare
        let a = state.image(s.a).map { Picture($0, role: s.a) }
        let b = state.image(s.b).map { Picture($0, role: s.b) }
        switch s.style {
        case .split:
            let p = ImagePane.placement(state, in: area)
            let divCol = p.dest.x + Int((s.divider * Double(p.dest.width)).rounded())
            if let a {
                ImagePane.draw(
                    a, p, into: &buffer, cache: cache,
                    clip: Rect(x: p.dest.x, y: area.y, width: divCol - p.dest.x, height: area.height))
            }
            if let b {
                ImagePane.draw(
                    b, p, into: &buffer, cache: cache,
                    clip: Rect(x: divCol + 1, y: area.y, width: p.dest.maxX - divCol - 1, height: area.height))
            }
            for y in p.dest.y..<p.dest.maxY { buffer[divCol, y] = Cell("│", fg: dividerColor, bold: true) }
            ImagePane.drawCursor(state, p, into: &buffer)
            let left = "◀ A: \(label(s.a, state))"
            let right = "B: \(label(s.b, state)) ▶"
            buffer.drawText(x: caption.x, y: caption.y, left, style: captionStyle, maxWidth: max(0, divCol - caption.x - 1))
            buffer[divCol, caption.y] = Cell("┬", fg: dividerColor, bold: true)
            let rx = max(divCol + 2, caption.maxX - right.count)
            buffer.drawText(x: rx, y: caption.y, right, style: captionStyle, maxWidth: caption.maxX - rx)
        case .sideBySide:
            let (l, r) = ScreenLayout.sideBySide(area)
            let (lc, rc) = ScreenLayout.sideBySide(caption)
            for (pic, role, rect, cap) in [(a, s.a, l, lc), (b, s.b, r, rc)] {
                let p = ImagePane.placement(state, in: rect)
                if let pic {
                    ImagePane.draw(pic, p, into: &buffer, cache: cache)
                    ImagePane.drawCursor(state, p, into: &buffer)
                }
                ImagePane.centered(
                    (role == s.a ? "A: " : "B: ") + label(role, state), in: cap, into: &buffer, style: captionStyle)
            }
        case .flicker:
            let p = ImagePane.placement(state, in: area)
            let shown = s.showingB ? b : a
            if let shown {
                ImagePane.draw(shown, p, into: &buffer, cache: cache)
                ImagePane.drawCursor(state, p, into: &buffer)
            }
            var x = caption.x
            x += buffer.drawText(x: x, y: caption.y, "A: \(label(s.a, state))", style: s.showingB ? captionStyle : activeStyle)
            x += buffer.drawText(x: x, y: caption.y, "  ⇄  ", style: captionStyle)
            x += buffer.drawText(x: x, y: caption.y, "B: \(label(s.b, state))", style: s.showingB ? activeStyle : captionStyle)
            let mode = s.flickerPaused ? "  (paused: Space resumes)" : "  (every \(CompareSettings.flickerPeriod) s: Space pauses)"
            buffer.drawText(x: x, y: caption.y, mode, style: captionStyle, maxWidth: caption.maxX - x)
        }
    }

    /// "restored (3/4 tiles)" while the restoration runs.
    static func label(_ role: ImageRole, _ state: ViewerState) -> String {
        if role == .restoredB, !state.restoredBComplete, let job = state.jobs.restoreB {
            return job.isRunning ? "restored by B (\(job.progressText))" : "restored by B (stopped)"
        }
        guard role == .restored, !state.restoredComplete, let job = state.jobs.restore else { return role.name }
        switch job.phase {
        case .running: return "restored (\(job.progressText))"
        case .cancelled: return "restored (cancelled at \(job.done)/\(job.total))"
        case .failed: return "restored (failed)"
        case .finished: return role.name
        }
    }
}
