import Imaging
import TerminalUI

/// An image to draw: the pixels, a cache identity that changes with them, and how many
/// input pixels one of its pixels covers (1, or 2/4/8 for feature maps of deeper levels).
struct Picture {
    var image: RGBImage
    var id: AnyHashable
    var pixelScale: Double = 1

    init(_ image: RGBImage, id: AnyHashable, pixelScale: Double = 1) {
        self.image = image
        self.id = id
        self.pixelScale = pixelScale
    }

    init(_ v: Versioned<RGBImage>, role: ImageRole) {
        self.init(v.value, id: AnyHashable("\(role.name)#\(v.version)"))
    }
}

/// Drawing images into the buffer: placement from the shared viewport, cells from the cache,
/// the cursor on top. Every view goes through here, so all of them agree on geometry.
enum ImagePane {
    /// The placement for an image of the input's size (or `imageWidth`×`imageHeight`, for
    /// the grid's smaller copies) in `area`, following the shared zoom and cursor.
    static func placement(_ state: ViewerState, in area: Rect, imageWidth: Int? = nil, imageHeight: Int? = nil)
        -> ImagePlacement
    {
        let w = state.input.value.width, h = state.input.value.height
        let iw = imageWidth ?? w, ih = imageHeight ?? h
        let fx = (Double(state.viewport.cursorX) + 0.5) * Double(iw) / Double(w) - 0.5
        let fy = (Double(state.viewport.cursorY) + 0.5) * Double(ih) / Double(h) - 0.5
        return ImagePlacement.place(imageWidth: iw, imageHeight: ih, in: area, zoom: state.viewport.zoom, focusX: fx, focusY: fy)
    }

    /// Encodes (or fetches) `picture` for `placement`.
    static func cells(_ picture: Picture, _ placement: ImagePlacement, _ cache: RenderCache) -> EncodedImage {
        cache.encode(picture.image, id: picture.id, placement: placement, pixelScale: picture.pixelScale)
    }

    static func draw(
        _ picture: Picture, _ placement: ImagePlacement, into buffer: inout CellBuffer, cache: RenderCache,
        clip: Rect? = nil
    ) {
        buffer.blit(cells(picture, placement, cache), at: placement.dest.x, placement.dest.y, clip: clip)
    }

    /// Marks the cell under the cursor: a `+` in black or white, whichever reads on the pixel.
    static func drawCursor(
        _ state: ViewerState, _ placement: ImagePlacement, into buffer: inout CellBuffer,
        imageWidth: Int? = nil, imageHeight: Int? = nil, clip: Rect? = nil
    ) {
        let w = state.input.value.width, h = state.input.value.height
        let iw = imageWidth ?? w, ih = imageHeight ?? h
        let x = state.viewport.cursorX * iw / w, y = state.viewport.cursorY * ih / h
        guard let (col, row, lower) = placement.cell(forPixelX: x, y: y) else { return }
        if let clip, !clip.contains(x: col, y: row) { return }
        let under = buffer[col, row]
        let pixel = (lower ? under.bg : under.fg) ?? under.fg ?? RGB.gray
        let luma = 0.299 * Double(pixel.r) + 0.587 * Double(pixel.g) + 0.114 * Double(pixel.b)
        buffer[col, row] = Cell("+", fg: luma > 110 ? .black : .white, bg: pixel, bold: true)
    }

    /// A short message centred in `area` (a job still running, nothing to show).
    /// Wrapped at spaces onto as many lines as it needs (and the area has).
    static func message(_ text: String, in area: Rect, into buffer: inout CellBuffer, style: Style = Style(fg: .lightGray)) {
        guard !area.isEmpty else { return }
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ") {
            if current.isEmpty {
                current = String(word)
            } else if current.count + 1 + word.count <= area.width {
                current += " " + word
            } else {
                lines.append(current)
                current = String(word)
            }
        }
        if !current.isEmpty { lines.append(current) }
        lines = Array(lines.prefix(area.height))
        let top = area.y + (area.height - lines.count) / 2
        for (i, line) in lines.enumerated() {
            let t = line.truncated(toColumns: area.width)
            buffer.drawText(x: area.x + (area.width - t.count) / 2, y: top + i, t, style: style)
        }
    }

    /// Text centred in a one-row rect.
    static func centered(_ text: String, in row: Rect, into buffer: inout CellBuffer, style: Style = .plain) {
        guard !row.isEmpty else { return }
        let t = text.truncated(toColumns: row.width)
        buffer.drawText(x: row.x + (row.width - t.count) / 2, y: row.y, t, style: style)
    }
}
