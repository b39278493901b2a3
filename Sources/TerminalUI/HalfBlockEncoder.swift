import Imaging

/// The region of an image a view shows, in image pixel coordinates (fractional, so zoom and
/// pan are smooth). It may extend past the image: the part outside is drawn transparent.
public struct ImageRegion: Hashable, Sendable, CustomStringConvertible {
    public var x: Double
    public var y: Double
    public var width: Double
    public var height: Double

    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    /// The whole image, anchored top-left, at the largest uniform scale that fits in
    /// cols × 2·rows half-cell pixels; the rectangle is widened or heightened past the image so
    /// it covers the whole box, and the extra is transparent. With (cols, rows) from
    /// `HalfBlockEncoder.fitSize` that extra is at most the half row below an image whose
    /// scaled height is odd.
    public static func fitting(imageWidth w: Int, imageHeight h: Int, cols: Int, rows: Int) -> ImageRegion {
        let scale = min(Double(cols) / Double(w), Double(2 * rows) / Double(h))
        return ImageRegion(x: 0, y: 0, width: Double(cols) / scale, height: Double(2 * rows) / scale)
    }

    public var description: String { "ImageRegion(x: \(x), y: \(y), \(width)x\(height))" }
}

/// An image already turned into cells: the expensive product of encoding, cheap to blit.
public struct EncodedImage: Equatable, Sendable {
    public let cols: Int
    public let rows: Int
    /// rows × cols cells, row-major.
    public let cells: [Cell]

    public init(cols: Int, rows: Int, cells: [Cell]) {
        precondition(cells.count == cols * rows, "\(cells.count) cells for \(cols)x\(rows)")
        self.cols = cols
        self.rows = rows
        self.cells = cells
    }

    public subscript(col: Int, row: Int) -> Cell { cells[row * cols + col] }
}

extension CellBuffer {
    /// Draws an encoded image with its top-left cell at (x, y), clipped.
    public mutating func blit(_ image: EncodedImage, at x: Int, _ y: Int, clip: Rect? = nil) {
        blit(cells: image.cells, width: image.cols, at: x, y, clip: clip)
    }
}

/// Image → half-block cells (the "encode" half of ratatui-image's encode/render split).
///
/// A terminal cell is about twice as tall as it is wide, so splitting it into an upper and a
/// lower pixel gives square pixels: a region of cols × rows cells shows cols × 2·rows
/// pixels. Each cell is `▀` with fg = upper pixel and bg = lower pixel. Pixels outside the
/// image are transparent (the terminal's default background): a cell whose lower pixel is
/// outside keeps bg = nil, one whose upper pixel is outside is drawn as `▄` with fg = the
/// lower pixel, and one with neither is a default-coloured space.
public enum HalfBlockEncoder {
    /// The largest (cols, rows) box that shows the whole image at a uniform scale within
    /// maxCols × maxRows cells, where one image pixel is one half cell at scale 1.
    /// rows = ceil(scaled height / 2). `allowUpscale: false` caps the scale at 1.
    public static func fitSize(
        imageWidth w: Int, imageHeight h: Int, maxCols: Int, maxRows: Int, allowUpscale: Bool = true
    ) -> (cols: Int, rows: Int) {
        guard w > 0, h > 0, maxCols > 0, maxRows > 0 else { return (0, 0) }
        var scale = min(Double(maxCols) / Double(w), Double(2 * maxRows) / Double(h))
        if !allowUpscale { scale = min(scale, 1) }
        let cols = min(maxCols, max(1, Int((Double(w) * scale).rounded())))
        let pixelRows = min(2 * maxRows, max(1, Int((Double(h) * scale).rounded())))
        return (cols, (pixelRows + 1) / 2)
    }

