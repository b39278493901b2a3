import Imaging
import RAMModel
import TerminalUI

/// What the session is about, for the panel and the status line.
public struct SessionInfo: Hashable, Sendable {
    /// e.g. "astronaut.png + noise:25".
    public var inputName: String
    public var referenceName: String?
    /// The weights file's name and a one-line summary of its configuration.
    public var modelName: String
    public var modelSummary: String
    /// The second model's file name (`--compare`), nil without one.
    public var secondModelName: String?
    /// The restorer's tiling, so the UI knows the tile count before the first tile is done.
    public var tiling: Tiling
    /// How the restorer restores the input ("one pass", "streamed in …"), for the panel.
    public var restorePlan: String?
    /// Steps the restoration reports for the input's size, when known (else the tile count).
    public var restoreSteps: Int?
    /// Where the image is in the list `ram view A B dir/` opened (nil: one image).
    public var position: ListPosition?

    public init(
        inputName: String, referenceName: String? = nil, modelName: String, modelSummary: String,
        tiling: Tiling = Tiling()
    ) {
        self.inputName = inputName
        self.referenceName = referenceName
        self.modelName = modelName
        self.modelSummary = modelSummary
        self.tiling = tiling
    }
}

/// The degradation the viewer applied to the clean image (`--degrade`, the demo), which `d`
/// and `D` change: the clean image is the reference.
public struct OnTheFlyDegradation: Equatable, Sendable {
    /// The clean image's name ("astronaut.png").
    public var baseName: String
    public var degradation: Degradation
    public var seed: UInt64

    public init(baseName: String, degradation: Degradation, seed: UInt64) {
        self.baseName = baseName
        self.degradation = degradation
        self.seed = seed
    }

    /// Three strengths per kind (mild, medium, strong); medium is `Degradation.standardFive`'s.
    public static func levels(of kind: Degradation) -> [Degradation] {
        switch kind {
        case .noise: return [.noise(sigma: 15), .noise(sigma: 25), .noise(sigma: 50)]
        case .rain: return [.rain(level: RainRecipe.light), .rain(level: RainRecipe.medium), .rain(level: RainRecipe.heavy)]
        case .haze: return [.haze(beta: 0.6), .haze(beta: 1.2), .haze(beta: 1.8)]
        case .blur: return [.blur(length: 7, angle: 30), .blur(length: 15, angle: 30), .blur(length: 25, angle: 30)]
        case .lowlight: return [.lowlight(level: 0.25), .lowlight(level: 0.5), .lowlight(level: 0.75)]
        }
    }

    /// The next kind of the five, at medium strength.
    public var nextKind: Degradation {
        let five = Degradation.standardFive
        let i = five.firstIndex { $0.name == degradation.name } ?? -1
        return five[(i + 1) % five.count]
    }

    /// The next strength of the same kind (strong wraps to mild); a strength that is not one
    /// of the three steps to medium.
    public var nextStrength: Degradation {
        let levels = Self.levels(of: degradation)
        guard let i = levels.firstIndex(of: degradation) else { return levels[1] }
        return levels[(i + 1) % levels.count]
    }
}

/// A restoration's preview: the image tiles are painted into, held by reference so that a
/// tile changes it in place. The loop keeps a copy of the last drawn state (to draw only on a
/// change); with the image held by value, that copy would make every tile copy the whole
/// image (37 MB at 2048×1536). A state copy shares the buffer but keeps its own version, and
/// compares by version; an image taken out (`versioned`) is a value: the next tile copies
/// the pixels rather than change it.
struct PreviewImage: Equatable {
    final class Buffer {
        var image: RGBImage
        init(_ image: RGBImage) { self.image = image }
    }

    let buffer: Buffer
    let version: Int

    init(buffer: Buffer, version: Int) {
        self.buffer = buffer
        self.version = version
    }

    init(_ image: Versioned<RGBImage>) {
        self.init(buffer: Buffer(image.value), version: image.version)
    }

    var versioned: Versioned<RGBImage> { Versioned(buffer.image, version: version) }

    static func == (a: PreviewImage, b: PreviewImage) -> Bool { a.version == b.version }
}

