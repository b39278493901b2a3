import Imaging
import RAMModel
import TensorCore

/// One block of the network as the feature view lists it: its tap prefix and how many
/// channels each branch has (γ, β, out and attn have C = width/2, α′ has round(8C/3) − 2C).
public struct BlockInfo: Hashable, Sendable {
    public var name: String
    public var width: Int

    public init(name: String, width: Int) {
        self.name = name
        self.width = width
    }

    public func channels(_ branch: TapBranch) -> Int {
        let c = width / 2
        if branch == .alpha { return Int((8.0 * Double(c) / 3.0).rounded(.toNearestOrEven)) - 2 * c }
        return c
    }

    /// Downsampling factor of the block's level (taps are at that resolution).
    public var scale: Int { FeatureMaps.scale(ofTap: name) }

    public static func list(_ weights: RAMWeights) -> [BlockInfo] {
        weights.blocks.map { BlockInfo(name: $0.name, width: $0.width) }
    }
}

/// The taps of one block for the current input, cropped to the image: what the feature
/// view colours. `imageScale` > 1 when the network ran on a downscaled copy of a large
/// image (the map then covers the image at 1/(scale·imageScale)).
public struct FeatureData: Sendable {
    public var block: String
    /// Branch → (C, H/s, W/s).
    public var taps: [TapBranch: Tensor]
    public var imageScale: Double
    /// The second model's taps of the same block on the same input (nil with one model, or
    /// when B has no block of that name and width: `missingB` says why).
    public var tapsB: [TapBranch: Tensor]?
    public var missingB: String?
    /// For a large image seen zoomed in: the input pixels the taps cover, at full resolution
    /// (the visible part and a context margin; origin a multiple of 8, so every level's map
    /// pixels line up with the image's). nil: the taps cover the whole image.
    public var region: PixelRect?

    /// A map of the taps (tap-sized) placed where it belongs on a canvas covering the whole
    /// `width` × `height` image at 1/`scale` (dark outside the region); the map itself when
    /// the taps cover the whole image.
    public func canvas(_ map: RGBImage, scale: Int, width: Int, height: Int) -> RGBImage {
        guard let region else { return map }
        let cw = (width + scale - 1) / scale, ch = (height + scale - 1) / scale
        var out = RGBImage(width: cw, height: ch)
        let ox = region.x / scale, oy = region.y / scale
        out.pixels.withUnsafeMutableBufferPointer { o in
            for i in 0..<o.count { o[i] = 0.08 }
            map.pixels.withUnsafeBufferPointer { m in
                for c in 0..<3 {
                    for y in 0..<min(map.height, ch - oy) {
                        for x in 0..<min(map.width, cw - ox) {
                            o[c * cw * ch + (oy + y) * cw + ox + x] = m[c * map.plane + y * map.width + x]
                        }
                    }
                }
            }
        }
        return out
    }

    /// The tap pixel for map pixel (mx, my) of the whole image at the tap's scale.
    public func tapPixel(mx: Int, my: Int, scale: Int) -> (x: Int, y: Int) {
        guard let region else { return (mx, my) }
        return (mx - region.x / scale, my - region.y / scale)
    }

    public init(block: String, taps: [TapBranch: Tensor], imageScale: Double = 1, tapsB: [TapBranch: Tensor]? = nil) {
        self.block = block
        self.taps = taps
        self.imageScale = imageScale
        self.tapsB = tapsB
    }
}
