import TensorCore

// Error maps (|restored − reference|, |restored − input|, signed) and, more generally, any
// scalar field (a GatedDA feature-map channel) turned into a colour image with a legend.
//
// The pipeline is three pure steps, each usable alone:
//   values  = ErrorMap.absoluteDifference(a, b)        // (H·W) planar floats
//   range   = valueRange(values, robust: true)          // what the colours span
//   image   = colorize(values, width:, height:, colormap:, range:)
// `ErrorMap.render` runs them with a style (amplification, symmetric ranges for signed
// data) and returns the range actually displayed, for the caller to print.

/// How three channel differences become one value per pixel.
public enum ChannelReduction: Sendable {
    /// (|dr| + |dg| + |db|) / 3
    case mean
    /// max(|dr|, |dg|, |db|): no error hides in a single channel.
    case max
}

/// Where the colour scale's ends come from.
public enum ValueNormalization: Sendable, Equatable {
    /// A given range (e.g. 0...1 for absolute errors, so maps of different images compare).
    case fixed(ClosedRange<Float>)
    /// The smallest and largest value.
    case minMax
    /// The 1st and 99th percentiles: a few outliers do not wash out the rest.
    case robust
}

public struct ErrorMapStyle: Sendable {
    public enum Kind: Sendable {
        /// |a − b| per pixel, reduced over channels.
        case absolute(ChannelReduction)
        /// a − b per pixel, averaged over channels; the range is made symmetric about 0.
        case signed
    }

    public var kind: Kind
    public var normalization: ValueNormalization
    /// Values are shown `amplification` times stronger: the displayed range shrinks by that
    /// factor towards its low end (absolute) or towards 0 (signed); values beyond saturate.
    public var amplification: Float
    /// Default: viridis for absolute maps, blueRed for signed ones.
    public var colormap: Colormap

    public init(
        kind: Kind = .absolute(.mean), normalization: ValueNormalization = .robust, amplification: Float = 1,
        colormap: Colormap? = nil
    ) {
        precondition(amplification > 0, "amplification must be positive")
        self.kind = kind
        self.normalization = normalization
        self.amplification = amplification
        if let colormap {
            self.colormap = colormap
        } else if case .signed = kind {
            self.colormap = .blueRed
        } else {
            self.colormap = .viridis
        }
    }
}

/// A rendered error map: the picture, the per-pixel values behind it, and the value range the
/// colormap spans (after amplification), which callers print next to the legend.
public struct ErrorMapResult: Sendable {
    public var image: RGBImage
    /// (H·W) values, row-major.
    public var values: [Float]
    public var range: ClosedRange<Float>
}

public enum ErrorMap {
    /// |a − b| per pixel, (H·W). Sizes must agree.
    public static func absoluteDifference(_ a: RGBImage, _ b: RGBImage, reduction: ChannelReduction = .mean)
        -> [Float]
    {
        checkSizes(a, b)
        let n = a.plane
        var out = [Float](repeating: 0, count: n)
        for i in 0..<n {
            let dr = abs(a.pixels[i] - b.pixels[i])
            let dg = abs(a.pixels[n + i] - b.pixels[n + i])
            let db = abs(a.pixels[2 * n + i] - b.pixels[2 * n + i])
            switch reduction {
            case .mean: out[i] = (dr + dg + db) / 3
            case .max: out[i] = Swift.max(dr, dg, db)
            }
        }
        return out
    }

    /// (a − b) per pixel averaged over channels, (H·W): positive where a is brighter.
    public static func signedDifference(_ a: RGBImage, _ b: RGBImage) -> [Float] {
        checkSizes(a, b)
        let n = a.plane
        var out = [Float](repeating: 0, count: n)
        for i in 0..<n {
            out[i] = ((a.pixels[i] - b.pixels[i]) + (a.pixels[n + i] - b.pixels[n + i])
                + (a.pixels[2 * n + i] - b.pixels[2 * n + i])) / 3
        }
        return out
    }

    /// The displayed range for `range` amplified by `gain`: lo...lo + (hi − lo)/gain, or, for
    /// signed data, −m/gain...m/gain with m = max(|lo|, |hi|).
    public static func amplified(_ range: ClosedRange<Float>, by gain: Float, signed: Bool) -> ClosedRange<Float> {
        precondition(gain > 0, "amplification must be positive")
        if signed {
            let m = Swift.max(abs(range.lowerBound), abs(range.upperBound)) / gain
            return -m...m
        }
        return range.lowerBound...(range.lowerBound + (range.upperBound - range.lowerBound) / gain)
    }

