import Imaging
import RAMModel

/// The four views. Each keeps its own settings in `ViewerState` (so switching away and back
/// finds them as they were); zoom and cursor are shared by all.
public enum ViewMode: Int, CaseIterable, Hashable, Sendable {
    case compare, features, error, grid

    public var title: String {
        switch self {
        case .compare: return "Compare"
        case .features: return "Features"
        case .error: return "Error"
        case .grid: return "Grid"
        }
    }
}

/// The three images a compare view can show.
public enum ImageRole: Int, CaseIterable, Hashable, Sendable {
    case input, restored, restoredB, reference

    public var name: String {
        switch self {
        case .input: return "input"
        case .restored: return "restored"
        case .restoredB: return "restored by B"
        case .reference: return "reference"
        }
    }
}

/// Compare: A and B split by a movable divider, side by side, or alternating (flicker).
public struct CompareSettings: Hashable, Sendable {
    public enum Style: Int, CaseIterable, Hashable, Sendable {
        case split, sideBySide, flicker

        public var name: String {
            switch self {
            case .split: return "split"
            case .sideBySide: return "side by side"
            case .flicker: return "flicker"
            }
        }
    }

    public var style: Style = .split
    public var a: ImageRole = .input
    public var b: ImageRole = .restored
    /// Where the divider sits, as a fraction of the image's width on screen.
    public var divider: Double = 0.5
    /// Flicker: whether B is showing, and when the last flip happened (tick clock, seconds).
    public var showingB = false
    public var lastFlip: Double? = nil
    public var flickerPaused = false

    /// Seconds each image stays up in flicker mode.
    public static let flickerPeriod = 0.6

    public init() {}
}

/// How a feature map's values become colours.
public enum MapNormalization: Int, CaseIterable, Hashable, Sendable {
    /// min … max of the map.
    case minMax
    /// 1st … 99th percentile.
    case robust

    public var name: String { self == .minMax ? "min–max" : "robust 1–99%" }
}

/// What one pixel of a feature map shows: one channel or an aggregate over all channels.
public enum FeatureSelection: Hashable, Sendable {
    case channel(Int)
    case meanAbs
    case max

    public var name: String {
        switch self {
        case .channel(let c): return "channel \(c)"
        case .meanAbs: return "mean |x|"
        case .max: return "max"
        }
    }
}

extension TapBranch {
    /// The paper's symbol: γ (gate, after the sigmoid), β, α′, out (GatedDA output), attn.
    public var symbol: String {
        switch self {
        case .gamma: return "γ"
        case .beta: return "β"
        case .alpha: return "α′"
        case .out: return "out"
        case .attn: return "attn"
        }
    }

    public var longName: String {
        switch self {
        case .gamma: return "γ gate σ(γ)"
        case .beta: return "β"
        case .alpha: return "α′ (dwconv·τ)"
        case .out: return "GatedDA out"
        case .attn: return "attention out"
        }
    }
}

/// Feature-map view: which GatedDA instance and branch, which channel or aggregate, how to
/// normalise and colour, and whether to blend over the input.
public struct FeatureSettings: Hashable, Sendable {
    public var blockIndex = 0
    public var branch: TapBranch = .gamma
    public var selection: FeatureSelection = .meanAbs
    public var normalization: MapNormalization = .robust
    public var colormap: Colormap = .viridis
    public var blend = false
    /// Weight of the map when blended over the input.
    public var blendOpacity: Float = 0.6

    public static let colormaps: [Colormap] = [.viridis, .magma, .turbo]

    public init() {}
}

/// Error-map view: which difference, how much amplified, and how opaque over the image.
public struct ErrorSettings: Hashable, Sendable {
    public enum Kind: Int, CaseIterable, Hashable, Sendable {
        /// |restored − reference|
        case restoredVsReference
        /// |restored − input|: what the network changed.
        case restoredVsInput
        /// restored − reference (restored − input without a reference), two-sided colormap.
        case signed
        /// |input − reference|: what the degradation did (needs no restored image).
        case inputVsReference
        /// |restored − restored by B|: where the two models disagree (`--compare`).
        case restoredVsRestoredB
        /// |restored − first paint|: what the exact result changed in the first paint (tiles
        /// with statistics pooled from crops).
        case restoredVsFirstPaint
        /// |restored − per-tile|: what restoring 256-px tiles independently changes (each
        /// tile adapting to itself instead of to the whole image).
        case restoredVsPerTile

        public var needsReference: Bool { self == .restoredVsReference || self == .inputVsReference }

        public func name(hasReference: Bool) -> String {
            switch self {
            case .restoredVsReference: return "|restored − reference|"
            case .restoredVsInput: return "|restored − input|"
            case .signed: return hasReference ? "restored − reference" : "restored − input"
            case .inputVsReference: return "|input − reference|"
            case .restoredVsRestoredB: return "|restored − restored by B|"
            case .restoredVsFirstPaint: return "|restored − first paint|"
            case .restoredVsPerTile: return "|restored − per-tile|"
            }
        }
    }

    public var kind: Kind = .restoredVsReference
    /// Values show this many times stronger (the colour scale spans 1/amplification of 0…1).
    public var amplification: Float = 4
    /// Weight of the error map over the restored image (1: the map alone).
    public var opacity: Float = 1
    /// Colormap for absolute maps (signed maps use the diverging blueRed).
    public var colormap: Colormap = .magma

    public static let amplifications: [Float] = [1, 2, 4, 8, 16, 32, 64]

    public init() {}
}
