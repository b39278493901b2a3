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
        var title = "\(block.name) · \(s.branch.longName) · \(s.selection.name) of \(count) · "
            + resolution(state, block: block)
        if state.currentFeatures != nil, let job = state.jobs.features, job.isRunning, job.detail == block.name {
            title = "(computing the view's region…) " + title  // a pan or zoom asked for other pixels
        }
        buffer.drawText(x: caption.x, y: caption.y, title.truncated(toColumns: caption.width), style: CompareView.captionStyle)
        let areas = ScreenLayout.featureAreas(area, models: state.models)
        guard let (map, mapB, _, _, pixelScale) = cache.featureMap(state) else {
            ImagePane.message(waiting(state, block: block), in: area, into: &buffer)
            return
        }
        for (k, (label, half)) in areas.enumerated() {
            let p = ImagePane.placement(state, in: half)
            if let label {  // the model's name right above its map
                let name = k == 0 ? "A: \(state.info.modelName)" : "B: \(state.info.secondModelName ?? "")"
                let row = Rect(x: label.x, y: max(label.y, p.dest.y - 1), width: label.width, height: 1)
                ImagePane.centered(name, in: row, into: &buffer, style: CompareView.captionStyle)
            }
            guard let shown = k == 0 ? map : mapB else {
                let why = state.currentFeatures?.value.missingB ?? "no taps of B"
                ImagePane.message("B: \(why)", in: half, into: &buffer)
                continue
            }
            let mapCells = cache.encode(shown.image, id: shown.id, placement: p, pixelScale: pixelScale)
            var cells = mapCells
            if s.blend {
                let input = Picture(state.input, role: .input)
                let base = ImagePane.cells(input, p, cache)
                cells = cache.blend(
                    base: base, baseID: input.id, map: mapCells, mapID: shown.id, opacity: s.blendOpacity, placement: p)
            }
            buffer.blit(cells, at: p.dest.x, p.dest.y)
            ImagePane.drawCursor(state, p, into: &buffer)
        }
        if let legendRect {
            let cmap = s.colormap
            let blend = s.blend ? " · blended \(Format.percent(s.blendOpacity)) over input" : ""
            let shared = mapB != nil ? " · one scale for A and B" : ""
            let stats = state.currentFeatures?.value.region != nil ? " · statistics pooled from 4 crops of the whole image" : ""
            ColormapLegend(
                colormap: { [mode = cache.colorMode] t in
                    let c = cmap.map(t); return mode.scaleColor(RGB(c.r, c.g, c.b))
                },
                minLabel: Format.value(map.range.lowerBound), maxLabel: Format.value(map.range.upperBound),
                caption: "\(s.normalization.name) · \(cmap.rawValue)\(shared)\(blend)\(stats)"
            )
            .draw(in: legendRect, buffer: &buffer)
        }
    }

    /// "1/4 res", or for taps of a downscaled copy of a large image, the resolution they
    /// really have and of what: "1/10.7 res (768×576 copy)" (the network ran on that copy).
    /// A region of a large image computed at full resolution says which pixels it covers:
    /// "1/2 res over x 512–1279 y 384–1023" (the legend says where its statistics come from).
    static func resolution(_ state: ViewerState, block: BlockInfo) -> String {
        if let data = state.currentFeatures?.value, let r = data.region {
            return "1/\(block.scale) res over x \(r.x)–\(r.x + r.width - 1) y \(r.y)–\(r.y + r.height - 1)"
        }
        guard let data = state.currentFeatures?.value, data.imageScale > 1 else { return "1/\(block.scale) res" }
        let f = Double(block.scale) * data.imageScale
        let w = Int((Double(state.input.value.width) / data.imageScale).rounded())
        let h = Int((Double(state.input.value.height) / data.imageScale).rounded())
        let label = f == f.rounded() ? "\(Int(f))" : String(format: "%.3g", f)
        return "1/\(label) res (\(w)×\(h) copy)"
    }

    /// What the view waits for while the taps are not there: a pass queued behind another
    /// (passes cannot be interrupted), one running beside the restoration or the grid (they
    /// share the cores), or nothing because it was cancelled.
    static func waiting(_ state: ViewerState, block: BlockInfo) -> String {
        guard let job = state.jobs.features, job.detail == block.name, job.isRunning else {
            return "taps of \(block.name) not computed (cancelled) — r or b B computes them"
        }
        if !job.started, let behind = job.waitingFor {
            return "taps of \(block.name) queued behind \(behind) (a pass cannot be interrupted)"
        }
        var sharing: [String] = []
        if let r = state.jobs.restore, r.isRunning { sharing.append("the restoration (\(r.done)/\(r.total) tiles)") }
        if let g = state.jobs.grid, g.isRunning { sharing.append("the degradation grid (\(g.done)/\(g.total))") }
        let text = "computing the taps of \(block.name)…"
        return sharing.isEmpty ? text : text + " sharing the CPU with " + sharing.joined(separator: " and ")
    }
}
