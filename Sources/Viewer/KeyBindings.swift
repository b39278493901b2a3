import TerminalUI

/// One row of the key table: the keys, how the help overlay names them, what they do.
/// `scope` nil means every view; otherwise only that view (so `[` `]` can move the divider
/// in compare and change an opacity elsewhere).
public struct KeyBinding: Sendable {
    public var keys: [Key]
    public var label: String
    public var help: String
    public var scope: ViewMode?
    public var action: Action

    public init(_ keys: [Key], _ label: String, _ help: String, scope: ViewMode? = nil, _ action: Action) {
        self.keys = keys
        self.label = label
        self.help = help
        self.scope = scope
        self.action = action
    }
}

/// The one key table: `update` looks keys up here and the `?` overlay renders it, so the
/// help can never disagree with what the keys do.
public enum KeyBindings {
    private static func c(_ s: String) -> [Key] { s.map { Key.char($0) } }

    public static let table: [KeyBinding] = [
        KeyBinding(c("1"), "1 2 3 4", "compare / features / error / grid", .show(.compare)),
        KeyBinding(c("2"), "", "", .show(.features)),
        KeyBinding(c("3"), "", "", .show(.error)),
        KeyBinding(c("4"), "", "", .show(.grid)),
        KeyBinding([.tab], "Tab S-Tab", "next / previous view", .nextView(1)),
        KeyBinding([.backTab], "", "", .nextView(-1)),
        KeyBinding(c(".") + [.pageDown], ". , PgDn PgUp", "next / previous image (ram view A B dir/)", .nextImage(1)),
        KeyBinding(c(",") + [.pageUp], "", "", .nextImage(-1)),
        KeyBinding([.left] + c("h"), "←↓↑→ hjkl", "move the cursor (pans when zoomed)", .pan(dx: -1, dy: 0, fast: false)),
        KeyBinding([.down] + c("j"), "", "", .pan(dx: 0, dy: 1, fast: false)),
        KeyBinding([.up] + c("k"), "", "", .pan(dx: 0, dy: -1, fast: false)),
        KeyBinding([.right] + c("l"), "", "", .pan(dx: 1, dy: 0, fast: false)),
        KeyBinding(c("H"), "HJKL", "move ×8", .pan(dx: -1, dy: 0, fast: true)),
        KeyBinding(c("J"), "", "", .pan(dx: 0, dy: 1, fast: true)),
        KeyBinding(c("K"), "", "", .pan(dx: 0, dy: -1, fast: true)),
        KeyBinding(c("L"), "", "", .pan(dx: 1, dy: 0, fast: true)),
        KeyBinding(c("+="), "+ -", "zoom in / out (1/4× … 8×)", .zoomIn),
        KeyBinding(c("-"), "", "", .zoomOut),
        KeyBinding(c("0"), "0 z", "fit / cycle fit → 1:1 → 2× → 4×", .zoomFit),
        KeyBinding(c("z"), "", "", .zoomCycle),
        KeyBinding(c("r"), "r", "restore again (new job)", .restoreAgain),
        KeyBinding([.escape] + c("c"), "Esc c", "cancel running jobs", .cancelJobs),
        KeyBinding(c("d"), "d D", "degradation: next kind / next strength (--degrade)", .nextDegradation),
        KeyBinding(c("D"), "", "", .degradationStrength),
        KeyBinding(c("p"), "p", "side panel on / off (narrow: summary in the status line)", .togglePanel),
        KeyBinding(c("w"), "w", "write the view as a PNG at the image's resolution", .saveView),
        KeyBinding([.ctrl("l")], "C-l", "redraw the screen", .redraw),
        KeyBinding(c("?") + [.f(1)], "? F1", "this help (any key closes it)", .toggleHelp),
        KeyBinding(c("q"), "q", "quit", .quit),
        KeyBinding([.ctrl("c")], "C-c", "interrupt: quit with exit status 130", .interrupt),

        KeyBinding(c("s"), "s", "split → side by side → flicker", scope: .compare, .cycleCompareStyle),
        KeyBinding(c("a"), "a", "image A: input → restored → reference", scope: .compare, .cycleA),
        KeyBinding(c("b"), "b", "image B", scope: .compare, .cycleB),
        KeyBinding(c("x"), "x", "swap A and B", scope: .compare, .swapAB),
        KeyBinding(c("[<"), "[ ]", "move the divider (split)", scope: .compare, .moveDivider(-0.05)),
        KeyBinding(c("]>"), "", "", scope: .compare, .moveDivider(0.05)),
        KeyBinding(c(" "), "Space", "flicker: pause (flips once) / resume", scope: .compare, .flipNow),

        KeyBinding(c("b"), "b B", "next / previous block", scope: .features, .nextBlock(1)),
        KeyBinding(c("B"), "", "", scope: .features, .nextBlock(-1)),
        KeyBinding(c("g"), "g G", "branch γ → β → α′ → out → attn", scope: .features, .nextBranch(1)),
        KeyBinding(c("G"), "", "", scope: .features, .nextBranch(-1)),
        KeyBinding(c("n"), "n N", "next / previous channel", scope: .features, .nextChannel(1)),
        KeyBinding(c("N"), "", "", scope: .features, .nextChannel(-1)),
        KeyBinding(c("m"), "m", "mean |x| → max → channel", scope: .features, .cycleSelection),
        KeyBinding(c("o"), "o", "normalise min–max / robust 1–99%", scope: .features, .cycleNormalization),
        KeyBinding(c("v"), "v", "colormap viridis → magma → turbo", scope: .features, .cycleColormap),
        KeyBinding(c("t"), "t", "blend over the input on / off", scope: .features, .toggleBlend),
        KeyBinding(c("[<"), "[ ]", "blend opacity", scope: .features, .blendOpacity(-0.1)),
        KeyBinding(c("]>"), "", "", scope: .features, .blendOpacity(0.1)),

        KeyBinding(c("e"), "e", "|rest−ref| → |rest−input| → signed → |input−ref| (→ |rest−B|, |rest−first paint|) → |rest−per-tile|", scope: .error, .cycleErrorKind),
        KeyBinding(c("a"), "a A", "amplify ×2 / ÷2", scope: .error, .amplify(1)),
        KeyBinding(c("A"), "", "", scope: .error, .amplify(-1)),
        KeyBinding(c("v"), "v", "colormap magma → viridis → turbo (|Δ| maps)", scope: .error, .cycleColormap),
        KeyBinding(c("[<"), "[ ]", "overlay opacity", scope: .error, .errorOpacity(-0.25)),
        KeyBinding(c("]>"), "", "", scope: .error, .errorOpacity(0.25)),
    ]

