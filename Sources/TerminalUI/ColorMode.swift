/// How colours are written to the terminal.
///
/// Truecolor (`ESC[38;2;r;g;bm`) only where the terminal says it understands it; otherwise
/// the xterm 256-colour palette (`ESC[38;5;nm`), which every terminal of the last 20 years
/// and tmux's default TERM accept; terminals whose terminfo says fewer colours (the Linux
/// console, vt100, dumb) get 16, 8 or none. Writing 24-bit colours to a terminal that does not parse
/// them shows garbage colours, so the fallback is the safe default.
public enum ColorMode: String, Hashable, Sendable, CaseIterable {
    case trueColor = "truecolor"
    case ansi256 = "256"
    /// The 16 basic colours (SGR 30–37/90–97, 40–47/100–107): terminfo `colors` 16.
    case ansi16 = "16"
    /// The 8 basic colours only (SGR 30–37/40–47): the Linux console (`colors` 8).
    case ansi8 = "8"
    /// No colours (vt100, dumb): images as dithered block shapes, highlighted text in reverse video.
    case mono

    /// The environment variable that overrides detection (`truecolor`/`24bit` or `256`).
    public static let overrideVariable = "RAM_COLOR"

    /// Decides the mode, in order of precedence:
    /// 1. `override` (a command-line flag), then `RAM_COLOR` in the environment;
    /// 2. `COLORTERM` = `truecolor` or `24bit` (what terminals and ssh with SendEnv set);
    /// 3. the terminfo `RGB` flag (`terminfoRGB`, read by the ncurses backend after
    ///    initialisation; nil when unknown);
    /// 4. a TERM ending in `-direct` (xterm-direct, tmux-direct, …);
    /// otherwise 256 colours.
    /// 5. the terminfo `colors` number (`terminfoColors`; nil when unknown): 16 or more but
    ///    below 256 → 16 colours, 8 → 8, fewer or none (vt100, dumb: -1) → monochrome;
    public static func detect(
        environment: [String: String], terminfoRGB: Bool? = nil, terminfoColors: Int? = nil, override: ColorMode? = nil
    ) -> ColorMode {
        if let override { return override }
        if let forced = environment[overrideVariable].flatMap(ColorMode.init(name:)) { return forced }
        if let colorterm = environment["COLORTERM"]?.lowercased(), colorterm == "truecolor" || colorterm == "24bit" {
            return .trueColor
        }
        if terminfoRGB == true { return .trueColor }
        if let term = environment["TERM"], term.hasSuffix("-direct") { return .trueColor }
        if let colors = terminfoColors, colors < 256 {
            if colors >= 16 { return .ansi16 }
            if colors >= 8 { return .ansi8 }
            return .mono
        }
        return .ansi256
    }

    /// Parses the names a user would type: "truecolor", "24bit", "direct", "256".
    public init?(name: String) {
        switch name.lowercased() {
        case "truecolor", "24bit", "24-bit", "direct", "rgb": self = .trueColor
        case "256", "ansi256", "256color": self = .ansi256
        case "16", "ansi16", "16color": self = .ansi16
        case "8", "ansi8", "8color": self = .ansi8
        case "mono", "none", "2", "monochrome": self = .mono
        default: return nil
        }
    }

    /// The colour a cell will really show in this mode.
    @inlinable public func displayed(_ c: RGB) -> RGB {
        switch self {
        case .trueColor: return c
        case .ansi256: return XtermPalette.quantize(c)
        case .ansi16: return XtermPalette.rgb(index: XtermPalette.basicIndex(for: c, count: 16))
        case .ansi8: return XtermPalette.rgb(index: XtermPalette.basicIndex(for: c, count: 8))
        case .mono: return c
        }
    }

    /// The colour a colour scale (a legend's gradient) should use: in palette modes the
    /// entry nearest in CIELAB, which keeps the scale's hues (RGB-nearest, what `displayed`
    /// and the renderer use, turns blueRed's dark blue teal). Palette colours render as
    /// themselves, so this is what the terminal shows.
    public func scaleColor(_ c: RGB) -> RGB {
        switch self {
        case .trueColor, .mono: return c
        case .ansi256: return XtermPalette.rgb(index: XtermPalette.perceptualIndex(for: c))
        case .ansi16: return XtermPalette.rgb(index: XtermPalette.perceptualBasicIndex(for: c, count: 16))
        case .ansi8: return XtermPalette.rgb(index: XtermPalette.perceptualBasicIndex(for: c, count: 8))
        }
    }
}
