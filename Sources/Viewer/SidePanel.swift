import Imaging
import RAMModel
import TerminalUI

/// The side panel: image and model, zoom, the values under the cursor, PSNR/SSIM against
/// the reference, and the background jobs.
enum SidePanel {
    static let labelStyle = Style(fg: RGB(140, 170, 255), bold: true)
    static let textStyle = Style.plain
    static let dimStyle = Style(fg: RGB(150, 150, 150))

    static func draw(_ state: ViewerState, in area: Rect, into buffer: inout CellBuffer, cache: RenderCache) {
        Panel(title: "ram", style: Style(fg: RGB(90, 90, 110))).draw(in: area, buffer: &buffer)
        let inner = Panel.inner(area).inset(dx: 1, dy: 0)
        var y = inner.y
        func line(_ text: String, _ style: Style = textStyle, indent: Int = 0) {
            guard y < inner.maxY else { return }
            buffer.drawText(x: inner.x + indent, y: y, text.truncated(toColumns: inner.width - indent), style: style)
            y += 1
        }
        func pair(_ label: String, _ value: String) {
            guard y < inner.maxY else { return }
            buffer.drawText(x: inner.x, y: y, label, style: labelStyle)
            buffer.drawText(x: inner.x + 9, y: y, value.truncated(toColumns: inner.width - 9), style: textStyle)
            y += 1
        }
        /// A long name wraps onto further lines instead of being cut.
        func wrapped(_ text: String, indent: Int) {
            let width = max(1, inner.width - indent)
            var rest = Substring(text)
            while !rest.isEmpty {
                var piece = rest.prefix(width)
                // Break at the last space when there is one (not inside a word).
                if piece.count < rest.count, let space = piece.lastIndex(of: " "), space > piece.startIndex {
                    piece = rest[rest.startIndex..<space]
                }
                line(String(piece), dimStyle, indent: indent)
                rest = rest.dropFirst(piece.count).drop { $0 == " " }
            }
        }
        let input = state.input.value
        pair("Image", "\(input.width)×\(input.height)")
        wrapped((state.info.position.map { "\($0.text) " } ?? "") + state.info.inputName, indent: 1)
        if let ref = state.info.referenceName { wrapped("ref: " + ref, indent: 1) }
        if state.info.modelName.count <= inner.width - 9 {
            pair("Model", state.info.modelName)
        } else {
            pair("Model", "")
            wrapped(state.info.modelName, indent: 1)
        }
        wrapped(state.info.modelSummary, indent: 1)
        if let plan = state.info.restorePlan { wrapped("restores " + plan, indent: 1) }
        if let b = state.info.secondModelName {
            pair("Model B", "")
            wrapped(b, indent: 1)
        }
        pair("View", viewDescription(state))
        let fit = primaryPlacement(state, zoom: .fit)?.scale
        pair("Zoom", Format.zoom(state.viewport.zoom, fitScale: fit))
        y += 1

        let cx = state.viewport.cursorX, cy = state.viewport.cursorY
        pair("Cursor", "x \(cx)  y \(cy)")
        for role in ImageRole.allCases {
            guard state.image(role) != nil else { continue }
            line(readout(state, role), indent: 1)
        }
        for v in modeValue(state, cache: cache) { line(v, Style(fg: .yellow), indent: 1) }
        y += 1

        pair("Scores", state.hasReference ? "vs reference" : "(no reference)")
        if state.hasReference {
            line("PSNR      SSIM", dimStyle, indent: 11)
            line("input     " + scoreColumns(state.inputScores), indent: 1)
            let restoredScores = state.restoredComplete ? scoreColumns(state.restoredScores) : "(when restored)"
            line("restored  " + restoredScores, indent: 1)
            if state.info.secondModelName != nil {
                line("by B      " + (state.restoredBComplete ? scoreColumns(state.restoredBScores) : "(when restored)"), indent: 1)
            }
        }
        y += 1

        pair("Jobs", state.jobs.running.isEmpty ? "idle" : "\(state.jobs.running.count) running")
        for job in state.jobs.all {
            guard y < inner.maxY else { break }
            let name = job.kind.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)
            switch job.phase {
            case .running where job.total > 1:
                buffer.drawText(x: inner.x + 1, y: y, name, style: textStyle)
                ProgressBar(fraction: job.fraction).draw(
                    in: Rect(x: inner.x + 10, y: y, width: inner.width - 10, height: 1), buffer: &buffer)
                y += 1
                if job.kind == .restore {
                    line(job.progressText, dimStyle, indent: 10)
                }
            case .running:
                line(name + (job.started ? "… " : "queued ") + job.detail, indent: 1)
            case .finished(let s):
                line(name + (job.kind == .features ? "done " + job.detail : "done \(Format.seconds(s))"), dimStyle, indent: 1)
            case .cancelled:
                line(name + "cancelled \(job.done)/\(job.total)", Style(fg: .yellow), indent: 1)
            case .failed(let why):
                line(name + "failed: " + why, Style(fg: .red), indent: 1)
            }
        }
    }

    /// "input     0.42 0.51 0.33"; for the restored image only where a tile has been
    /// restored ("restoring not restored yet" elsewhere), clipped like the image shown.
    static func readout(_ state: ViewerState, _ role: ImageRole) -> String {
        let cx = state.viewport.cursorX, cy = state.viewport.cursorY
        guard let img = state.image(role)?.value else { return role.name }
        if role == .restoredB && !state.restoredBComplete {
            return "by B".padding(toLength: 10, withPad: " ", startingAt: 0) + "not restored yet"
        }
        let partial = role == .restored && !state.restoredComplete
        let name = (partial ? "restoring" : (role == .restoredB ? "by B" : role.name)).padding(toLength: 10, withPad: " ", startingAt: 0)
        if partial && !state.isRestored(x: cx, y: cy) {
            switch state.jobs.restore?.phase {
            case .cancelled?: return name + "cancelled here"
            case .failed?: return name + "failed"
            default: return name + "not restored yet"
            }
        }
        func v(_ c: Int) -> Float { min(max(img[c, cy, cx], 0), 1) }
        return name + Format.rgb(v(0), v(1), v(2))
    }

    static func scoreColumns(_ s: Scores?) -> String {
        guard let s else { return "—" }
        return Format.psnr(s.psnr).padding(toLength: 10, withPad: " ", startingAt: 0) + Format.ssim(s.ssim)
    }

    static func viewDescription(_ state: ViewerState) -> String {
        switch state.mode {
        case .compare: return "compare · \(state.compare.style.name)"
        case .features: return "features · \(state.features.branch.symbol)"
        case .error: return "error map"
        case .grid: return "degradation grid"
        }
    }

    /// The value the current map has under the cursor (error or feature), and for a feature
    /// map whose pixel covers several input pixels, which ones.
    static func modeValue(_ state: ViewerState, cache: RenderCache) -> [String] {
        let cx = state.viewport.cursorX, cy = state.viewport.cursorY
        switch state.mode {
        case .error:
            guard let (a, b) = state.errorPair else { return [] }
            if state.errorMap.kind != .inputVsReference && !state.isRestored(x: cx, y: cy) { return [] }
            let restored = a.value, other = b.value
            var d: Float = 0
            for c in 0..<3 {
                let v = restored[c, cy, cx] - other[c, cy, cx]
                d += state.errorMap.kind == .signed ? v : abs(v)
            }
            return [(state.errorMap.kind == .signed ? "Δ         " : "|Δ|       ") + Format.value(d / 3)]
        case .features:
            guard let (_, _, tap, tapB, scale) = cache.featureMap(state) else { return [] }
            let mx = Int(Double(cx) / scale), my = Int(Double(cy) / scale)
            // In a region's taps, map pixel (mx, my) of the whole image is offset by the region.
            let (tx, ty) = state.currentFeatures!.value.tapPixel(mx: mx, my: my, scale: max(1, Int(scale)))
            guard let v = FeatureRendering.value(tap, state.features.selection, x: tx, y: ty) else {
                return ["\(state.features.branch.symbol) map".padding(toLength: 10, withPad: " ", startingAt: 0) + "outside the computed region"]
            }
            let symbol = state.features.branch.symbol
            var value = [(tapB == nil ? "\(symbol) map" : "\(symbol) A").padding(toLength: 10, withPad: " ", startingAt: 0) + Format.value(v)]
            if let tapB, let vb = FeatureRendering.value(tapB, state.features.selection, x: tx, y: ty) {
                value.append("\(symbol) B".padding(toLength: 10, withPad: " ", startingAt: 0) + Format.value(vb))
            }
            guard scale > 1 else { return value }
            // The map pixel under the cursor covers these input pixels.
            let w = state.input.value.width, h = state.input.value.height
            let x0 = Int((Double(mx) * scale).rounded(.down)), x1 = min(w, Int((Double(mx + 1) * scale).rounded(.up))) - 1
            let y0 = Int((Double(my) * scale).rounded(.down)), y1 = min(h, Int((Double(my + 1) * scale).rounded(.up))) - 1
            return value + ["  covers x \(x0)–\(x1) y \(y0)–\(y1)"]
        case .compare, .grid:
            return []
        }
    }
}