/// What a drag moves.
public enum MouseDrag: Hashable, Sendable {
    case divider
    case cursor
}

/// PSNR (dB) and SSIM of an image against the reference.
public struct Scores: Hashable, Sendable {
    public var psnr: Double
    public var ssim: Double

    public init(psnr: Double, ssim: Double) {
        self.psnr = psnr
        self.ssim = ssim
    }
}

/// Everything the viewer shows, owned by the loop and changed only by `update`
/// (bubbletea's model). Equatable cheaply: images and tap tensors are `Versioned`.
public struct ViewerState: Equatable {
    // The images. `restored` is the preview while tiles arrive (the dimmed input with the
    // finished tiles pasted in), then the blended result.
    public var info: SessionInfo
    public var input: Versioned<RGBImage>
    public var reference: Versioned<RGBImage>?
    public var restored: Versioned<RGBImage>? {
        get { restoredPreview?.versioned }
        set { restoredPreview = newValue.map(PreviewImage.init) }
    }
    /// The storage behind `restored`: tiles are painted into it in place (`paint`).
    var restoredPreview: PreviewImage?
    public var restoredComplete = false
    /// The tiles of the running (or stopped) restoration pasted into the preview so far: the
    /// readout shows restored values only inside them.
    public var restoredTiles: [PixelRect] = []
    public var inputScores: Scores?
    public var restoredScores: Scores?
    /// The same for the second model (`--compare`).
    public var restoredB: Versioned<RGBImage>? {
        get { restoredPreviewB?.versioned }
        set { restoredPreviewB = newValue.map(PreviewImage.init) }
    }
    var restoredPreviewB: PreviewImage?
    /// The complete first paint of the restoration, kept when the exact result starts.
    public var firstPaint: Versioned<RGBImage>?
    /// The input restored with per-tile statistics (computed when that error map is asked for).
    public var perTile: Versioned<RGBImage>?
    public var restoredBComplete = false
    public var restoredBScores: Scores?
    /// The network's blocks, in forward order (the feature view's picker).
    public var blocks: [BlockInfo]

    // What is on screen.
    public var mode: ViewMode = .compare
    public var compare = CompareSettings()
    public var features = FeatureSettings()
    public var errorMap = ErrorSettings()
    public var viewport: Viewport
    public var size: TerminalSize
    public var showHelp = false
    /// The side panel: nil follows the width (shown from `ScreenLayout.panelFromCols`), true
    /// or false as toggled with the panel key.
    public var panelVisible: Bool?
    /// The on-the-fly degradation `d`/`D` change (nil: the input came degraded).
    public var onTheFly: OnTheFlyDegradation?
    /// The re-degradation being computed (its result replaces the input).
    public var degradeJob: JobID?
    /// What a held left button is dragging: the split divider or the cursor.
    public var mouseDrag: MouseDrag?
    /// Where `w` writes its PNGs (`--out-dir`, else the current directory).
    public var saveDirectory = "."
    /// One line of feedback for the last action or event ("cancelled", "no reference").
    public var status = ""

    // Results of background jobs.
    /// Taps of the most recently computed blocks, newest last (revisiting one is instant).
    public var featureData: [Versioned<FeatureData>] = []
    public static let featureCacheSize = 4
    /// One entry per degradation of `Degradation.standardFive`; nil until computed.
    public var grid: [Versioned<GridCell>?]
    public var jobs = Jobs()
    public var nextID = 1
    public var quitRequested = false
    /// The process's exit status when the loop ends: 0 for quit, 130 for C-c (interrupted,
    /// as for SIGINT).
    public var exitStatus: Int32 = 0
    /// Feature jobs asked for and the input version they were asked for: their taps are kept
    /// when they arrive for the same input, even if the job was superseded or cancelled.
    public var featureRequests: [JobID: Int] = [:]
    /// The region of the running feature job (nil: the whole image).
    public var featureJobRegion: RAMModel.PixelRect?