    /// The error map of `a` against `b` (e.g. restored against reference).
    public static func render(_ a: RGBImage, _ b: RGBImage, style: ErrorMapStyle = ErrorMapStyle()) -> ErrorMapResult {
        let values: [Float]
        let signed: Bool
        switch style.kind {
        case .absolute(let reduction):
            values = absoluteDifference(a, b, reduction: reduction)
            signed = false
        case .signed:
            values = signedDifference(a, b)
            signed = true
        }
        let base: ClosedRange<Float>
        switch style.normalization {
        case .fixed(let r): base = r
        case .minMax: base = valueRange(values, robust: false)
        case .robust: base = valueRange(values, robust: true)
        }
        let range = amplified(base, by: style.amplification, signed: signed)
        let image = colorize(values, width: a.width, height: a.height, colormap: style.colormap, range: range)
        return ErrorMapResult(image: image, values: values, range: range)
    }

    private static func checkSizes(_ a: RGBImage, _ b: RGBImage) {
        precondition(a.width == b.width && a.height == b.height,
                     "error map of \(a.width)x\(a.height) against \(b.width)x\(b.height)")
    }
}

/// The smallest and largest finite value (`robust: false`), or the 1st and 99th percentiles
/// (`robust: true`, linear interpolation between ranks, as numpy's default). NaN and
/// infinities are ignored; no finite value gives 0...0.
public func valueRange(_ values: [Float], robust: Bool) -> ClosedRange<Float> {
    if !robust {
        var lo = Float.infinity, hi = -Float.infinity
        for v in values where v.isFinite {
            lo = min(lo, v)
            hi = max(hi, v)
        }
        return lo <= hi ? lo...hi : 0...0
    }
    let sorted = values.filter { $0.isFinite }.sorted()
    guard !sorted.isEmpty else { return 0...0 }
    func percentile(_ p: Double) -> Float {
        let rank = p * Double(sorted.count - 1)
        let i = Int(rank.rounded(.down))
        let f = Float(rank - Double(i))
        return i + 1 < sorted.count ? sorted[i] + f * (sorted[i + 1] - sorted[i]) : sorted[i]
    }
    return percentile(0.01)...percentile(0.99)
}

/// Colours a (height, width) row-major scalar field: `range` maps onto the colormap's ends,
/// values outside saturate. A degenerate range (lo == hi) shows values equal to it at the
/// colormap's bottom, or its middle for a diverging map (so "all zero" reads as zero).
public func colorize(
    _ values: [Float], width: Int, height: Int, colormap: Colormap, range: ClosedRange<Float>
) -> RGBImage {
    precondition(values.count == width * height, "\(values.count) values for \(width)x\(height)")
    let n = width * height
    let lo = range.lowerBound, span = range.upperBound - range.lowerBound
    let flat: Float = colormap.isDiverging ? 0.5 : 0
    var pixels = [Float](repeating: 0, count: 3 * n)
    // One float colour per table entry, so the loop is a lookup.
    let lut = (0..<256).map { i in colormap.mapFloat((Float(i) + 0.5) / 256) }
    for i in 0..<n {
        let v = values[i]
        let t: Float = span > 0 ? (v - lo) / span : (v > lo ? 1 : (v < lo ? 0 : flat))
        let c = lut[Colormap.index(t)]
        pixels[i] = c.r
        pixels[n + i] = c.g
        pixels[2 * n + i] = c.b
    }
    return RGBImage(width: width, height: height, pixels: pixels)
}

/// One channel of a (C, H, W) tensor (e.g. a GatedDA γ tap) through `colorize`.
public func colorize(_ tensor: Tensor, channel: Int, colormap: Colormap, range: ClosedRange<Float>) -> RGBImage {
    precondition(channel >= 0 && channel < tensor.channels, "channel \(channel) of \(tensor.channels)")
    let p = tensor.plane
    return colorize(Array(tensor.data[(channel * p)..<((channel + 1) * p)]), width: tensor.width,
                    height: tensor.height, colormap: colormap, range: range)
}
