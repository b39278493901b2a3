#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

// PSNR and SSIM with the conventions of scikit-image 0.26 (`skimage.metrics`), checked
// against it by fixtures that `Tests/ImagingTests/Fixtures/make_metric_fixtures.py` writes.
//
// Common to both:
// - Inputs are clamped to [0, 1] first (a restored image may overshoot; the number should
//   describe the image a user would save), then converted to Double.
// - `crop` removes that many pixels from every border of both images before anything else
//   (the SR/IR "shave border" convention).
// - `yChannel: false` (the default, the RAM paper's convention) uses all three RGB planes;
//   `yChannel: true` uses ITU-R BT.601 studio-swing luma, the usual SR/IR "Y channel"
//   (MATLAB `rgb2ycbcr`, BasicSR `rgb2ycbcr(y_only=True)`), on the [0, 1] scale:
//       Y = 16/255 + (65.481·R + 128.553·G + 24.966·B) / 255,   Y ∈ [16/255, 235/255],
//   without rounding to 8 bits.
// Say which convention produced a number wherever it is shown: `metricConvention`.

/// Peak signal-to-noise ratio in dB: 10·log10(peak² / MSE), the MSE taken over every
/// sample of every plane together (skimage `peak_signal_noise_ratio` with `data_range =
/// peak`). Identical images give `+infinity` (MSE 0, as skimage, without its warning);
/// a crop that leaves no pixels gives NaN.
public func psnr(_ a: RGBImage, _ b: RGBImage, peak: Double = 1, yChannel: Bool = false, crop: Int = 0) -> Double {
    precondition(
        a.width == b.width && a.height == b.height, "psnr: sizes differ, \(a.width)x\(a.height) vs \(b.width)x\(b.height)")
    let pa = MetricPlanes(a, yChannel: yChannel, crop: crop)
    let pb = MetricPlanes(b, yChannel: yChannel, crop: crop)
    let count = pa.planes.count * pa.width * pa.height
    guard count > 0 else { return .nan }
    var sum = 0.0
    for p in 0..<pa.planes.count {
        for i in 0..<pa.planes[p].count {
            let d = pa.planes[p][i] - pb.planes[p][i]
            sum += d * d
        }
    }
    let mse = sum / Double(count)
    if mse == 0 { return .infinity }
    return 10 * log10(peak * peak / mse)
}

/// Structural similarity (Wang et al., TIP 2004) as skimage `structural_similarity(...,
/// gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1,
/// channel_axis=…)`: an 11×11 Gaussian window (σ 1.5, truncated at 3.5σ, so radius 5),
/// K1 = 0.01, K2 = 0.03, population (co)variances; the SSIM map of each plane is averaged
/// over its interior (5 pixels from every side dropped, as skimage does), and the planes'
/// means are averaged. Because only the interior is averaged, every window used lies
/// inside the image and the filter's border mode never matters.
///
/// Needs at least 11×11 pixels after `crop`; smaller images give NaN. Cost: separable
/// filtering, about 110 multiply-adds per pixel and plane.
public func ssim(_ a: RGBImage, _ b: RGBImage, yChannel: Bool = false, crop: Int = 0) -> Double {
    precondition(
        a.width == b.width && a.height == b.height, "ssim: sizes differ, \(a.width)x\(a.height) vs \(b.width)x\(b.height)")
    let pa = MetricPlanes(a, yChannel: yChannel, crop: crop)
    let pb = MetricPlanes(b, yChannel: yChannel, crop: crop)
    guard pa.width >= SSIMWindow.size && pa.height >= SSIMWindow.size else { return .nan }
    var total = 0.0
    for p in 0..<pa.planes.count {
        total += SSIMWindow.meanSSIM(pa.planes[p], pb.planes[p], width: pa.width, height: pa.height)
    }
    return total / Double(pa.planes.count)
}

/// How a metric was computed, to print beside it: "RGB", "RGB, crop 4", "Y (BT.601)", ….
public func metricConvention(yChannel: Bool, crop: Int) -> String {
    let channels = yChannel ? "Y (BT.601)" : "RGB"
    return crop > 0 ? "\(channels), crop \(crop)" : channels
}

/// The planes a metric compares: clamped to [0, 1], border-cropped, RGB or Y; Double.
struct MetricPlanes {
    var planes: [[Double]]
    var width: Int
    var height: Int

