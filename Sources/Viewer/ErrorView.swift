import Imaging
import TerminalUI

/// Error maps: |restored − reference|, |restored − input|, the signed difference or
/// |input − reference|, amplified, over the image with adjustable opacity, with a legend.
enum ErrorView {
    static func draw(_ state: ViewerState, _ layout: ScreenLayout, into buffer: inout CellBuffer, cache: RenderCache) {
        let (caption, area, legendRect) = layout.imageArea(legend: true)
        let s = state.errorMap
        let kind = s.kind.name(hasReference: state.hasReference)
        var title = "\(kind) · ×\(Int(s.amplification)) · opacity \(Format.percent(s.opacity))"
        if s.kind != .inputVsReference, !state.restoredComplete, let job = state.jobs.restore {
            title += " · restored so far: \(job.progressText)"
        }
        buffer.drawText(x: caption.x, y: caption.y, title.truncated(toColumns: caption.width), style: CompareView.captionStyle)
        let p = ImagePane.placement(state, in: area)
        guard let map = cache.errorMap(state), let (a, _) = state.errorPair else {
            let why =
                state.restored == nil ? "no restored image yet (r restores)" : "no reference image: e shows |restored − input|"
            ImagePane.message(why, in: area, into: &buffer)
            return
        }
        let mapCells = cache.encode(map.image, id: map.id, placement: p)
        // The map lies over the image it measures: the restored one, or the input.
        let base = Picture(a, role: s.kind == .inputVsReference ? .input : .restored)
        let cells = cache.blend(
            base: ImagePane.cells(base, p, cache), baseID: base.id, map: mapCells, mapID: map.id,
            opacity: s.opacity, placement: p)
        buffer.blit(cells, at: p.dest.x, p.dest.y)
        ImagePane.drawCursor(state, p, into: &buffer)
        if let legendRect {
            let cmap: Colormap = s.kind == .signed ? .blueRed : s.colormap
            let what =
                s.kind == .signed
                ? "blue: darker · red: brighter than \(state.hasReference ? "reference" : "input")" : "mean |Δ| over RGB"
            ColormapLegend(
                colormap: { [mode = cache.colorMode] t in
                    let c = cmap.map(t); return mode.scaleColor(RGB(c.r, c.g, c.b))
                },
                minLabel: (s.kind == .signed ? "≤" : "") + Format.value(map.range.lowerBound), maxLabel: "≥" + Format.value(map.range.upperBound),
                caption: "\(what) · \(cmap.rawValue)"
            )
            .draw(in: legendRect, buffer: &buffer)
        }
    }
}