    /// Encodes `source` of `image` (default: the whole image fitted, see
    /// `ImageRegion.fitting`) into cols × rows cells, area-resampled to cols × 2·rows pixels.
    /// With 256 colours or fewer the colours are the palette colours the terminal will show,
    /// Floyd–Steinberg dithered; in monochrome the cells are block shapes in default colours.
    public static func encode(
        _ image: RGBImage, source: ImageRegion? = nil, cols: Int, rows: Int, mode: ColorMode
    ) -> EncodedImage {
        guard cols > 0, rows > 0 else { return EncodedImage(cols: max(cols, 0), rows: max(rows, 0), cells: []) }
        guard image.width > 0, image.height > 0 else {
            return EncodedImage(cols: cols, rows: rows, cells: [Cell](repeating: .blank, count: cols * rows))
        }
        let rect = source ?? ImageRegion.fitting(imageWidth: image.width, imageHeight: image.height, cols: cols, rows: rows)
        let px = AreaResampler.resample(image, source: rect, width: cols, height: 2 * rows)
        let plane = cols * 2 * rows
        var cells = [Cell](repeating: .blank, count: cols * rows)
        if mode == .mono {
            let on = ditheredOnOff(px, cols: cols, rows: rows)
            for row in 0..<rows {
                for col in 0..<cols where px.insideX[col] {
                    let upper = px.insideY[2 * row] && on[2 * row * cols + col]
                    let lower = px.insideY[2 * row + 1] && on[(2 * row + 1) * cols + col]
                    let glyph = upper ? (lower ? "█" : Cell.upperHalf) : (lower ? Cell.lowerHalf : " ")
                    cells[row * cols + col] = Cell(glyph)
                }
            }
            return EncodedImage(cols: cols, rows: rows, cells: cells)
        }
        let colors: [RGB]
        if mode == .trueColor {
            colors = px.pixels.withUnsafeBufferPointer { p in
                (0..<plane).map { i in RGB(red: p[i], green: p[plane + i], blue: p[2 * plane + i]) }
            }
        } else {
            colors = dithered(px, cols: cols, rows: rows) { mode.displayed($0) }
        }
        for row in 0..<rows {
            let upperIn = px.insideY[2 * row]
            let lowerIn = px.insideY[2 * row + 1]
            for col in 0..<cols where px.insideX[col] {
                let upper = colors[2 * row * cols + col], lower = colors[(2 * row + 1) * cols + col]
                let cell: Cell
                switch (upperIn, lowerIn) {
                case (true, true): cell = Cell(Cell.upperHalf, fg: upper, bg: lower)
                case (true, false): cell = Cell(Cell.upperHalf, fg: upper, bg: nil)
                case (false, true): cell = Cell(Cell.lowerHalf, fg: lower, bg: nil)
                case (false, false): continue
                }
                cells[row * cols + col] = cell
            }
        }
        return EncodedImage(cols: cols, rows: rows, cells: cells)
    }

    /// Floyd–Steinberg error diffusion onto a palette (`quantize` gives the colour shown):
    /// with 256 colours or fewer, a smooth photo keeps its tones instead of posterising into
    /// bands. Only pixels inside the image take part; deterministic, so an unchanged region
    /// encodes to the same cells.
    static func dithered(_ px: AreaResampler.Result, cols: Int, rows: Int, quantize: (RGB) -> RGB) -> [RGB] {
        let w = cols, h = 2 * rows, plane = w * h
        var work = [Float](repeating: 0, count: 3 * plane)
        for i in 0..<(3 * plane) { work[i] = min(max(px.pixels[i], 0), 1) * 255 }
        var out = [RGB](repeating: RGB(0, 0, 0), count: plane)
        func inside(_ x: Int, _ y: Int) -> Bool { x >= 0 && x < w && y < h && px.insideX[x] && px.insideY[y] }
        for y in 0..<h {
            for x in 0..<w where inside(x, y) {
                let i = y * w + x
                func clamp(_ v: Float) -> UInt8 { UInt8(min(max(v, 0), 255).rounded()) }
                let want = RGB(clamp(work[i]), clamp(work[plane + i]), clamp(work[2 * plane + i]))
                let got = quantize(want)
                out[i] = got
                let err = [work[i] - Float(got.r), work[plane + i] - Float(got.g), work[2 * plane + i] - Float(got.b)]
                for (dx, dy, f) in [(1, 0, Float(7) / 16), (-1, 1, Float(3) / 16), (0, 1, Float(5) / 16), (1, 1, Float(1) / 16)]
                where inside(x + dx, y + dy) {
                    let j = (y + dy) * w + x + dx
                    for c in 0..<3 { work[c * plane + j] += err[c] * f }
                }
            }
        }
        return out
    }

    /// Monochrome: each pixel on (the terminal's foreground) or off, by its luma, with the
    /// same error diffusion.
    static func ditheredOnOff(_ px: AreaResampler.Result, cols: Int, rows: Int) -> [Bool] {
        let w = cols, h = 2 * rows, plane = w * h
        var luma = [Float](repeating: 0, count: plane)
        for i in 0..<plane {
            let r = min(max(px.pixels[i], 0), 1), g = min(max(px.pixels[plane + i], 0), 1)
            let b = min(max(px.pixels[2 * plane + i], 0), 1)
            luma[i] = 0.299 * r + 0.587 * g + 0.114 * b
        }
        var on = [Bool](repeating: false, count: plane)
        func inside(_ x: Int, _ y: Int) -> Bool { x >= 0 && x < w && y < h && px.insideX[x] && px.insideY[y] }
        for y in 0..<h {
            for x in 0..<w where inside(x, y) {
                let i = y * w + x
                on[i] = luma[i] >= 0.5
                let err = luma[i] - (on[i] ? 1 : 0)
                for (dx, dy, f) in [(1, 0, Float(7) / 16), (-1, 1, Float(3) / 16), (0, 1, Float(5) / 16), (1, 1, Float(1) / 16)]
                where inside(x + dx, y + dy) {
                    luma[(y + dy) * w + x + dx] += err * f
                }
            }
        }
        return on
    }
}
