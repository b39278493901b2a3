#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A seeded, portable pseudo-random generator: SplitMix64 (Steele, Lea & Flood, OOPSLA 2014,
/// the generator Java's `SplittableRandom` uses and that seeds xoshiro).
///
/// The one generator of the project: every degradation draws from one of these so that a (degradation, seed) pair names exactly
/// one image on every platform and Swift version: nothing here touches the system generator or
/// the standard library's unspecified `random(in:using:)` algorithms (normal and Poisson draws
/// go through libm's log/sin/cos/exp, so bit-identity assumes the same libm). Draws are
/// consumed in a fixed order on one thread, so results never depend on the thread count.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64
    /// Box–Muller yields normals in pairs; the second one waits here.
    private var spareNormal: Double?

    public init(seed: UInt64) {
        state = seed
        spareNormal = nil
    }

    /// An independent stream for a sub-task (e.g. one rain layer), derived from a seed and a
    /// stream number, so adding draws to one stream does not shift another.
    public init(seed: UInt64, stream: UInt64) {
        var mixer = SeededRandom(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03))
        self.init(seed: mixer.next() ^ stream)
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [-1, 1) from the top 24 bits (random weights for benchmarks, test tensors).
    public mutating func signedUnit() -> Float {
        Float(next() >> 40) / Float(1 << 24) * 2 - 1
    }

    /// Uniform in [0, 1), 53 random bits.
    public mutating func uniform() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// Uniform in [lower, upper).
    public mutating func uniform(_ lower: Double, _ upper: Double) -> Double {
        lower + (upper - lower) * uniform()
    }

    /// Uniform integer in [0, bound), by Lemire's multiply-shift (bias < bound / 2^64, which
    /// is negligible at image sizes and keeps one draw per call).
    public mutating func int(below bound: Int) -> Int {
        precondition(bound > 0, "int(below:) needs a positive bound, got \(bound)")
        return Int(next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// Standard normal N(0, 1) by the Box–Muller transform.
    public mutating func normal() -> Double {
        if let spare = spareNormal {
            spareNormal = nil
            return spare
        }
        let u1 = 1 - uniform()  // (0, 1]: log never sees 0
        let u2 = uniform()
        let radius = (-2 * log(u1)).squareRoot()
        let angle = 2 * Double.pi * u2
        spareNormal = radius * sin(angle)
        return radius * cos(angle)
    }

    /// N(mean, sd²).
    public mutating func normal(mean: Double, sd: Double) -> Double {
        mean + sd * normal()
    }

    /// A Poisson count with the given mean (photon shot noise).
    ///
    /// Exact (Knuth's product of uniforms) below a mean of 30; above it the normal
    /// approximation N(λ, λ) rounded to an integer and floored at 0, whose error in the
    /// distribution's shape is below 1 % there and invisible as image noise.
    public mutating func poisson(mean lambda: Double) -> Int {
        precondition(lambda >= 0 && lambda.isFinite, "poisson needs a finite mean ≥ 0, got \(lambda)")
        if lambda == 0 { return 0 }
        if lambda < 30 {
            let limit = exp(-lambda)
            var count = 0
            var product = uniform()
            while product > limit {
                count += 1
                product *= uniform()
            }
            return count
        }
        let draw = (lambda + lambda.squareRoot() * normal()).rounded()
        return max(0, Int(draw))
    }
}
