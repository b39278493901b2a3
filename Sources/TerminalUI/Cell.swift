/// Foreground, background and weight of text; nil colours mean "the terminal's default",
/// which keeps the user's own theme for plain text and costs no escape bytes.
public struct Style: Hashable, Sendable {
    public var fg: RGB?
    public var bg: RGB?
    public var bold: Bool

    public init(fg: RGB? = nil, bg: RGB? = nil, bold: Bool = false) {
        self.fg = fg
        self.bg = bg
        self.bold = bold
    }

    public static let plain = Style()
    /// Swaps fg and bg, substituting black/white for defaults (selection highlight).
    public var reversed: Style { Style(fg: bg ?? .black, bg: fg ?? .lightGray, bold: bold) }
}

/// One terminal cell: a glyph that occupies exactly one column, and its style.
///
/// The glyph is a String rather than a Character so a grapheme with combining marks fits,
/// and because the renderer needs its UTF-8 bytes anyway. Short strings are stored inline,
/// so a buffer of cells does not allocate per cell.
public struct Cell: Hashable, Sendable {
    public var glyph: String
    public var fg: RGB?
    public var bg: RGB?
    public var bold: Bool

    @inlinable public init(_ glyph: String = " ", fg: RGB? = nil, bg: RGB? = nil, bold: Bool = false) {
        self.glyph = glyph
        self.fg = fg
        self.bg = bg
        self.bold = bold
    }

    public init(_ glyph: Character, style: Style) {
        self.init(String(glyph), fg: style.fg, bg: style.bg, bold: style.bold)
    }

    public init(_ glyph: String, style: Style) {
        self.init(glyph, fg: style.fg, bg: style.bg, bold: style.bold)
    }

    public var style: Style {
        get { Style(fg: fg, bg: bg, bold: bold) }
        set {
            fg = newValue.fg
            bg = newValue.bg
            bold = newValue.bold
        }
    }

    /// A space in default colours: what an empty terminal shows.
    public static let blank = Cell(" ")
    /// What `CellBuffer.sentinel` fills with, so tests can see which cells a widget left alone
    /// (ratatui's trick). Chosen because no widget draws it.
    public static let sentinel = Cell("·")
    /// The upper-half block: fg paints the upper pixel, bg the lower one.
    public static let upperHalf = "\u{2580}"
    /// The lower-half block, used when only the lower pixel of a cell is part of an image.
    public static let lowerHalf = "\u{2584}"
}

extension Character {
    /// Whether the terminal would give this character two columns (CJK, wide emoji) or none
    /// (controls). The cell grid assumes one column per cell, so `CellBuffer.drawText`
    /// substitutes such characters instead of letting them shift the rest of the row.
    /// Conservative ranges from Unicode's East Asian Width (W/F) — enough for file names
    /// and labels; a full wcwidth is not needed here.
    var isSingleColumn: Bool {
        guard let s = unicodeScalars.first else { return false }
        let v = s.value
        if v < 0x20 || (v >= 0x7F && v < 0xA0) { return false }
        if v < 0x1100 { return true }
        let wide: [ClosedRange<UInt32>] = [
            0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
            0xA000...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
            0xFFE0...0xFFE6, 0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x3FFFD,
        ]
        return !wide.contains { $0.contains(v) }
    }
}
