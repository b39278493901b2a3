import Foundation
import Imaging
import RAMModel
import TensorCore

/// What `w` writes: the current view composed at the image's resolution (not the
/// terminal's), with a legend strip under it, as `<stem>-NNN.png` in `directory`. The
/// composition runs off the loop (`render`), on images already in the state.
public struct SaveRequest: Equatable, Sendable {
    public var directory: String
    /// "ram-compare", "ram-features", "ram-error", "ram-grid".
    public var stem: String
    /// What the file shows, for the status line ("error |restored − reference| ×4, colours 0 … 0.25").
    public var summary: String
    /// Distinguishes requests (the closure is not comparable).
    public var token: Int
    public var render: @Sendable () -> RGBImage

    public static func == (a: SaveRequest, b: SaveRequest) -> Bool {
        a.token == b.token && a.directory == b.directory && a.stem == b.stem && a.summary == b.summary
    }
}

/// The pictures `w` writes, as pure functions of images (tested without a terminal): the
/// view at the image's resolution on top, and under it a legend strip that says in text
/// (`BitmapFont`) what is shown, by which model, and for maps the colour bar with its scale
/// labelled and its units.
public enum ViewExport {
    /// A map's colour scale, for the legend: the colour bar and its labels.
    public struct Scale: Sendable {
        public var colormap: Colormap
        public var range: ClosedRange<Float>
        /// What the values are ("|Δ| of 0–1 intensities", "activation, no unit").
        public var units: String

        public init(colormap: Colormap, range: ClosedRange<Float>, units: String) {
            self.colormap = colormap
            self.range = range
            self.units = units
        }
    }

    /// The narrowest legend strip: text needs room even under a thumbnail (the picture then
    /// sits at the top left of a wider canvas).
    public static let minLegendWidth = 360

    /// Text scale for a picture `width` pixels wide: glyphs 2× on large pictures.
    public static func textScale(_ width: Int) -> Int { width >= 1400 ? 2 : 1 }

    static let background: (Float, Float, Float) = (0.07, 0.07, 0.09)
    static let textColor: (Float, Float, Float) = (0.93, 0.93, 0.93)

    /// `picture` with the legend strip under it: the colour bar of `scale` (ticks labelled
    /// with their values) when given, then `lines` of text, wrapped to the strip's width.
    public static func withLegend(_ picture: RGBImage, scale: Scale?, lines: [String]) -> RGBImage {
        let width = max(picture.width, minLegendWidth)
        let t = textScale(width)
        let pad = 4 * t, lineHeight = BitmapFont.lineHeight * t
        let columns = max(1, (width - 2 * pad) / (BitmapFont.advance * t))
        var text = lines.flatMap { BitmapFont.wrap($0, columns: columns) }
        if let scale {
            text.insert(
                "colour scale \(Format.value(scale.range.lowerBound)) … \(Format.value(scale.range.upperBound)) "
                    + "(\(scale.colormap.rawValue)): \(scale.units)", at: 0)
            text = text.flatMap { BitmapFont.wrap($0, columns: columns) }
        }
        let barHeight = 12 * t
        let barBlock = scale == nil ? 0 : barHeight + 2 * t + lineHeight
        let stripHeight = pad + barBlock + text.count * lineHeight + pad
        var out = RGBImage(width: width, height: picture.height + stripHeight)
        fill(&out, x: 0, y: 0, width: width, height: out.height, background)
        paste(picture, into: &out, x: 0, y: 0)
        var y = picture.height + pad
        if let scale {
            let bar = ColorLegend(
                colormap: scale.colormap, range: scale.range, length: max(2, width - 2 * pad), thickness: barHeight, tickCount: 5)
            paste(bar.image, into: &out, x: pad, y: y)
            y += barHeight + 2 * t
            for tick in bar.ticks {
                let label = Format.value(tick.value)
                let w = BitmapFont.width(label, scale: t)
                let x = min(max(pad + tick.position - w / 2, pad), width - pad - w)
                BitmapFont.draw(label, into: &out, x: x, y: y, scale: t, color: textColor)
            }
            y += lineHeight
        }
        for line in text {
            BitmapFont.draw(line, into: &out, x: pad, y: y, scale: t, color: textColor)
            y += lineHeight
        }
        return out
    }

