/// Something that draws itself into a rectangle of a buffer (ratatui's Widget). Widgets are
/// values built fresh every frame from the app state; they hold no state of their own and
/// clip everything to `area` and the buffer.
public protocol Widget {
    func draw(in area: Rect, buffer: inout CellBuffer)
}

extension CellBuffer {
    public mutating func render(_ widget: some Widget, in area: Rect) {
        widget.draw(in: area, buffer: &self)
    }
}

extension String {
    /// The string cut to at most `columns` characters, ending in "…" when something was cut.
    public func truncated(toColumns columns: Int) -> String {
        guard columns > 0 else { return "" }
        guard count > columns else { return self }
        return String(prefix(columns - 1)) + "…"
    }
}

/// A one-row bar: text on the left, text on the right, the rest filled with the style's
/// background. When both do not fit, the right side wins (it usually holds the live
/// readouts) and the left is truncated with "…".
public struct StatusLine: Widget {
    public var left: String
    public var right: String
    public var style: Style

    public init(left: String, right: String = "", style: Style = Style(fg: .black, bg: .lightGray)) {
        self.left = left
        self.right = right
        self.style = style
    }

    public func draw(in area: Rect, buffer: inout CellBuffer) {
        let row = Rect(x: area.x, y: area.y, width: area.width, height: min(area.height, 1))
        guard !row.isEmpty else { return }
        buffer.fill(row, with: Cell(" ", style: style))
        let r = right.truncated(toColumns: row.width)
        let room = row.width - r.count - (r.isEmpty ? 0 : 1)
        buffer.drawText(x: row.x, y: row.y, left.truncated(toColumns: max(room, 0)), style: style)
        buffer.drawText(x: row.maxX - r.count, y: row.y, r, style: style)
    }
}

/// A box-drawn border with an optional title in the top edge: `┌─ title ──┐`. `inner(_:)`
/// gives the area inside the border for the panel's content.
public struct Panel: Widget {
    public var title: String?
    public var style: Style
    public var titleStyle: Style
    /// Fill the inside with blanks (for overlays that must hide what is under them).
    public var clearsInside: Bool

    public init(title: String? = nil, style: Style = .plain, titleStyle: Style = Style(bold: true), clearsInside: Bool = false) {
        self.title = title
        self.style = style
        self.titleStyle = titleStyle
        self.clearsInside = clearsInside
    }

    public static func inner(_ area: Rect) -> Rect { area.inset(dx: 1, dy: 1) }

    public func draw(in area: Rect, buffer: inout CellBuffer) {
        guard area.width >= 2, area.height >= 2 else { return }
        if clearsInside { buffer.fill(Panel.inner(area), with: Cell(" ", style: Style(bg: style.bg))) }
        let (x0, y0, x1, y1) = (area.x, area.y, area.maxX - 1, area.maxY - 1)
        for x in (x0 + 1)..<x1 {
            buffer[x, y0] = Cell("─", style: style)
            buffer[x, y1] = Cell("─", style: style)
        }
        for y in (y0 + 1)..<y1 {
            buffer[x0, y] = Cell("│", style: style)
            buffer[x1, y] = Cell("│", style: style)
        }
        buffer[x0, y0] = Cell("┌", style: style)
        buffer[x1, y0] = Cell("┐", style: style)
        buffer[x0, y1] = Cell("└", style: style)
        buffer[x1, y1] = Cell("┘", style: style)
        if let title, !title.isEmpty, area.width >= 5 {
            let t = " " + title.truncated(toColumns: area.width - 4) + " "
            var s = titleStyle
            if s.bg == nil { s.bg = style.bg }
            buffer.drawText(x: x0 + 1, y: y0, t, style: s)
        }
    }
}

/// A colormap's gradient with the values at its ends: one row of colour cells (the value at
/// each cell's centre), and, when there is a second row, the min label under the left end,
/// the max label under the right end and an optional caption in between.
public struct ColormapLegend: Widget {
    /// Colour for t in [0, 1].
    public var colormap: (Float) -> RGB
    public var minLabel: String
    public var maxLabel: String
    public var caption: String
    public var style: Style

    public init(
        colormap: @escaping (Float) -> RGB, minLabel: String, maxLabel: String, caption: String = "", style: Style = .plain
    ) {
        self.colormap = colormap
        self.minLabel = minLabel
        self.maxLabel = maxLabel
        self.caption = caption
        self.style = style
    }

    /// A colormap from evenly spaced stops, linearly interpolated.
    public init(stops: [RGB], minLabel: String, maxLabel: String, caption: String = "", style: Style = .plain) {
        precondition(!stops.isEmpty)
        self.init(
            colormap: { t in
                guard stops.count > 1 else { return stops[0] }
                let p = max(0, min(1, t)) * Float(stops.count - 1)
                let i = min(Int(p), stops.count - 2)
                return stops[i].mix(stops[i + 1], p - Float(i))
            }, minLabel: minLabel, maxLabel: maxLabel, caption: caption, style: style)
    }

    public func draw(in area: Rect, buffer: inout CellBuffer) {
        guard !area.isEmpty else { return }
        let n = area.width
        for i in 0..<n {
            let t = n == 1 ? 0.5 : (Float(i) + 0.5) / Float(n)
            let c = colormap(t)
            buffer[area.x + i, area.y] = Cell(" ", bg: c)
        }
        guard area.height >= 2 else { return }
        let y = area.y + 1
        let lo = minLabel.truncated(toColumns: n)
        buffer.drawText(x: area.x, y: y, lo, style: style)
        let hi = maxLabel.truncated(toColumns: max(0, n - lo.count - 1))
        buffer.drawText(x: area.maxX - hi.count, y: y, hi, style: style)
        let room = n - lo.count - hi.count - 2
        if !caption.isEmpty, room > 0 {
            let c = caption.truncated(toColumns: room)
            buffer.drawText(x: area.x + lo.count + 1 + (room - c.count) / 2, y: y, c, style: style)
        }
    }
}