    /// The action for `key` in `mode`: a binding scoped to the view first, then a global one.
    public static func action(for key: Key, in mode: ViewMode) -> Action? {
        if let b = table.first(where: { $0.scope == mode && $0.keys.contains(key) }) { return b.action }
        return table.first(where: { $0.scope == nil && $0.keys.contains(key) })?.action
    }

    /// Rows for the help overlay: the view's own keys, then the global ones. Bindings with
    /// an empty label are the second half of a pair already described by the row above.
    public static func helpRows(for mode: ViewMode) -> [(keys: String, description: String)] {
        let scoped = table.filter { $0.scope == mode && !$0.label.isEmpty }
        let global = table.filter { $0.scope == nil && !$0.label.isEmpty }
        var rows: [(keys: String, description: String)] = []
        if !scoped.isEmpty {
            rows.append(("", "— \(mode.title) view —"))
            rows += scoped.map { ($0.label, $0.help) }
            rows.append(("", "— every view —"))
        }
        return rows + global.map { ($0.label, $0.help) }
    }

    /// The README's keys table (Markdown), from the same rows as the help overlay:
    /// `ram view --keys` prints it; a test keeps README.md equal to it.
    public static func markdown() -> String {
        var out = ["| keys | view | what they do |", "|---|---|---|"]
        for b in table where !b.label.isEmpty {
            let keys = b.label.split(separator: " ").map { "`\($0.replacingOccurrences(of: "|", with: "\\|"))`" }
                .joined(separator: " ")
            out.append("| \(keys) | \(b.scope?.title ?? "all") | \(b.help.replacingOccurrences(of: "|", with: "\\|")) |")
        }
        return out.joined(separator: "\n") + "\n"
    }
}
