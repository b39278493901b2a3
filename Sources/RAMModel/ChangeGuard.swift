import Foundation
import TensorCore

/// Do no harm, per image: the restored image is pulled back towards the input when the
/// network predicts only a small change to the whole image.
///
/// With x the input, f the network's output clamped to [0, 1] and r = f − x, the change
/// m = RMS(r) over every sample of every plane, the guard returns
///
///     y = x + w·r,   w = mᵖ / (mᵖ + tᵖ)
///
/// so an image the network would change by much more than t (noise, rain, haze, low light)
/// keeps w ≈ 1, and one it would barely touch (a clean photo, a kind it does not know)
/// stays close to itself. w never reaches 0 and is a smooth function of m. t and p come with
/// the weights (the safetensors metadata's `guard`, chosen on the validation set, see
/// `training/README.md`); weights without one are used as they are. y is a convex
/// combination of x and f, so it stays in [0, 1].
public struct ChangeGuard: Sendable, Equatable, Codable {
    /// t: the RMS change (in [0, 1] units) at which the output moves halfway.
    public var changeRMS: Double
    /// p: how sharply w rises around t.
    public var power: Double

    enum CodingKeys: String, CodingKey {
        case changeRMS = "change_rms"
        case power
    }

    public init(changeRMS: Double, power: Double) {
        self.changeRMS = changeRMS
        self.power = power
    }

    /// What the guard measured and did to one image.
    public struct Outcome: Sendable, Equatable {
        /// m: RMS of the network's predicted change (clamped output − input).
        public var change: Double
        /// w: the share of that change kept.
        public var weight: Double

        public init(change: Double, weight: Double) { (self.change, self.weight) = (change, weight) }

        /// "guard kept 12 % of a 1.3/255 change", for status and summary lines.
        public var summary: String {
            String(format: "guard kept %.0f %% of a %.1f/255 change", weight * 100, change * 255)
        }
    }

    /// w for a predicted change m.
    public func weight(change m: Double) -> Double {
        let a = pow(m, power), b = pow(changeRMS, power)
        return a + b > 0 ? a / (a + b) : 0
    }

    /// A one-line error when the metadata's values cannot make a guard.
    public func validated(source: String) throws -> ChangeGuard {
        guard changeRMS.isFinite, changeRMS > 0, changeRMS < 1, power.isFinite, power > 0, power <= 16 else {
            throw RAMError.weights("\(source): metadata \"guard\" needs 0 < change_rms < 1 and 0 < power <= 16 (got \(changeRMS), \(power))")
        }
        return self
    }

    /// RMS of clamp(output, 0, 1) − input over every sample.
    public static func change(input: Tensor, output: Tensor) -> Double {
        precondition(input.shape == output.shape, "ChangeGuard: input \(input.shape) and output \(output.shape) differ")
        var sum = 0.0
        input.data.withUnsafeBufferPointer { x in
            output.data.withUnsafeBufferPointer { f in
                for i in 0..<x.count {
                    let r = Double(min(max(f[i], 0), 1) - x[i])
                    sum += r * r
                }
            }
        }
        return input.data.isEmpty ? 0 : (sum / Double(input.data.count)).squareRoot()
    }

    /// Replaces `output` by x + w·(clamp(output) − x) and says what it measured.
    public func apply(input: Tensor, output: inout Tensor) -> Outcome {
        let m = Self.change(input: input, output: output)
        let w = Float(weight(change: m))
        input.data.withUnsafeBufferPointer { x in
            output.data.withUnsafeMutableBufferPointer { f in
                for i in 0..<x.count {
                    f[i] = x[i] + w * (min(max(f[i], 0), 1) - x[i])
                }
            }
        }
        return Outcome(change: m, weight: Double(w))
    }
}
