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

/// The pictures `w` writes, as pure functions of images (tested without a terminal).
public enum ViewExport {
    /// Height of the legend strip under a picture `height` pixels tall.
    public static func stripHeight(_ height: Int) -> Int { max(6, min(24, height / 12)) }

    /// Compare, split: A left of the divider column, B right of it, a 1-pixel yellow divider
    /// (wider on large images); the strip below is dark under A and light under B, with the
    /// divider continued through it.
    public static func split(_ a: RGBImage, _ b: RGBImage, divider: Double) -> RGBImage {
        let w = a.width, h = a.height
        let col = min(max(Int((divider * Double(w)).rounded()), 0), w - 1)
        let line = max(1, w / 512)
        let strip = stripHeight(h)
        var out = RGBImage(width: w, height: h + strip)
        let yellow: [Float] = [1, 210 / 255, 0]
        for y in 0..<(h + strip) {
            for x in 0..<w {
                let onLine = x >= col - line / 2 && x < col - line / 2 + line
                for c in 0..<3 {
                    if onLine {
                        out[c, y, x] = yellow[c]
                    } else if y < h {
                        out[c, y, x] = x < col ? a[c, y, x] : b[c, y, x]
                    } else {
                        out[c, y, x] = x < col ? 0.25 : 0.75
                    }
                }
            }
        }
        return out
    }

    /// Side by side: A, a gap, B; the strip is dark under A and light under B.
    public static func sideBySide(_ a: RGBImage, _ b: RGBImage) -> RGBImage {
        let gap = max(2, a.width / 64)
        let w = 2 * a.width + gap, h = a.height
        let strip = stripHeight(h)
        var out = RGBImage(width: w, height: h + strip)
        for c in 0..<3 {
            for y in 0..<(h + strip) {
                for x in 0..<w {
                    if y < h {
                        if x < a.width { out[c, y, x] = a[c, y, x] } else if x >= a.width + gap { out[c, y, x] = b[c, y, x - a.width - gap] }
                    } else {
                        out[c, y, x] = x < a.width ? 0.25 : (x >= a.width + gap ? 0.75 : 0)
                    }
                }
            }
        }
        return out
    }

    /// A coloured map over the full image: `map` (a feature map at 1/`scale` of the image,
    /// or an error map at scale 1) enlarged by pixel repetition to width × height, optionally
    /// laid over `base` with `opacity`, and the colormap's legend strip (gradient and ticks)
    /// below.
    public static func map(
        _ map: RGBImage, scale: Double, width: Int, height: Int, base: RGBImage?, opacity: Float,
        colormap: Colormap, range: ClosedRange<Float>
    ) -> RGBImage {
        let legend = ColorLegend(colormap: colormap, range: range, length: max(2, width), thickness: stripHeight(height))
        var out = RGBImage(width: width, height: height + legend.image.height)
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
        for y in 0..<legend.image.height {
            for x in 0..<min(width, legend.image.width) {
                for c in 0..<3 { out[c, height + y, x] = legend.image[c, y, x] }
            }
        }
        return out
    }

    /// The grid: one column per degradation, the degraded copy above the restored one
    /// (black where a cell is not done), separated by `gap` pixels.
    public static func grid(_ cells: [GridCell?], cellWidth w: Int, cellHeight h: Int) -> RGBImage {
        let gap = max(2, w / 32)
        let n = cells.count
        var out = RGBImage(width: n * w + (n - 1) * gap, height: 2 * h + gap)
        for (i, cell) in cells.enumerated() {
            guard let cell else { continue }
            let x0 = i * (w + gap)
            for (img, y0) in [(cell.degraded, 0), (cell.restored, h + gap)] {
                guard let img else { continue }
                for c in 0..<3 {
                    for y in 0..<min(h, img.height) { for x in 0..<min(w, img.width) { out[c, y0 + y, x0 + x] = img[c, y, x] } }
                }
            }
        }
        return out
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
    func request(_ stem: String, _ summary: String, _ render: @escaping @Sendable () -> RGBImage) -> [Effect] {
        state.status = "saving the \(state.mode.title.lowercased()) view…"
        return [.save(SaveRequest(directory: dir, stem: stem, summary: summary, token: token, render: render))]
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
        switch s.style {
        case .split:
            let d = s.divider
            return request(
                "ram-compare", "split: A \(s.a.name) left (dark strip), B \(s.b.name) right (light strip)"
            ) { ViewExport.split(a, b, divider: d) }
        case .sideBySide:
            return request("ram-compare", "side by side: A \(s.a.name), B \(s.b.name)") { ViewExport.sideBySide(a, b) }
        case .flicker:
            let shown = s.showingB ? b : a
            let role = s.showingB ? s.b : s.a
            return request("ram-compare", "\(role.name) (the image flicker shows now)") { shown }
        }
    case .features:
        guard let data = state.currentFeatures?.value, let tap = data.taps[state.features.branch], tap.channels > 0 else {
            state.status = "no taps to save yet"
            return []
        }
        let f = state.features
        let scale = Double(FeatureMaps.scale(ofTap: data.block)) * data.imageScale
        let input = state.input.value
        let block = data.block
        return request(
            "ram-features",
            "\(block) \(f.branch.symbol) \(f.selection.name), \(f.normalization.name), \(f.colormap.rawValue)"
        ) {
            let values = FeatureRendering.values(tap, f.selection)
            let range = valueRange(values, robust: f.normalization == .robust)
            let map = colorize(values, width: tap.width, height: tap.height, colormap: f.colormap, range: range)
            return ViewExport.map(
                map, scale: scale, width: w, height: h, base: f.blend ? input : nil, opacity: f.blend ? f.blendOpacity : 1,
                colormap: f.colormap, range: range)
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
        return request(
            "ram-error",
            "\(name) ×\(Int(e.amplification)), colours \(Format.value(range.lowerBound)) … \(Format.value(range.upperBound))"
        ) {
            let values =
                signed
                ? ErrorMap.signedDifference(restored, other) : ErrorMap.absoluteDifference(restored, other, reduction: .mean)
            let map = colorize(values, width: w, height: h, colormap: cmap, range: range)
            return ViewExport.map(
                map, scale: 1, width: w, height: h, base: restored, opacity: e.opacity, colormap: cmap, range: range)
        }
    case .grid:
        let cells = state.grid.map { $0?.value }
        guard let first = cells.compactMap({ $0 }).first else {
            state.status = "no grid cells to save yet"
            return []
        }
        let cw = first.degraded.width, ch = first.degraded.height
        let names = Degradation.standardFive.map(\.description).joined(separator: ", ")
        return request("ram-grid", "top: degraded, bottom: restored; columns \(names)") {
            ViewExport.grid(cells, cellWidth: cw, cellHeight: ch)
        }
    }
}
