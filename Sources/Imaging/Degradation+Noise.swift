#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
import TensorCore

extension Degradation {
    /// x + N(0, sigma²) per sample, sigma in [0, 1] units (σ₂₅₅ / 255). One normal per
    /// sample, R plane then G then B, row-major. The caller clips.
    static func addGaussianNoise(_ pixels: inout [Float], sigma: Float, rng: inout SeededRandom) {
        guard sigma > 0 else { return }
        let s = Double(sigma)
        for i in 0..<pixels.count {
            pixels[i] += Float(s * rng.normal())
        }
    }
}

/// The low-light recipe of Lv, Li & Lu (IJCV 2021, "Attention guided low-light image
/// enhancement", arXiv:1908.00682): y = β·(α·x)^γ, then Poisson–Gaussian noise on y,
/// y' = Poisson(peak·y)/peak + N(0, readSigma²), clipped to [0, 1].
///
/// Lv et al. draw α ~ U(0.9, 1), β ~ U(0.5, 1), γ ~ U(1.5, 5). Here the level in [0, 1] picks
/// one point of that box so that a level names one darkness:
///   α = 0.95,  β = 1 − 0.5·level,  γ = 1.5 + 3.5·level,
///   peak = 300·10^(−level) photons at white (300 → 30),  readSigma = 0.002 + 0.008·level.
/// Level 0.5: β 0.75, γ 3.25, peak ≈ 94.9, read 0.006 (close to α .95, β .7, γ 2.5, peak 100,
/// read .005, the setting the low-light baselines were first measured with). The noise ranges
/// (peak 30–300 photons at white, read σ 0.002–0.01) are this project's choice.
public struct LowLightCurve: Equatable, Sendable {
    public var alpha: Float
    public var beta: Float
    public var gamma: Float
    /// Expected photon count of a white (y = 1) sample; shot-noise variance is y / peak.
    public var peak: Float
    /// Standard deviation of the additive read noise, [0, 1] units.
    public var readSigma: Float

    public init(level: Float) {
        let l = min(max(level, 0), 1)
        alpha = 0.95
        beta = 1 - 0.5 * l
        gamma = 1.5 + 3.5 * l
        peak = 300 * Float(pow(10.0, -Double(l)))
        readSigma = 0.002 + 0.008 * l
    }

    /// β·(α·x)^γ, the noise-free dark value of x (x clamped to [0, 1] first).
    public func darken(_ x: Float) -> Float {
        beta * Float(pow(Double(alpha * min(max(x, 0), 1)), Double(gamma)))
    }

    /// Darkens and adds shot then read noise, sample by sample in storage order.
    func apply(to pixels: inout [Float], rng: inout SeededRandom) {
        let p = Double(peak)
        for i in 0..<pixels.count {
            let dark = Double(darken(pixels[i]))
            let shot = Double(rng.poisson(mean: p * dark)) / p
            pixels[i] = Float(shot + Double(readSigma) * rng.normal())
        }
    }
}
