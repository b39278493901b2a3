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

    public init(block: String, taps: [TapBranch: Tensor], imageScale: Double = 1, tapsB: [TapBranch: Tensor]? = nil) {
        self.block = block
        self.taps = taps
        self.imageScale = imageScale
        self.tapsB = tapsB
    }
}
