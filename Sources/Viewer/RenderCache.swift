import Imaging
import RAMModel
import TensorCore
import TerminalUI

/// What the views compute from the state and keep between frames, so that a frame that only
/// moves the cursor or the divider copies cells: encoded images (TerminalUI's cache), error
/// maps and coloured feature maps. Owned by the loop (not thread-safe). Every entry is keyed
/// by the versions of its inputs, so a cached value is never stale.
public final class RenderCache {
    public var colorMode: ColorMode
    let encoded: EncodedImageCache
    private var derived: [DerivedKey: DerivedMap] = [:]
    private var derivedOrder: [DerivedKey] = []
    private var blends: [BlendKey: EncodedImage] = [:]
    private var blendOrder: [BlendKey] = []

    public init(colorMode: ColorMode, capacity: Int = 64) {
        self.colorMode = colorMode
        self.encoded = EncodedImageCache(capacity: capacity)
    }

    /// Encode hits and misses so far (for tests and the latency log).
    public var encodeStats: (hits: Int, misses: Int) { (encoded.hits, encoded.misses) }

    /// The cells for `image` placed by `placement`; `pixelScale` is how many pixels of the
    /// placement's image one pixel of `image` covers (a feature map at 1/4: 4).
    func encode(_ image: RGBImage, id: AnyHashable, placement: ImagePlacement, pixelScale: Double = 1) -> EncodedImage {
        let source = pixelScale == 1 ? placement.source : placement.scaledSource(by: pixelScale)
        return encoded.encoded(
            image, id: id, source: source, cols: placement.dest.width, rows: placement.dest.height,
            mode: colorMode)
    }

    /// A map laid over a base, cell by cell: each colour is (1 − opacity)·base + opacity·map.
    /// Blending after the area resample equals resampling the blend (the filter is linear).
    func blend(
        base: EncodedImage, baseID: AnyHashable, map: EncodedImage, mapID: AnyHashable, opacity: Float,
        placement: ImagePlacement
    ) -> EncodedImage {
        if opacity >= 1 { return map }
        let key = BlendKey(base: baseID, map: mapID, opacity: opacity, placement: placement, mode: colorMode)
        if let hit = blends[key] { return hit }
        var cells = map.cells
        for i in cells.indices where i < base.cells.count {
            let b = base.cells[i]
            var m = cells[i]
            guard b.glyph == m.glyph, m.glyph != " " else { continue }
            m.fg = mix(b.fg, m.fg, opacity)
            m.bg = mix(b.bg, m.bg, opacity)
            cells[i] = m
        }
        let out = EncodedImage(cols: map.cols, rows: map.rows, cells: cells)
        blends[key] = out
        blendOrder.append(key)
        if blendOrder.count > 8 { blends[blendOrder.removeFirst()] = nil }
        return out
    }

    private func mix(_ a: RGB?, _ b: RGB?, _ t: Float) -> RGB? {
        guard let a, let b else { return b }
        let c = a.mix(b, t)
        return colorMode.displayed(c)
    }

    // MARK: Derived maps

    /// A coloured scalar map and the value range its colours span.
    struct DerivedMap {
        var image: RGBImage
        var range: ClosedRange<Float>
        var id: AnyHashable
    }

    enum DerivedKey: Hashable {
        case error(kind: ErrorSettings.Kind, restored: Int, other: Int, amplification: Float, colormap: Colormap)
        case feature(
            data: Int, branch: TapBranch, selection: FeatureSelection, normalization: MapNormalization,
            colormap: Colormap, model: Int)
    }

    private func derivedMap(_ key: DerivedKey, _ make: () -> (RGBImage, ClosedRange<Float>)) -> DerivedMap {
        if let hit = derived[key] { return hit }
        let (image, range) = make()
        let map = DerivedMap(image: image, range: range, id: AnyHashable(key))
        derived[key] = map
        derivedOrder.append(key)
        if derivedOrder.count > 6 { derived[derivedOrder.removeFirst()] = nil }
        return map
    }

    /// The error map of the current settings; nil until there is a restored image (and a
    /// reference, for |restored − reference|).
    func errorMap(_ state: ViewerState) -> DerivedMap? {
        guard let (restored, other) = state.errorPair else { return nil }
        let settings = state.errorMap
        let signed = settings.kind == .signed
        let cmap: Colormap = signed ? .blueRed : settings.colormap
        let key = DerivedKey.error(
            kind: settings.kind, restored: restored.version, other: other.version,
            amplification: settings.amplification, colormap: cmap)
        // The differences do not depend on amplification or colormap: keep them, so that
        // stepping those only recolours.
        let valuesKey = ValuesKey(kind: settings.kind, restored: restored.version, other: other.version)
        return derivedMap(key) {
            let values: [Float]
            if let hit = errorValues, hit.key == valuesKey {
                values = hit.values
            } else {
                values = signed ? ErrorMap.signedDifference(restored.value, other.value)
                    : ErrorMap.absoluteDifference(restored.value, other.value, reduction: .mean)
                errorValues = (valuesKey, values)
            }
            let range = ErrorMap.amplified(signed ? -1...1 : 0...1, by: settings.amplification, signed: signed)
            let w = restored.value.width, h = restored.value.height
            return (colorize(values, width: w, height: h, colormap: cmap, range: range), range)
        }
    }