    /// Compare, split: A left of the divider column, B right of it, a 1-pixel yellow divider
    /// (wider on large images).
    public static func split(_ a: RGBImage, _ b: RGBImage, divider: Double) -> RGBImage {
        let w = a.width, h = a.height
        let col = min(max(Int((divider * Double(w)).rounded()), 0), w - 1)
        let line = max(1, w / 512)
        var out = RGBImage(width: w, height: h)
        let yellow: [Float] = [1, 210 / 255, 0]
        for c in 0..<3 {
            for y in 0..<h {
                for x in 0..<w {
                    let onLine = x >= col - line / 2 && x < col - line / 2 + line
                    out[c, y, x] = onLine ? yellow[c] : (x < col ? a[c, y, x] : b[c, y, x])
                }
            }
        }
        return out
    }

    /// Side by side: A, a dark gap, B.
    public static func sideBySide(_ a: RGBImage, _ b: RGBImage) -> RGBImage {
        let gap = max(2, a.width / 64)
        var out = RGBImage(width: a.width + gap + b.width, height: max(a.height, b.height))
        fill(&out, x: 0, y: 0, width: out.width, height: out.height, background)
        paste(a, into: &out, x: 0, y: 0)
        paste(b, into: &out, x: a.width + gap, y: 0)
        return out
    }

    /// A coloured map over the full image: `map` (a feature map at 1/`scale` of the image,
    /// or an error map at scale 1) enlarged by pixel repetition to width × height, optionally
    /// laid over `base` with `opacity`.
    public static func map(_ map: RGBImage, scale: Double, width: Int, height: Int, base: RGBImage?, opacity: Float) -> RGBImage {
        var out = RGBImage(width: width, height: height)
        for y in 0..<height {
            let my = min(map.height - 1, Int(Double(y) / scale))
            for x in 0..<width {
                let mx = min(map.width - 1, Int(Double(x) / scale))
                for c in 0..<3 {
                    var v = map[c, my, mx]
                    if let base, opacity < 1 { v = (1 - opacity) * base[c, y, x] + opacity * v }
                    out[c, y, x] = v
                }
            }
        }
        return out
    }

    /// The grid: one column per degradation; rows: the degraded copy, the restored one, and
    /// the second model's when there is one (dark where a cell is not done), separated by
    /// `gap` pixels.
    public static func grid(_ cells: [GridCell?], cellWidth w: Int, cellHeight h: Int) -> RGBImage {
        let gap = max(2, w / 32)
        let n = cells.count
        let rows = cells.contains { $0?.expectsB == true } ? 3 : 2
        var out = RGBImage(width: n * w + (n - 1) * gap, height: rows * h + (rows - 1) * gap)
        fill(&out, x: 0, y: 0, width: out.width, height: out.height, background)
        for (i, cell) in cells.enumerated() {
            guard let cell else { continue }
            for (r, img) in [cell.degraded, cell.restored, cell.restoredB].prefix(rows).enumerated() {
                guard let img else { continue }
                paste(img, into: &out, x: i * (w + gap), y: r * (h + gap), maxWidth: w, maxHeight: h)
            }
        }
        return out
    }

    static func fill(_ image: inout RGBImage, x: Int, y: Int, width: Int, height: Int, _ color: (Float, Float, Float)) {
        for yy in max(0, y)..<min(image.height, y + height) {
            for xx in max(0, x)..<min(image.width, x + width) {
                image[0, yy, xx] = color.0
                image[1, yy, xx] = color.1
                image[2, yy, xx] = color.2
            }
        }
    }

    static func paste(_ src: RGBImage, into dst: inout RGBImage, x: Int, y: Int, maxWidth: Int = .max, maxHeight: Int = .max) {
        for c in 0..<3 {
            for yy in 0..<min(src.height, maxHeight, dst.height - y) {
                for xx in 0..<min(src.width, maxWidth, dst.width - x) { dst[c, y + yy, x + xx] = src[c, yy, xx] }
            }
        }
    }

    /// `<stem>-001.png`, `-002`, …: the first name not taken in `directory`; written through
    /// `SafeFile` (temporary file + rename, never over an existing file), so two savers racing
    /// for a name do not overwrite each other: the loser takes the next number.
    public static func writeNumbered(_ image: RGBImage, directory: String, stem: String) throws -> String {
        var n = 1
        while true {
            let path = (directory as NSString).appendingPathComponent(String(format: "%@-%03d.png", stem, n))
            if !FileManager.default.fileExists(atPath: path) {
                do {
                    try PNGCodec.save(image, to: path, force: false, bitDepth: 8)
                    return path
                } catch let e as ImagingError {
                    guard case .outputExists = e.kind else { throw e }
                }
            }
            n += 1
        }
    }
}