    init(_ image: RGBImage, yChannel: Bool, crop: Int) {
        precondition(crop >= 0, "metric crop must be ≥ 0, got \(crop)")
        width = max(0, image.width - 2 * crop)
        height = max(0, image.height - 2 * crop)
        let n = width * height
        var rgb = [[Double]](repeating: [Double](repeating: 0, count: n), count: 3)
        for c in 0..<3 {
            let base = c * image.plane
            for y in 0..<height {
                let row = base + (y + crop) * image.width + crop
                for x in 0..<width {
                    rgb[c][y * width + x] = Double(min(max(image.pixels[row + x], 0), 1))
                }
            }
        }
        if yChannel {
            var luma = [Double](repeating: 0, count: n)
            for i in 0..<n {
                luma[i] = 16.0 / 255 + (65.481 * rgb[0][i] + 128.553 * rgb[1][i] + 24.966 * rgb[2][i]) / 255
            }
            planes = [luma]
        } else {
            planes = rgb
        }
    }
}

/// The SSIM window and the per-plane computation.
enum SSIMWindow {
    static let radius = 5
    static let size = 2 * radius + 1
    static let c1 = (0.01 * 1.0) * (0.01 * 1.0)
    static let c2 = (0.03 * 1.0) * (0.03 * 1.0)

    /// exp(−k²/(2·1.5²)) for k in −5...5, normalised to sum 1 (scipy.ndimage's kernel).
    static let weights: [Double] = {
        let raw = (-radius...radius).map { k in exp(-0.5 * Double(k * k) / (1.5 * 1.5)) }
        let sum = raw.reduce(0, +)
        return raw.map { $0 / sum }
    }()

    /// Mean of the SSIM map over the interior of one (height, width) plane pair.
    ///
    /// Horizontal "valid" pass over the five moments (x, y, x², y², xy) gives five
    /// (height, width − 10) maps; the vertical valid pass gives rows of (width − 10) local
    /// means for the (height − 10) interior rows, which go straight into the SSIM formula.
    static func meanSSIM(_ x: [Double], _ y: [Double], width: Int, height: Int) -> Double {
        let ow = width - 2 * radius
        let oh = height - 2 * radius
        let w = weights
        // moments[m]: (height, ow), m = 0 x, 1 y, 2 xx, 3 yy, 4 xy.
        var moments = [[Double]](repeating: [Double](repeating: 0, count: height * ow), count: 5)
        var rowProducts = [[Double]](repeating: [Double](repeating: 0, count: width), count: 5)
        for r in 0..<height {
            let rowStart = r * width
            for i in 0..<width {
                let xv = x[rowStart + i]
                let yv = y[rowStart + i]
                rowProducts[0][i] = xv
                rowProducts[1][i] = yv
                rowProducts[2][i] = xv * xv
                rowProducts[3][i] = yv * yv
                rowProducts[4][i] = xv * yv
            }
            for m in 0..<5 {
                rowProducts[m].withUnsafeBufferPointer { src in
                    moments[m].withUnsafeMutableBufferPointer { dst in
                        let out = dst.baseAddress! + r * ow
                        for i in 0..<ow { out[i] = 0 }
                        for k in 0..<size {
                            let wk = w[k]
                            let s = src.baseAddress! + k
                            for i in 0..<ow { out[i] += wk * s[i] }
                        }
                    }
                }
            }
        }

        var local = [[Double]](repeating: [Double](repeating: 0, count: ow), count: 5)
        var total = 0.0
        for r in 0..<oh {
            for m in 0..<5 {
                moments[m].withUnsafeBufferPointer { src in
                    local[m].withUnsafeMutableBufferPointer { dst in
                        let out = dst.baseAddress!
                        for i in 0..<ow { out[i] = 0 }
                        for k in 0..<size {
                            let wk = w[k]
                            let s = src.baseAddress! + (r + k) * ow
                            for i in 0..<ow { out[i] += wk * s[i] }
                        }
                    }
                }
            }
            for i in 0..<ow {
                let ux = local[0][i]
                let uy = local[1][i]
                let vx = local[2][i] - ux * ux
                let vy = local[3][i] - uy * uy
                let vxy = local[4][i] - ux * uy
                let numerator = (2 * ux * uy + c1) * (2 * vxy + c2)
                let denominator = (ux * ux + uy * uy + c1) * (vx + vy + c2)
                total += numerator / denominator
            }
        }
        return total / Double(oh * ow)
    }
}