    private struct ValuesKey: Equatable {
        var kind: ErrorSettings.Kind
        var restored: Int
        var other: Int
    }

    private var errorValues: (key: ValuesKey, values: [Float])?

    /// The coloured feature map of the current settings; nil until the block's taps exist.
    /// With two models, `mapB` is the second model's map of the same tap, coloured on the same
    /// scale: `map.range` is computed over the values of both maps.
    func featureMap(_ state: ViewerState) -> (map: DerivedMap, mapB: DerivedMap?, tap: Tensor, tapB: Tensor?, pixelScale: Double)? {
        guard let data = state.currentFeatures, let tap = data.value.taps[state.features.branch], tap.channels > 0 else {
            return nil
        }
        let s = state.features
        let tapB = data.value.tapsB?[s.branch].flatMap { $0.channels > 0 ? $0 : nil }
        let key = DerivedKey.feature(
            data: data.version, branch: s.branch, selection: s.selection,
            normalization: s.normalization, colormap: s.colormap, model: 0)
        let keyB = DerivedKey.feature(
            data: data.version, branch: s.branch, selection: s.selection,
            normalization: s.normalization, colormap: s.colormap, model: 1)
        let (map, mapB): (DerivedMap, DerivedMap?)
        if let hit = derived[key], tapB == nil || derived[keyB] != nil {
            (map, mapB) = (hit, derived[keyB])
        } else {
            let maps = FeatureRendering.colored(tap, tapB, s)
            // A region of a large image: its map placed on a canvas of the whole image.
            let level = FeatureMaps.scale(ofTap: data.value.block)
            let w = state.input.value.width, h = state.input.value.height
            map = derivedMap(key) { (data.value.canvas(maps.a, scale: level, width: w, height: h), maps.range) }
            mapB = maps.b.map { b in derivedMap(keyB) { (data.value.canvas(b, scale: level, width: w, height: h), maps.range) } }
        }
        let pixelScale = Double(FeatureMaps.scale(ofTap: data.value.block)) * data.value.imageScale
        return (map, mapB, tap, tapB, pixelScale)
    }
}

private struct BlendKey: Hashable {
    var base: AnyHashable
    var map: AnyHashable
    var opacity: Float
    var placement: ImagePlacement
    var mode: ColorMode
}

/// Feature-map values: one channel or an aggregate over channels, per pixel.
enum FeatureRendering {
    /// The map of `tap` (and of `tapB`, the second model's) coloured by `settings`, on one
    /// scale: the range is taken over the values of both maps together.
    static func colored(_ tap: Tensor, _ tapB: Tensor?, _ settings: FeatureSettings)
        -> (a: RGBImage, b: RGBImage?, range: ClosedRange<Float>)
    {
        let values = Self.values(tap, settings.selection)
        let valuesB = tapB.map { Self.values($0, settings.selection) }
        let range = valueRange(values + (valuesB ?? []), robust: settings.normalization == .robust)
        let a = colorize(values, width: tap.width, height: tap.height, colormap: settings.colormap, range: range)
        var b: RGBImage?
        if let t = tapB, let v = valuesB {
            b = colorize(v, width: t.width, height: t.height, colormap: settings.colormap, range: range)
        }
        return (a, b, range)
    }

    static func values(_ tap: Tensor, _ selection: FeatureSelection) -> [Float] {
        switch selection {
        case .channel(let c): return FeatureMaps.channel(tap, min(max(c, 0), tap.channels - 1))
        case .meanAbs: return FeatureMaps.aggregate(tap, .meanAbs)
        case .max: return FeatureMaps.aggregate(tap, .max)
        }
    }

    /// The value at map pixel (x, y).
    static func value(_ tap: Tensor, _ selection: FeatureSelection, x: Int, y: Int) -> Float? {
        guard x >= 0, y >= 0, x < tap.width, y < tap.height else { return nil }
        let i = y * tap.width + x
        switch selection {
        case .channel(let c): return tap.data[min(max(c, 0), tap.channels - 1) * tap.plane + i]
        case .meanAbs:
            var s: Float = 0
            for c in 0..<tap.channels { s += abs(tap.data[c * tap.plane + i]) }
            return s / Float(max(1, tap.channels))
        case .max:
            var m = -Float.infinity
            for c in 0..<tap.channels { m = max(m, tap.data[c * tap.plane + i]) }
            return m
        }
    }
}