    public init(
        info: SessionInfo, input: RGBImage, reference: RGBImage? = nil, blocks: [BlockInfo],
        size: TerminalSize = TerminalSize(cols: 120, rows: 40), inputScores: Scores? = nil
    ) {
        self.info = info
        self.input = Versioned(input, version: 0)
        self.blocks = blocks
        self.size = size
        self.inputScores = inputScores
        self.viewport = Viewport(zoom: .fit, cursorX: input.width / 2, cursorY: input.height / 2)
        self.grid = [Versioned<GridCell>?](repeating: nil, count: Degradation.standardFive.count)
        if let reference { self.reference = Versioned(reference, version: 0) } else { errorMap.kind = .restoredVsInput }
        self.restored = nil
    }

    /// Pastes a finished tile into a preview in place, under a new version.
    mutating func paint(_ tile: TileProgress, into preview: WritableKeyPath<ViewerState, PreviewImage?>) {
        guard let p = self[keyPath: preview] else { return }
        paste(tile.restored, at: tile.rect, into: &p.buffer.image)
        self[keyPath: preview] = PreviewImage(buffer: p.buffer, version: nextVersion())
    }

    /// A fresh id for a job or an image version.
    public mutating func nextVersion() -> Int {
        defer { nextID += 1 }
        return nextID
    }

    public var hasReference: Bool { reference != nil }

    /// How many models restore the input: 2 with a second model (`--weights` twice).
    public var models: Int { info.secondModelName == nil ? 1 : 2 }

    /// The two images the error map compares (a − b), nil while one is missing: the
    /// restored image against the reference or the input, or the input against the reference.
    public var errorPair: (a: Versioned<RGBImage>, b: Versioned<RGBImage>)? {
        switch errorMap.kind {
        case .restoredVsReference:
            guard let r = restored, let ref = reference else { return nil }
            return (r, ref)
        case .restoredVsInput:
            guard let r = restored else { return nil }
            return (r, input)
        case .signed:
            guard let r = restored else { return nil }
            return (r, reference ?? input)
        case .inputVsReference:
            guard let ref = reference else { return nil }
            return (input, ref)
        case .restoredVsRestoredB:
            guard let r = restored, let rb = restoredB else { return nil }
            return (r, rb)
        case .restoredVsFirstPaint:
            guard let r = restored, let f = firstPaint else { return nil }
            return (r, f)
        case .restoredVsPerTile:
            guard let r = restored, restoredComplete, let p = perTile else { return nil }
            return (r, p)
        }
    }

    /// The screen's regions for the current size and panel setting (nil: too small).
    public var layout: ScreenLayout? { ScreenLayout.compute(size, panel: panelVisible) }

    /// Whether input pixel (x, y) of the preview holds a restored value (a finished tile, or
    /// the whole image once the restoration is complete).
    public func isRestored(x: Int, y: Int) -> Bool {
        if restoredComplete { return restored != nil }
        return restoredTiles.contains { x >= $0.x && y >= $0.y && x < $0.x + $0.width && y < $0.y + $0.height }
    }

    /// The image in a role, when there is one (restored: the preview so far).
    public func image(_ role: ImageRole) -> Versioned<RGBImage>? {
        switch role {
        case .input: return input
        case .restored: return restored
        case .restoredB: return restoredB
        case .reference: return reference
        }
    }

    /// The roles that have an image to show.
    public var availableRoles: [ImageRole] {
        ImageRole.allCases.filter { image($0) != nil }
    }

    /// The taps of the block the feature view shows, when computed.
    public var currentFeatures: Versioned<FeatureData>? {
        guard let block = currentBlock else { return nil }
        return featureData.last { $0.value.block == block.name }
    }

    public var currentBlock: BlockInfo? {
        blocks.indices.contains(features.blockIndex) ? blocks[features.blockIndex] : nil
    }

    /// Where the grid's columns and rows are (a row per model).
    func gridLayout(_ layout: ScreenLayout) -> GridLayout {
        let w = input.value.width, h = input.value.height
        return GridLayout(
            content: layout.content, count: grid.count, imageAspect: Double(h) / Double(max(w, 1)),
            models: models)
    }

    /// The clean image the grid degrades: the reference, else the input itself.
    public var gridSource: RGBImage { reference?.value ?? input.value }
}
