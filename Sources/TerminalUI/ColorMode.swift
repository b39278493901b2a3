/// How colours are written to the terminal.
///
/// Truecolor (`ESC[38;2;r;g;bm`) only where the terminal says it understands it; otherwise
/// the xterm 256-colour palette (`ESC[38;5;nm`), which every terminal of the last 20 years
/// and tmux's default TERM accept. Writing 24-bit colours to a terminal that does not parse
/// them shows garbage colours, so the fallback is the safe default.
public enum ColorMode: String, Hashable, Sendable, CaseIterable {
    case trueColor = "truecolor"
    case ansi256 = "256"

    /// The environment variable that overrides detection (`truecolor`/`24bit` or `256`).
    public static let overrideVariable = "RAM_COLOR"

    /// Decides the mode, in order of precedence:
    /// 1. `override` (a command-line flag), then `RAM_COLOR` in the environment;
    /// 2. `COLORTERM` = `truecolor` or `24bit` (what terminals and ssh with SendEnv set);
    /// 3. the terminfo `RGB` flag (`terminfoRGB`, read by the ncurses backend after
    ///    initialisation; nil when unknown);
    /// 4. a TERM ending in `-direct` (xterm-direct, tmux-direct, …);
    /// otherwise 256 colours.
    public static func detect(
        environment: [String: String], terminfoRGB: Bool? = nil, override: ColorMode? = nil
    ) -> ColorMode {
        if let override { return override }
        if let forced = environment[overrideVariable].flatMap(ColorMode.init(name:)) { return forced }
        if let colorterm = environment["COLORTERM"]?.lowercased(), colorterm == "truecolor" || colorterm == "24bit" {
            return .trueColor
        }
        if terminfoRGB == true { return .trueColor }
        if let term = environment["TERM"], term.hasSuffix("-direct") { return .trueColor }
        return .ansi256
    }

    /// Parses the names a user would type: "truecolor", "24bit", "direct", "256".
    public init?(name: String) {
        switch name.lowercased() {
        case "truecolor", "24bit", "24-bit", "direct", "rgb": self = .trueColor
        case "256", "ansi256", "256color": self = .ansi256
        default: return nil
        }
    }

    /// The colour a cell will really show in this mode.
    @inlinable public func displayed(_ c: RGB) -> RGB {
        self == .trueColor ? c : XtermPalette.quantize(c)
    }
}
