/// An in-memory screen: width × height cells, row-major. Views draw into one of these and
/// the renderer turns the difference between two of them into escape bytes (ratatui's
/// Buffer). Every drawing call clips to the buffer, so widgets never need bounds checks.
public struct CellBuffer: Equatable, Sendable {
    public let width: Int
    public let height: Int
    /// `height` rows of `width` cells; cell (x, y) at `y · width + x`.
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int, fill: Cell = .blank) {
        precondition(width >= 0 && height >= 0, "negative buffer size \(width)x\(height)")
        self.width = width
        self.height = height
        self.cells = [Cell](repeating: fill, count: width * height)
    }

    /// A buffer filled with `Cell.sentinel`, so a test can assert which cells a widget
    /// touched and which it left alone.
    public static func sentinel(width: Int, height: Int) -> CellBuffer {
        CellBuffer(width: width, height: height, fill: .sentinel)
    }

    public var bounds: Rect { Rect(x: 0, y: 0, width: width, height: height) }

    /// Out-of-range reads return a blank cell; out-of-range writes are ignored (clipping).
    public subscript(x: Int, y: Int) -> Cell {
        get { bounds.contains(x: x, y: y) ? cells[y * width + x] : .blank }
        set { if bounds.contains(x: x, y: y) { cells[y * width + x] = newValue } }
    }

    public mutating func set(x: Int, y: Int, _ cell: Cell) {
        self[x, y] = cell
    }

    /// Fills `rect` (clipped) with `cell`.
    public mutating func fill(_ rect: Rect, with cell: Cell) {
        let r = rect.intersection(bounds)
        guard !r.isEmpty else { return }
        for yy in r.y..<r.maxY {
            let row = yy * width
            for xx in r.x..<r.maxX { cells[row + xx] = cell }
        }
    }

    /// Writes `text` from (x, y) rightwards, one Character per cell, stopping at `maxWidth`
    /// columns and at the buffer edge. Characters that would not take exactly one column
    /// (controls, CJK) are drawn as "?" so they cannot move the terminal's cursor off the
    /// grid or inject escape sequences. Returns the number of columns written.
    @discardableResult
    public mutating func drawText(
        x: Int, y: Int, _ text: String, fg: RGB? = nil, bg: RGB? = nil, bold: Bool = false, maxWidth: Int? = nil
    ) -> Int {
        guard y >= 0, y < height else { return 0 }
        let limit = min(maxWidth ?? Int.max, width - x)
        var written = 0
        var col = x
        for ch in text {
            if written >= limit { break }
            if col >= 0 {
                let glyph = ch.isSingleColumn ? String(ch) : "?"
                cells[y * width + col] = Cell(glyph, fg: fg, bg: bg, bold: bold)
            }
            col += 1
            written += 1
        }
        return written
    }

    @discardableResult
    public mutating func drawText(x: Int, y: Int, _ text: String, style: Style, maxWidth: Int? = nil) -> Int {
        drawText(x: x, y: y, text, fg: style.fg, bg: style.bg, bold: style.bold, maxWidth: maxWidth)
    }

    /// Copies a `width`-wide block of cells (row-major, `cells.count / width` rows) with its
    /// top-left at (x, y), clipped to the buffer and to `clip` when given. This is the whole
    /// cost of drawing an already-encoded image.
    public mutating func blit(cells src: [Cell], width srcWidth: Int, at x: Int, _ y: Int, clip: Rect? = nil) {
        guard srcWidth > 0 else { return }
        let srcHeight = src.count / srcWidth
        var target = Rect(x: x, y: y, width: srcWidth, height: srcHeight).intersection(bounds)
        if let clip { target = target.intersection(clip) }
        guard !target.isEmpty else { return }
        for yy in target.y..<target.maxY {
            let srcRow = (yy - y) * srcWidth - x
            let dstRow = yy * width
            for xx in target.x..<target.maxX { cells[dstRow + xx] = src[srcRow + xx] }
        }
    }

    /// Copies another buffer in (overlays, composed panes).
    public mutating func blit(_ other: CellBuffer, at x: Int, _ y: Int, clip: Rect? = nil) {
        blit(cells: other.cells, width: other.width, at: x, y, clip: clip)
    }

    /// The glyphs row by row, for assertions in tests.
    public func lines() -> [String] {
        (0..<height).map { y in
            var s = ""
            for x in 0..<width { s += cells[y * width + x].glyph }
            return s
        }
    }

    /// One row of cells.
    public func row(_ y: Int) -> ArraySlice<Cell> {
        cells[(y * width)..<(y * width + width)]
    }
}
