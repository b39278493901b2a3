#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
import TensorCore

/// Rain streak parameters for a level in [0, 1]: the float form of the Photoshop / HQ-RAIN
/// `addrain.py` recipe (github.com/cschenxiang/HQ-RAIN), one layer for light rain (Rain100L has
/// one streak type) up to five with a veil for heavy rain (Rain100H-like, O = α(B + ΣS) +
/// (1 − α)A).
///
/// Per image: a fall direction U(−25°, 25°) from vertical. Per layer l (its own random stream):
/// - seeds: `density` of the pixels of the image plus a margin (so streaks enter from outside),
///   each with brightness U(0.3, 1);
/// - streak: a line kernel of length U(15, 40)·s px (s = min(1, max(0.5, short side / 256))),
///   direction jittered by U(−5°, 5°), thickened by a Gaussian of σ U(0.5, 1.0) px;
/// - the streak layer S (seeds splatted with that kernel) is normalised at its 99.9th
///   percentile, R = min(1, S / p99.9), and screen-composited:
///   out = 1 − (1 − out)·(1 − a·R), a = intensity · U(0.85, 1).
/// After the layers, the veil: out = (1 − v)·out + v·V, V ~ U(0.8, 0.9) grey.
public struct RainRecipe: Equatable, Sendable {
    public static let light: Float = 0.25
    public static let medium: Float = 0.5
    public static let heavy: Float = 0.8
    /// CLI names for levels, as `rain:light` etc.
    public static let namedLevels: [(name: String, level: Float)] = [("light", light), ("medium", medium), ("heavy", heavy)]

    /// Streak layers: max(1, min(5, ⌊5·level⌋)); light 1, medium 2, heavy 4, level 1: 5.
    public var layers: Int
    /// Fraction of pixels seeding a streak, per layer: 0.002 + 0.004·level (0.2–0.6 %;
    /// light 0.3 %, medium 0.4 %, heavy 0.52 %).
    public var density: Float
    /// Streak intensity before the per-layer jitter: 0.6 + 0.35·level.
    public var intensity: Float
    /// Veil weight: 0.4·max(0, level − 0.5); 0 up to medium, 0.12 heavy, 0.2 at level 1.
    public var veil: Float

    public init(level: Float) {
        let l = min(max(level, 0), 1)
        layers = max(1, min(5, Int((5 * l).rounded(.down))))
        density = 0.002 + 0.004 * l
        intensity = 0.6 + 0.35 * l
        veil = 0.4 * max(0, l - 0.5)
    }
}

extension Degradation {
    static func addRain(_ image: inout RGBImage, recipe: RainRecipe, seed: UInt64) {
        let (w, h) = (image.width, image.height)
        guard w > 0 && h > 0 else { return }
        var rng = SeededRandom(seed: seed, stream: 2)
        let fall = rng.uniform(-25, 25)  // degrees from vertical
        let veilGrey = Float(rng.uniform(0.8, 0.9))
        let scale = min(1, max(0.5, Double(min(w, h)) / 256))

        for layer in 0..<recipe.layers {
            var lr = SeededRandom(seed: seed, stream: 100 + UInt64(layer))
            let length = Float(lr.uniform(15, 40) * scale)
            let fromVertical = fall + lr.uniform(-5, 5)
            let thickness = lr.uniform(0.5, 1.0)
            let alpha = recipe.intensity * Float(lr.uniform(0.85, 1))
            let streak = thickened(lineKernel(length: length, angle: Float(90 + fromVertical)), sigma: thickness)
            let streaks = splatSeeds(width: w, height: h, density: recipe.density, kernel: streak, rng: &lr)
            let p = percentile999(streaks)
            guard p > 0 else { continue }
            for c in 0..<3 {
                let base = c * image.plane
                for i in 0..<image.plane {
                    let r = alpha * min(1, streaks[i] / p)
                    image.pixels[base + i] = 1 - (1 - image.pixels[base + i]) * (1 - r)
                }
            }
        }
        if recipe.veil > 0 {
            for i in 0..<image.pixels.count {
                image.pixels[i] = (1 - recipe.veil) * image.pixels[i] + recipe.veil * veilGrey
            }
        }
    }

    /// The kernel convolved with a Gaussian of `sigma` px (radius ⌈2σ⌉), renormalised.
    static func thickened(_ kernel: (size: Int, weights: [Float]), sigma: Double) -> (size: Int, weights: [Float]) {
        let g = Int((2 * sigma).rounded(.up))
        let taps = (-g...g).map { Float(exp(-0.5 * Double($0 * $0) / (sigma * sigma))) }
        let size = kernel.size + 2 * g
        var out = [Float](repeating: 0, count: size * size)
        for y in 0..<kernel.size {
            for x in 0..<kernel.size {
                let v = kernel.weights[y * kernel.size + x]
                if v == 0 { continue }
                for i in 0...(2 * g) {
                    for j in 0...(2 * g) {
                        out[(y + i) * size + x + j] += v * taps[i] * taps[j]
                    }
                }
            }
        }
        let total = out.reduce(0, +)
        return (size, out.map { $0 / total })
    }

    /// A (height, width) layer: `density`·(area with a kernel-radius margin) seeds of
    /// brightness U(0.3, 1), each stamped with the kernel (clipped to the image).
    static func splatSeeds(
        width w: Int, height h: Int, density: Float, kernel: (size: Int, weights: [Float]), rng: inout SeededRandom
    ) -> [Float] {
        let r = kernel.size / 2
        let ew = w + 2 * r
        let eh = h + 2 * r
        let count = Int((Double(density) * Double(ew * eh)).rounded())
        var layer = [Float](repeating: 0, count: w * h)
        for _ in 0..<count {
            let cx = rng.int(below: ew) - r
            let cy = rng.int(below: eh) - r
            let brightness = Float(rng.uniform(0.3, 1))
            for ky in 0..<kernel.size {
                let y = cy + ky - r
                if y < 0 || y >= h { continue }
                for kx in 0..<kernel.size {
                    let x = cx + kx - r
                    if x < 0 || x >= w { continue }
                    layer[y * w + x] += brightness * kernel.weights[ky * kernel.size + kx]
                }
            }
        }
        return layer
    }

    /// The 99.9th percentile (nearest rank) of a layer that is mostly zeros.
    static func percentile999(_ values: [Float]) -> Float {
        let nonzero = values.filter { $0 > 0 }.sorted()
        guard !nonzero.isEmpty else { return 0 }
        let rank = Int(0.999 * Double(values.count - 1))  // rank among all values
        let zeros = values.count - nonzero.count
        return nonzero[max(0, min(nonzero.count - 1, rank - zeros))]
    }
}
