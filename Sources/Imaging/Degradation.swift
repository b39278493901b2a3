import TensorCore

// Synthetic degradations: the one recipe that the app (`ram degrade`, the degradation grid),
// training-data synthesis and evaluation all use. Each case follows a recipe from the
// literature, cited in its `Degradation+*.swift` file with the numbers chosen here.
//
// Conventions for every case:
// - Input and output are RGB in [0, 1]; the input is used as given, the output is clipped to
//   [0, 1]. Alpha and bit depth pass through untouched.
// - Values stay float; 8-bit quantisation happens only when a PNG is written.
// - `apply(to:seed:)` is a pure function of (degradation, image, seed): one SplitMix64
//   stream (`SeededRandom`), consumed in a fixed order on one thread, so the result never
//   depends on the thread count or platform.
//
// Recipes (level → parameters in the case's file):
// - noise:σ     x + N(0, (σ/255)²) per sample, clipped. Gaussian on the 0–255 scale (σ 15/25/50
//               as CBSD68). The float benchmark convention (KAIR, DnCNN test code) does *not*
//               clip; we do, because what the app shows and what training feeds the network must
//               be an image a user could save, and a saved image is clipped. Clipping costs a
//               denoiser about 1 dB against the unclipped benchmark (CBM3D, σ 25, a 256²
//               astronaut crop: 31.37 dB on float input, 30.39 dB clipped to 8 bits); report
//               which convention a number used.
// - rain:level  procedural streaks, the float form of the Photoshop / HQ-RAIN `addrain.py`
//               recipe (sparse seeds, slight blur, motion-blur line 15–40 px at ±25° from
//               vertical, normalised at the 99.9th percentile, screen composite), more seeds
//               and layers and a veil as the level rises (Rain100L → Rain100H, Yang et al.
//               CVPR 2017).
// - haze:β      atmospheric scattering I = J·t + A(1 − t), t = exp(−β·d) (RESIDE, Li et al.
//               TIP 2019) on a synthesised pseudo-depth d ∈ [0, 1] (vertical ramp below a
//               random horizon plus a smooth random field), A ∈ [0.7, 1] with ±0.03 colour
//               jitter.
// - blur:len,θ  a motion kernel (anti-aliased line) or, without a length, a random camera-
//               shake trajectory kernel (Boracchi & Foi, TIP 2012, as DeblurGAN generates
//               them); direct convolution with reflect padding, in the image's encoded values
//               (like GoPro's `blur`, which most deblurring methods use).
// - lowlight:level  y = β·(α·x)^γ (Lv, Li & Lu, IJCV 2021) with darkness from the level, then
//               Poisson–Gaussian noise (shot + read, Foi et al. 2008).

/// One synthetic degradation with its strength. The CLI spelling is `description`
/// (`noise:25`, `rain:medium`, `haze:1.2`, `blur:15,30`, `blur`, `lowlight:0.5`) and
/// `init(parsing:)` reads it back.
public enum Degradation: Equatable, Sendable, CustomStringConvertible {
    /// Additive Gaussian noise; σ on the 0–255 scale, 0...255.
    case noise(sigma: Float)
    /// Rain streaks; level in 0...1 (light 0.25, medium 0.5, heavy 0.8).
    case rain(level: Float)
    /// Haze; β multiplies the normalised pseudo-depth (0...10, RESIDE ITS range 0.6–1.8).
    case haze(beta: Float)
    /// Motion blur along a line of `length` pixels at `angle` degrees counter-clockwise from
    /// the image's horizontal axis; a nil angle is drawn from the seed; a nil length means a
    /// random camera-shake kernel from the seed (the angle is then ignored).
    case blur(length: Float?, angle: Float?)
    /// Low light; level in 0...1, 0 = dim, 1 = very dark and noisy.
    case lowlight(level: Float)

    /// The five kinds, one each, at a typical strength, in the paper's order: noise σ 25
    /// (the middle of 15/25/50), rain medium, haze β 1.2 (middle of RESIDE's 0.6–1.8), blur
    /// 15 px at 30° (a fixed kernel, so every seed and image sees the same blur and the
    /// Wiener baseline can use it), lowlight 0.5 (γ 3.25, β 0.75, ≈ 95 photons at white).
    public static let standardFive: [Degradation] = [
        .noise(sigma: 25), .rain(level: RainRecipe.medium), .haze(beta: 1.2),
        .blur(length: 15, angle: 30), .lowlight(level: 0.5),
    ]

    /// The kind's name as the CLI spells it: noise, rain, haze, blur, lowlight.
    public var name: String {
        switch self {
        case .noise: return "noise"
        case .rain: return "rain"
        case .haze: return "haze"
        case .blur: return "blur"
        case .lowlight: return "lowlight"
        }
    }

    /// Names in the paper's order, for help texts and error messages.
    public static let names = ["noise", "rain", "haze", "blur", "lowlight"]

    public var description: String {
        switch self {
        case .noise(let sigma): return "noise:\(Degradation.format(sigma))"
        case .rain(let level):
            if let named = RainRecipe.namedLevels.first(where: { $0.level == level }) {
                return "rain:\(named.name)"
            }
            return "rain:\(Degradation.format(level))"
        case .haze(let beta): return "haze:\(Degradation.format(beta))"
        case .blur(let length?, let angle?): return "blur:\(Degradation.format(length)),\(Degradation.format(angle))"
        case .blur(let length?, nil): return "blur:\(Degradation.format(length))"
        case .blur(nil, _): return "blur"
        case .lowlight(let level): return "lowlight:\(Degradation.format(level))"
        }
    }

    /// The degraded image, clipped to [0, 1]; the same (image, seed) always gives the same
    /// result.
    public func apply(to image: RGBImage, seed: UInt64) -> RGBImage {
        var out = image
        switch self {
        case .noise(let sigma):
            var rng = SeededRandom(seed: seed, stream: 1)
            Degradation.addGaussianNoise(&out.pixels, sigma: sigma / 255, rng: &rng)
        case .rain(let level):
            Degradation.addRain(&out, recipe: RainRecipe(level: level), seed: seed)
        case .haze(let beta):
            let field = HazeField(width: image.width, height: image.height, beta: beta, seed: seed)
            field.apply(to: &out)
        case .blur:
            let k = kernel(seed: seed)
            out = Degradation.convolve(image, size: k.size, weights: k.weights)
        case .lowlight(let level):
            var rng = SeededRandom(seed: seed, stream: 5)
            LowLightCurve(level: level).apply(to: &out.pixels, rng: &rng)
        }
        for i in 0..<out.pixels.count { out.pixels[i] = min(max(out.pixels[i], 0), 1) }
        return out
    }

    /// The blur kernel `apply` uses for this seed: `size × size` weights, row-major, summing
    /// to 1, centred (its centre of mass is the middle pixel, so blurring does not shift the
    /// image). Degradations that do not blur give the identity kernel (1, [1]).
    public func kernel(seed: UInt64) -> (size: Int, weights: [Float]) {
        guard case .blur(let length, let angle) = self else { return (1, [1]) }
        var rng = SeededRandom(seed: seed, stream: 4)
        if let length {
            let degrees = angle ?? Float(rng.uniform(0, 180))
            return Degradation.lineKernel(length: length, angle: degrees)
        }
        return Degradation.shakeKernel(rng: &rng)
    }

    /// Shortest text that parses back to the same Float: "25", "1.2", "0.35".
    static func format(_ value: Float) -> String {
        if value == value.rounded() && abs(value) < 1e7 { return String(Int(value)) }
        return "\(value)"
    }
}
