import Foundation
import RAMModel
import TerminalUI

/// Number and name formatting shared by the panel, the status line and captions.
enum Format {
    static func seconds(_ s: Double) -> String {
        s < 10 ? String(format: "%.2f s", s) : String(format: "%.1f s", s)
    }

    /// The status line's note of the do-no-harm guard, when it took back a visible share of the
    /// network's change: " · guard kept 12 % of a 1.3/255 change".
    static func guardNote(_ o: ChangeGuard.Outcome?) -> String {
        guard let o, o.weight < 0.99 else { return "" }
        return " · " + o.summary
    }

    static func psnr(_ v: Double) -> String {
        v.isFinite ? String(format: "%.2f dB", v) : "∞ dB"
    }

    /// SSIM is undefined (NaN) for images smaller than its 11×11 window: "n/a".
    static func ssim(_ v: Double) -> String { v.isFinite ? String(format: "%.4f", v) : "n/a" }

    /// "28.31 dB / 0.8123"
    static func scores(_ s: Scores?) -> String {
        guard let s else { return "—" }
        return "\(psnr(s.psnr)) / \(ssim(s.ssim))"
    }

    /// A value for a legend or readout: 3 significant digits, no exponent for ordinary sizes.
    static func value(_ v: Float) -> String {
        if v == 0 { return "0" }
        if !v.isFinite { return "\(v)" }
        let a = abs(v)
        if a >= 1000 || a < 0.001 { return String(format: "%.2e", v) }
        return String(format: "%.3g", v)
    }

    static func percent(_ f: Float) -> String { "\(Int((f * 100).rounded()))%" }

    static func zoom(_ z: Zoom, fitScale: Double?) -> String {
        switch z {
        case .fit:
            guard let fitScale else { return "fit" }
            return String(format: "fit (%.2g×)", fitScale)
        case .scale: return z.description
        }
    }

    static func key(_ k: Key) -> String {
        switch k {
        case .char(" "): return "Space"
        case .char(let c): return String(c)
        case .up: return "↑"
        case .down: return "↓"
        case .left: return "←"
        case .right: return "→"
        case .pageUp: return "PgUp"
        case .pageDown: return "PgDn"
        case .home: return "Home"
        case .end: return "End"
        case .insert: return "Ins"
        case .delete: return "Del"
        case .enter: return "Enter"
        case .escape: return "Esc"
        case .tab: return "Tab"
        case .backTab: return "S-Tab"
        case .backspace: return "Backspace"
        case .f(let n): return "F\(n)"
        case .ctrl(let c): return "C-\(c)"
        }
    }

    /// "0.42 0.51 0.33" for an RGB sample.
    static func rgb(_ r: Float, _ g: Float, _ b: Float) -> String {
        String(format: "%.2f %.2f %.2f", r, g, b)
    }
}
