import Foundation
import TerminalUI

/// How many half-cell pixels one image pixel takes: `fit` (the whole image in the area) or
/// a fixed scale (1 = one image pixel per half cell, "1:1").
public enum Zoom: Hashable, Sendable, CustomStringConvertible {
    case fit
    case scale(Double)

    /// The fixed scales `+`/`-` step through.
    public static let levels: [Double] = [0.25, 0.5, 1, 2, 4, 8]

    public var description: String {
        switch self {
        case .fit: return "fit"
        case .scale(let s): return Zoom.label(s)
        }
    }

    /// "1:1", "2×", "1/4×".
    static func label(_ s: Double) -> String {
        if s == 1 { return "1:1" }
        if s >= 1 { return s == s.rounded() ? "\(Int(s))×" : String(format: "%.2g×", s) }
        let inv = 1 / s
        return inv == inv.rounded() ? "1/\(Int(inv))×" : String(format: "%.2f×", s)
    }
}

/// What every view shares: the zoom and the cursor (in image pixels). The cursor is also
/// the focus: zoomed views keep it in sight, and switching view keeps the same region on
/// screen because all of them place images with `ImagePlacement.place` from this.
public struct Viewport: Hashable, Sendable {
    public var zoom: Zoom
    public var cursorX: Int
    public var cursorY: Int

    public init(zoom: Zoom = .fit, cursorX: Int = 0, cursorY: Int = 0) {
        self.zoom = zoom
        self.cursorX = cursorX
        self.cursorY = cursorY
    }
}

/// Where an image goes on screen: the cells it covers (`dest`) and the image rectangle
/// those cells show (`source`, in image pixels; may reach past the image, which is drawn
/// transparent). Pure geometry, shared by every view.
public struct ImagePlacement: Hashable, Sendable {
    public var dest: Rect
    public var source: ImageRegion
    /// Half-cell pixels per image pixel.
    public var scale: Double

    public init(dest: Rect, source: ImageRegion, scale: Double) {
        self.dest = dest
        self.source = source
        self.scale = scale
    }

    /// The placement of a w × h image in `area`. Fit: the largest uniform scale, centred.
    /// A fixed scale: the area is filled; on each axis the image is centred when it is
    /// smaller than the area, otherwise the window follows the focus (kept inside the
    /// image). The source origin is snapped to whole cells, so at integer scales every image
    /// pixel maps to whole half cells (no blended edges).
    public static func place(imageWidth w: Int, imageHeight h: Int, in area: Rect, zoom: Zoom, focusX: Double, focusY: Double)
        -> ImagePlacement
    {
        guard w > 0, h > 0, !area.isEmpty else {
            return ImagePlacement(
                dest: Rect(x: area.x, y: area.y, width: 0, height: 0),
                source: ImageRegion(x: 0, y: 0, width: 1, height: 1), scale: 1)
        }
        switch zoom {
        case .fit:
            let (cols, rows) = HalfBlockEncoder.fitSize(imageWidth: w, imageHeight: h, maxCols: area.width, maxRows: area.height)
            let dest = area.centered(width: cols, height: rows)
            let source = ImageRegion.fitting(imageWidth: w, imageHeight: h, cols: cols, rows: rows)
            return ImagePlacement(dest: dest, source: source, scale: Double(cols) / source.width)
        case .scale(let s):
            let sw = Double(area.width) / s
            let sh = Double(2 * area.height) / s
            // `unit`: output pixels per snap step (1 column; 2 half rows = 1 row, so the
            // image's first row starts at the top of a cell, not in its lower half).
            func origin(_ size: Int, _ span: Double, _ focus: Double, unit: Double) -> Double {
                let raw =
                    span >= Double(size) ? (Double(size) - span) / 2 : min(max(focus + 0.5 - span / 2, 0), Double(size) - span)
                return (raw * s / unit).rounded(.down) * unit / s
            }
            let source = ImageRegion(
                x: origin(w, sw, focusX, unit: 1), y: origin(h, sh, focusY, unit: 2), width: sw,
                height: sh)
            return ImagePlacement(dest: area, source: source, scale: s)
        }
    }

    /// The cell showing image pixel (x, y), and whether the pixel is its lower half; nil when
    /// that pixel is not on screen.
    public func cell(forPixelX x: Int, y: Int) -> (col: Int, row: Int, lower: Bool)? {
        guard !dest.isEmpty, source.width > 0, source.height > 0 else { return nil }
        let fx = (Double(x) + 0.5 - source.x) / source.width * Double(dest.width)
        let fy = (Double(y) + 0.5 - source.y) / source.height * Double(2 * dest.height)
        guard fx >= 0, fy >= 0 else { return nil }
        let col = Int(fx), py = Int(fy)
        guard col < dest.width, py < 2 * dest.height else { return nil }
        return (dest.x + col, dest.y + py / 2, py % 2 == 1)
    }

    /// The image pixel under the upper half of cell (col, row); nil outside `dest`.
    public func pixel(atCol col: Int, row: Int) -> (x: Int, y: Int)? {
        guard dest.contains(x: col, y: row) else { return nil }
        let x = source.x + (Double(col - dest.x) + 0.5) / Double(dest.width) * source.width
        let y = source.y + (Double(2 * (row - dest.y)) + 0.5) / Double(2 * dest.height) * source.height
        return (Int(x.rounded(.down)), Int(y.rounded(.down)))
    }

    /// The same placement for an image `factor` times smaller (a feature map at 1/2, 1/4,
    /// 1/8 of the input): the same cells, the same region.
    public func scaledSource(by factor: Double) -> ImageRegion {
        ImageRegion(
            x: source.x / factor, y: source.y / factor, width: source.width / factor, height: source.height / factor)
    }
}
