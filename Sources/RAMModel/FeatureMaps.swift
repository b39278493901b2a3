import Imaging
import TensorCore

/// Turning a captured tap into things to look at: crop to the image, pick a channel or an
/// aggregate, colour it.
public enum FeatureMaps {
    public enum Aggregate: String, CaseIterable, Sendable {
        case meanAbs = "mean-abs", max
    }

    /// Downsampling factor of the level a block belongs to (taps are at that resolution).
    public static func scale(ofTap name: String) -> Int {
        if name.hasPrefix("encoder_level2") || name.hasPrefix("decoder_level2") { return 2 }
        if name.hasPrefix("encoder_level3") || name.hasPrefix("decoder_level3") { return 4 }
        if name.hasPrefix("latent") { return 8 }
        return 1
    }

    /// The tap cropped to the part that covers the (unpadded) image.
    public static func cropToImage(_ t: Tensor, tap name: String, imageWidth: Int, imageHeight: Int) -> Tensor {
        let s = scale(ofTap: name)
        let h = min(t.height, (imageHeight + s - 1) / s), w = min(t.width, (imageWidth + s - 1) / s)
        return (h == t.height && w == t.width) ? t : Layout.crop(t, y0: 0, x0: 0, height: h, width: w)
    }

    /// One value per pixel across channels.
    public static func aggregate(_ t: Tensor, _ a: Aggregate) -> [Float] {
        let n = t.plane
        var out = [Float](repeating: a == .max ? -.infinity : 0, count: n)
        for c in 0..<t.channels {
            for i in 0..<n {
                let v = t.data[c * n + i]
                switch a {
                case .meanAbs: out[i] += abs(v)
                case .max: out[i] = Swift.max(out[i], v)
                }
            }
        }
        if a == .meanAbs { for i in 0..<n { out[i] /= Float(Swift.max(1, t.channels)) } }
        return out
    }

    public static func channel(_ t: Tensor, _ c: Int) -> [Float] { Array(t.data[(c * t.plane)..<((c + 1) * t.plane)]) }
}
