import TensorCore

/// An RGB image with float samples, planar (R plane, G plane, B plane) like `Tensor`,
/// nominally in [0, 1] (restored images may stray outside until they are clamped for saving).
/// An optional alpha plane is carried through restoration untouched.
public struct RGBImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    /// 3 · height · width samples: plane c at offset c · height · width.
    public var pixels: [Float]
    /// height · width samples in [0, 1], or nil when the source had no alpha.
    public var alpha: [Float]?
    /// Bit depth of the file the image came from (8 or 16); writers default to it.
    public var bitDepth: Int

    public init(width: Int, height: Int, pixels: [Float], alpha: [Float]? = nil, bitDepth: Int = 8) {
        precondition(pixels.count == 3 * width * height, "pixel count \(pixels.count) != 3x\(width)x\(height)")
        precondition(alpha == nil || alpha!.count == width * height)
        self.width = width
        self.height = height
        self.pixels = pixels
        self.alpha = alpha
        self.bitDepth = bitDepth
    }

    public init(width: Int, height: Int, fill: Float = 0) {
        self.init(width: width, height: height, pixels: [Float](repeating: fill, count: 3 * width * height))
    }

    @inlinable public var plane: Int { width * height }

    @inlinable public subscript(c: Int, y: Int, x: Int) -> Float {
        get { pixels[c * width * height + y * width + x] }
        set { pixels[c * width * height + y * width + x] = newValue }
    }

    /// The image as a (3, H, W) tensor (alpha dropped).
    public var tensor: Tensor { Tensor(channels: 3, height: height, width: width, data: pixels) }

    /// Wraps a (3, H, W) tensor; alpha and bit depth as given.
    public init(tensor: Tensor, alpha: [Float]? = nil, bitDepth: Int = 8) {
        precondition(tensor.channels == 3, "RGBImage needs 3 channels, got \(tensor.channels)")
        self.init(width: tensor.width, height: tensor.height, pixels: tensor.data, alpha: alpha, bitDepth: bitDepth)
    }

    /// Samples clamped to [0, 1].
    public func clamped() -> RGBImage {
        var out = self
        for i in 0..<out.pixels.count { out.pixels[i] = min(max(out.pixels[i], 0), 1) }
        return out
    }

    /// The image as a PNG of `bits` per sample would store it: clamped to [0, 1] and rounded
    /// to the nearest of 2^bits − 1 levels (the PNG writer's rule; NaN becomes 0).
    public func quantized(bits: Int) -> RGBImage {
        precondition((1...16).contains(bits), "quantized: bits must be 1...16")
        let top = Float((1 << bits) - 1)
        var out = self
        for i in 0..<out.pixels.count { out.pixels[i] = PNGCodec.codeValue(out.pixels[i], top: top) / top }
        return out
    }
}
