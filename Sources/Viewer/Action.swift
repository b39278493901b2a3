import TerminalUI

/// What a key does, independent of which key it is (the binding table maps keys to these).
public enum Action: Hashable, Sendable {
    // Anywhere.
    case quit
    /// C-c: quits with exit status 130 ("interrupted", as the INT signal does).
    case interrupt
    case togglePanel
    /// Writes what the view shows, at the image's resolution, as a PNG.
    case saveView
    /// Degrades the clean image the next way (`d`) or at the next strength (`D`).
    case nextDegradation
    case degradationStrength
    case toggleHelp
    case cancelJobs
    case restoreAgain
    case redraw
    case show(ViewMode)
    case nextView(Int)
    /// Shows the next (1) or previous (−1) image of the list `ram view A B dir/` opened.
    case nextImage(Int)
    /// Moves the cursor (and with it the zoomed view) by (dx, dy) steps; `fast`: 8 steps.
    case pan(dx: Int, dy: Int, fast: Bool)
    case zoomIn
    case zoomOut
    case zoomFit
    case zoomCycle
    // Compare.
    case cycleCompareStyle
    case cycleA
    case cycleB
    case swapAB
    case moveDivider(Double)
    case flipNow
    // Features.
    case nextBlock(Int)
    case nextBranch(Int)
    case nextChannel(Int)
    case cycleSelection
    case cycleNormalization
    case cycleColormap
    case toggleBlend
    case blendOpacity(Float)
    // Error maps.
    case cycleErrorKind
    case amplify(Int)
    case errorOpacity(Float)
}
