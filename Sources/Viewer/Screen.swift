import TerminalUI

/// The whole frame for a state (ratatui's `draw(frame)`): header, the current view, the side
/// panel, the status line, and the help overlay on top. Deterministic given the state; the
/// cache only saves work.
public enum Screen {
    public static func draw(_ state: ViewerState, into buffer: inout CellBuffer, cache: RenderCache) {
        let size = TerminalSize(cols: buffer.width, rows: buffer.height)
        guard let layout = ScreenLayout.compute(size, panel: state.panelVisible) else {
            TooSmallMessage(needed: ScreenLayout.minimum, actual: size).draw(in: buffer.bounds, buffer: &buffer)
            return
        }
        Chrome.drawHeader(state, in: layout.header, into: &buffer)
        switch state.mode {
        case .compare: CompareView.draw(state, layout, into: &buffer, cache: cache)
        case .features: FeatureView.draw(state, layout, into: &buffer, cache: cache)
        case .error: ErrorView.draw(state, layout, into: &buffer, cache: cache)
        case .grid: GridView.draw(state, layout, into: &buffer, cache: cache)
        }
        if let panel = layout.panel { SidePanel.draw(state, in: panel, into: &buffer, cache: cache) }
        if state.showHelp {
            HelpOverlay(title: "Keys — \(state.mode.title) view", rows: KeyBindings.helpRows(for: state.mode))
                .draw(in: Rect(x: 0, y: 1, width: buffer.width, height: buffer.height - 2), buffer: &buffer)
        }
        // Last, so that a test polling for the status text sees a finished frame.
        Chrome.drawStatus(state, in: layout.status, into: &buffer, panelShown: layout.panel != nil)
    }

    /// A new buffer of the state's size with the frame drawn.
    public static func render(_ state: ViewerState, cache: RenderCache) -> CellBuffer {
        var buffer = CellBuffer(width: state.size.cols, height: state.size.rows)
        draw(state, into: &buffer, cache: cache)
        return buffer
    }
}