/// `w`: asks the runner to compose and write the current view; says why not when there is
/// nothing finished to save.
func saveView(_ state: inout ViewerState) -> [Effect] {
    let token = state.nextVersion()
    let dir = state.saveDirectory
    let w = state.input.value.width, h = state.input.value.height
    let info = state.info
    // What every legend says about where the picture comes from.
    var models = "model A: \(info.modelName)"
    if let b = info.secondModelName { models += " · model B: \(b)" }
    let source = "input: \(info.inputName)" + (info.referenceName.map { " · reference: \($0)" } ?? "")
    func request(_ stem: String, _ summary: String, _ render: @escaping @Sendable () -> RGBImage) -> [Effect] {
        state.status = "saving the \(state.mode.title.lowercased()) view…"
        return [.save(SaveRequest(directory: dir, stem: stem, summary: summary, token: token, render: render))]
    }
    func roleName(_ role: ImageRole) -> String {
        switch role {
        case .restored: return "restored by A (\(info.modelName))"
        case .restoredB: return "restored by B (\(info.secondModelName ?? "B"))"
        case .input, .reference: return role.name
        }
    }
    switch state.mode {
    case .compare:
        let s = state.compare
        let needsRestored = [s.a, s.b].contains(.restored) || s.style == .flicker && (s.showingB ? s.b : s.a) == .restored
        let needsB = [s.a, s.b].contains(.restoredB)
        if needsRestored && !state.restoredComplete || needsB && !state.restoredBComplete {
            state.status = "the restoration is not finished: w saves the view once it is"
            return []
        }
        guard let a = state.image(s.a)?.value, let b = state.image(s.b)?.value else {
            state.status = "nothing to save: an image of the pair is missing"
            return []
        }
        let size = "\(w)×\(h) px, sRGB values 0–1"
        switch s.style {
        case .split:
            let d = s.divider
            let lines = [
                "compare, split at \(Int((d * 100).rounded()))% (yellow line): left A = \(roleName(s.a)), right B = \(roleName(s.b))",
                "\(size) · \(models)", source,
            ]
            return request("ram-compare", "split: A \(s.a.name) left, B \(s.b.name) right") {
                ViewExport.withLegend(ViewExport.split(a, b, divider: d), scale: nil, lines: lines)
            }
        case .sideBySide:
            let lines = [
                "compare, side by side: left A = \(roleName(s.a)), right B = \(roleName(s.b))", "\(size) each · \(models)", source,
            ]
            return request("ram-compare", "side by side: A \(s.a.name), B \(s.b.name)") {
                ViewExport.withLegend(ViewExport.sideBySide(a, b), scale: nil, lines: lines)
            }
        case .flicker:
            let shown = s.showingB ? b : a
            let role = s.showingB ? s.b : s.a
            let lines = ["\(roleName(role)) (the image the flicker compare shows now)", "\(size) · \(models)", source]
            return request("ram-compare", "\(role.name) (the image flicker shows now)") {
                ViewExport.withLegend(shown, scale: nil, lines: lines)
            }
        }
    case .features:
        guard let data = state.currentFeatures?.value, let tap = data.taps[state.features.branch], tap.channels > 0,
            let block = state.currentBlock
        else {
            state.status = "no taps to save yet"
            return []
        }
        let f = state.features
        let tapB = data.tapsB?[f.branch].flatMap { $0.channels > 0 ? $0 : nil }
        let scale = Double(FeatureMaps.scale(ofTap: data.block)) * data.imageScale
        let input = state.input.value
        var lines = [
            "features: \(block.name) · \(f.branch.longName) · \(f.selection.name) of \(block.channels(f.branch)) channels · "
                + FeatureView.resolution(state, block: block)
                + (data.region == nil ? ", enlarged to \(w)×\(h) px" : ", in place on the \(w)×\(h) px image"),
            tapB != nil
                ? "left: model A (\(info.modelName)) · right: model B (\(info.secondModelName ?? "")) · one colour scale over both maps"
                : models,
            "\(f.normalization.name) range" + (f.blend ? " · blended \(Format.percent(f.blendOpacity)) over the input" : "")
                + (data.region != nil ? " · full resolution over the region shown (dark outside), statistics pooled from 4 crops of the whole image" : ""),
            source,
        ]
        if tapB == nil, let why = data.missingB { lines.insert("model B: \(why)", at: 2) }
        let units = f.branch == .gamma ? "gate value σ(γ), 0–1" : "activation (no unit)"
        return request(
            "ram-features",
            "\(data.block) \(f.branch.symbol) \(f.selection.name), \(f.normalization.name), \(f.colormap.rawValue)"
                + (tapB != nil ? ", A | B" : "")
        ) { [lines] in
            let maps = FeatureRendering.colored(tap, tapB, f)
            let base = f.blend ? input : nil, opacity = f.blend ? f.blendOpacity : 1
            let level = FeatureMaps.scale(ofTap: data.block)
            func full(_ m: RGBImage) -> RGBImage {
                ViewExport.map(data.canvas(m, scale: level, width: w, height: h), scale: scale, width: w, height: h, base: base, opacity: opacity)
            }
            var picture = full(maps.a)
            if let b = maps.b { picture = ViewExport.sideBySide(picture, full(b)) }
            return ViewExport.withLegend(
                picture, scale: ViewExport.Scale(colormap: f.colormap, range: maps.range, units: units), lines: lines)
        }
    case .error:
        let e = state.errorMap
        guard e.kind == .inputVsReference || state.restoredComplete, let (pa, pb) = state.errorPair else {
            state.status = "the restoration is not finished: w saves the error map once it is"
            return []
        }
        let restored = pa.value, other = pb.value
        let signed = e.kind == .signed
        let cmap: Colormap = signed ? .blueRed : e.colormap
        let range = ErrorMap.amplified(signed ? -1...1 : 0...1, by: e.amplification, signed: signed)
        let name = e.kind.name(hasReference: state.hasReference)
        let amp = Int(e.amplification)
        let units =
            (signed ? "mean Δ over RGB" : "mean |Δ| over RGB") + " of 0–1 intensities; ×\(amp) amplified, so colours saturate at "
            + Format.value(range.upperBound)
        var lines = ["error map \(name), \(w)×\(h) px", models, source]
        if e.opacity < 1 { lines.insert("over the restored image at \(Format.percent(e.opacity)) opacity", at: 1) }
        return request(
            "ram-error",
            "\(name) ×\(amp), colours \(Format.value(range.lowerBound)) … \(Format.value(range.upperBound))"
        ) { [lines] in
            let values =
                signed
                ? ErrorMap.signedDifference(restored, other) : ErrorMap.absoluteDifference(restored, other, reduction: .mean)
            let map = colorize(values, width: w, height: h, colormap: cmap, range: range)
            return ViewExport.withLegend(
                ViewExport.map(map, scale: 1, width: w, height: h, base: restored, opacity: e.opacity),
                scale: ViewExport.Scale(colormap: cmap, range: range, units: units), lines: lines)
        }
    case .grid:
        let cells = state.grid.map { $0?.value }
        guard let first = cells.compactMap({ $0 }).first else {
            state.status = "no grid cells to save yet"
            return []
        }
        let cw = first.degraded.width, ch = first.degraded.height
        let names = Degradation.standardFive.map(\.description).joined(separator: ", ")
        let clean = state.hasReference ? "the reference" : "the input (no reference)"
        let rows =
            info.secondModelName == nil
            ? "top: degraded, bottom: restored by \(info.modelName)"
            : "top: degraded, middle: restored by A (\(info.modelName)), bottom: by B (\(info.secondModelName!))"
        var lines = [
            "degradation grid: \(clean) degraded five ways at \(cw)×\(ch) px; \(rows)",
            "columns: \(names); PSNR (dB) / SSIM against the clean image:",
        ]
        for (i, cell) in cells.enumerated() {
            guard let cell else { continue }
            var line = "\(Degradation.standardFive[i]): degraded \(Format.psnr(cell.degradedPSNR)) / \(Format.ssim(cell.degradedSSIM))"
            if let p = cell.restoredPSNR, let q = cell.restoredSSIM { line += " · A \(Format.psnr(p)) / \(Format.ssim(q))" }
            if let p = cell.restoredBPSNR, let q = cell.restoredBSSIM { line += " · B \(Format.psnr(p)) / \(Format.ssim(q))" }
            lines.append(line)
        }
        return request("ram-grid", "\(rows); columns \(names)") { [lines] in
            ViewExport.withLegend(ViewExport.grid(cells, cellWidth: cw, cellHeight: ch), scale: nil, lines: lines)
        }
    }
}
