import Imaging
import RAMModel
import TerminalUI

/// Feature maps: one branch of one GatedDA block, a channel or an aggregate, coloured with a
/// legend; optionally blended over the input.
enum FeatureView {
    static func draw(_ state: ViewerState, _ layout: ScreenLayout, into buffer: inout CellBuffer, cache: RenderCache) {
        let (caption, area, legendRect) = layout.imageArea(legend: true)
        let s = state.features
        guard let block = state.currentBlock else {
            ImagePane.message("the model has no blocks", in: area, into: &buffer)
            return
        }
        let count = block.channels(s.branch)
        let title = "\(block.name) · \(s.branch.longName) · \(s.selection.name) of \(count) · 1/\(block.scale) res"
        buffer.drawText(x: caption.x, y: caption.y, title.truncated(toColumns: caption.width), style: CompareView.captionStyle)
        let p = ImagePane.placement(state, in: area)
        guard let (map, _, pixelScale) = cache.featureMap(state) else {
            let running = state.jobs.features?.isRunning == true
            ImagePane.message(
                running
                    ? "computing the taps of \(block.name)…"
                    : "taps of \(block.name) not computed (c cancelled?) — press b B to retry",
                in: area, into: &buffer)
            return
        }
        let mapCells = cache.encode(map.image, id: map.id, placement: p, pixelScale: pixelScale)
        var cells = mapCells
        if s.blend {
            let input = Picture(state.input, role: .input)
            let base = ImagePane.cells(input, p, cache)
            cells = cache.blend(base: base, baseID: input.id, map: mapCells, mapID: map.id, opacity: s.blendOpacity, placement: p)
        }
        buffer.blit(cells, at: p.dest.x, p.dest.y)
        ImagePane.drawCursor(state, p, into: &buffer)
        if let legendRect {
            let cmap = s.colormap
            let blend = s.blend ? " · blended \(Format.percent(s.blendOpacity)) over input" : ""
            ColormapLegend(
                colormap: { t in
                    let c = cmap.map(t); return RGB(c.r, c.g, c.b)
                },
                minLabel: Format.value(map.range.lowerBound), maxLabel: Format.value(map.range.upperBound),
                caption: "\(s.normalization.name) · \(cmap.rawValue)\(blend)"
            )
            .draw(in: legendRect, buffer: &buffer)
        }
    }
}