/// A horizontal bar with eighth-cell resolution followed by the percentage: `█████▌   42%`,
/// optionally preceded by a label. One row. `glyphs` is the bar alone, for plain text
/// (the command line's progress on stderr).
public struct ProgressBar: Widget {
    public var fraction: Double
    public var label: String
    public var barColor: RGB
    public var trackColor: RGB?
    public var style: Style

    public init(
        fraction: Double, label: String = "", barColor: RGB = RGB(80, 160, 255), trackColor: RGB? = RGB(50, 50, 50),
        style: Style = .plain
    ) {
        self.fraction = fraction
        self.label = label
        self.barColor = barColor
        self.trackColor = trackColor
        self.style = style
    }

    static let eighths = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]

    /// The bar's cells for `fraction` (clamped to 0...1; not finite: 0): full blocks, one
    /// partial block in eighths, then `empty`.
    public static func glyphs(fraction: Double, width: Int, empty: String = " ") -> [String] {
        let f = fraction.isFinite ? min(max(fraction, 0), 1) : 0
        let units = Int((f * Double(max(0, width) * 8)).rounded(.down))
        return (0..<max(0, width)).map { i in
            let filled = min(max(units - i * 8, 0), 8)
            return filled == 8 ? "█" : (filled == 0 ? empty : eighths[filled])
        }
    }

    public func draw(in area: Rect, buffer: inout CellBuffer) {
        guard !area.isEmpty else { return }
        let f = fraction.isFinite ? min(max(fraction, 0), 1) : 0
        let percent = " \(Int((f * 100).rounded(.down)))%"
        var x = area.x
        if !label.isEmpty {
            x += buffer.drawText(x: x, y: area.y, label.truncated(toColumns: area.width / 3) + " ", style: style)
        }
        let barWidth = area.maxX - x - percent.count
        if barWidth > 0 {
            for (i, glyph) in Self.glyphs(fraction: f, width: barWidth).enumerated() {
                buffer[x + i, area.y] = Cell(glyph, fg: barColor, bg: trackColor)
            }
            x += barWidth
        }
        buffer.drawText(x: x, y: area.y, percent, style: style, maxWidth: area.maxX - x)
    }
}

/// The key reference: a bordered box centred in the area, one row per binding, keys in a
/// column as wide as the widest one. What is under the box is hidden; the rest of the area
/// is left alone so the view stays visible around it.
public struct HelpOverlay: Widget {
    public var title: String
    public var rows: [(keys: String, description: String)]
    public var style: Style
    public var keyStyle: Style

    public init(
        title: String = "Keys", rows: [(keys: String, description: String)],
        style: Style = Style(fg: .white, bg: RGB(30, 30, 40)),
        keyStyle: Style = Style(fg: .yellow, bg: RGB(30, 30, 40), bold: true)
    ) {
        self.title = title
        self.rows = rows
        self.style = style
        self.keyStyle = keyStyle
    }

    /// The box's rectangle within `area`.
    public func box(in area: Rect) -> Rect {
        let keyWidth = rows.map(\.keys.count).max() ?? 0
        let descWidth = rows.map(\.description.count).max() ?? 0
        let width = max(keyWidth + 2 + descWidth, title.count + 2) + 4  // border + 1 space each side
        return area.centered(width: width, height: rows.count + 2)
    }

    public func draw(in area: Rect, buffer: inout CellBuffer) {
        let box = box(in: area)
        guard box.width >= 4, box.height >= 3 else { return }
        Panel(title: title, style: style, titleStyle: Style(fg: style.fg, bg: style.bg, bold: true), clearsInside: true)
            .draw(in: box, buffer: &buffer)
        let inner = Panel.inner(box).inset(dx: 1, dy: 0)
        let keyWidth = min(rows.map(\.keys.count).max() ?? 0, max(inner.width / 2, 1))
        for (i, row) in rows.prefix(inner.height).enumerated() {
            let y = inner.y + i
            buffer.drawText(x: inner.x, y: y, row.keys.truncated(toColumns: keyWidth), style: keyStyle)
            let dx = keyWidth + 2
            buffer.drawText(x: inner.x + dx, y: y, row.description.truncated(toColumns: max(inner.width - dx, 0)), style: style)
        }
    }
}

/// Replaces the whole view when the terminal is smaller than the layout needs, instead of
/// drawing a garbled one: "Terminal too small" and "need 80×24, have 60×20", centred.
public struct TooSmallMessage: Widget {
    public var needed: TerminalSize
    public var actual: TerminalSize
    public var style: Style

    public init(needed: TerminalSize, actual: TerminalSize, style: Style = Style(fg: .yellow, bold: true)) {
        self.needed = needed
        self.actual = actual
        self.style = style
    }

    public func draw(in area: Rect, buffer: inout CellBuffer) {
        guard !area.isEmpty else { return }
        buffer.fill(area, with: .blank)
        let lines = [
            "Terminal too small",
            "need \(needed.cols)×\(needed.rows), have \(actual.cols)×\(actual.rows)",
        ]
        let top = area.y + max(0, (area.height - lines.count) / 2)
        for (i, line) in lines.enumerated() where top + i < area.maxY {
            let text = line.truncated(toColumns: area.width)
            buffer.drawText(x: area.x + (area.width - text.count) / 2, y: top + i, text, style: i == 0 ? style : .plain)
        }
    }
}
