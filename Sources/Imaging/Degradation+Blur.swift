#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
import TensorCore

// Blur kernels and the convolution that applies them.
//
// Kernels are (size × size) row-major Float weights, size odd, summing to 1, with their centre
// of mass on the middle pixel. Both kinds are rasterised by bilinear splatting of points along
// a path, which anti-aliases and keeps the centre of mass exactly where the points' mean is.
//
// - Line (motion) kernel: `length` px at `angle` degrees counter-clockwise from the image's
//   +x axis (y grows downwards, so the direction is (cos θ, −sin θ)); 8 points per pixel of
//   length.
// - Camera shake: the random trajectory of Boracchi & Foi (TIP 2012) as DeblurGAN's
//   `motion_blur/generate_trajectory.py` draws it (expl 0.005, centripetal 0.7·U,
//   p_big_shake 0.2·U, gaussian_shake 10·U, initial angle 360·U), with 1000 steps (DeblurGAN
//   2000) and a total path length of U(15, 35) px (DeblurGAN 60 on a 64 px canvas; shorter
//   here so the random blur is of the same order as `blur:15,30`), full exposure.

extension Degradation {
    /// An anti-aliased line kernel of `length` px at `angle` degrees.
    static func lineKernel(length: Float, angle: Float) -> (size: Int, weights: [Float]) {
        let theta = Double(angle) * Double.pi / 180
        let (dx, dy) = (cos(theta), -sin(theta))
        let samples = max(1, Int((Double(length) * 8).rounded(.up)))
        var points: [(x: Double, y: Double)] = []
        points.reserveCapacity(samples)
        for i in 0..<samples {
            let t = (Double(i) + 0.5) / Double(samples) - 0.5  // (−0.5, 0.5), symmetric
            points.append((t * Double(length) * dx, t * Double(length) * dy))
        }
        return splatKernel(points)
    }

    /// A random camera-shake kernel (see the file comment for the trajectory model).
    static func shakeKernel(rng: inout SeededRandom) -> (size: Int, weights: [Float]) {
        let iterations = 1000
        let exploration = 0.005
        let maxLength = rng.uniform(15, 35)
        let step = maxLength / Double(iterations - 1)
        let centripetal = 0.7 * rng.uniform()
        let bigShakeProbability = 0.2 * rng.uniform()
        let gaussianShake = 10 * rng.uniform()
        let initialAngle = 2 * Double.pi * rng.uniform()
        // Complex numbers as (re, im) pairs: position x, velocity v.
        var v = (re: cos(initialAngle) * exploration, im: sin(initialAngle) * exploration)
        var x = (re: 0.0, im: 0.0)
        var points: [(x: Double, y: Double)] = [(0, 0)]
        points.reserveCapacity(iterations)
        for _ in 0..<(iterations - 1) {
            var next = (re: 0.0, im: 0.0)
            if rng.uniform() < bigShakeProbability * exploration {
                // 2·v·exp(i(π + U − 0.5)): a sudden near-reversal.
                let phi = Double.pi + (rng.uniform() - 0.5)
                next = (2 * (v.re * cos(phi) - v.im * sin(phi)), 2 * (v.re * sin(phi) + v.im * cos(phi)))
            }
            let nre = rng.normal()
            let nim = rng.normal()
            v.re += next.re + exploration * (gaussianShake * nre - centripetal * x.re) * step
            v.im += next.im + exploration * (gaussianShake * nim - centripetal * x.im) * step
            let speed = (v.re * v.re + v.im * v.im).squareRoot()
            if speed > 0 {
                v = (v.re / speed * step, v.im / speed * step)
            }
            x = (x.re + v.re, x.im + v.im)
            points.append((x.re, x.im))
        }
        return splatKernel(points)
    }

    /// Rasterises points (relative positions, equal weights) by bilinear splatting into the
    /// smallest odd square around their mean, normalised to sum 1.
    static func splatKernel(_ points: [(x: Double, y: Double)]) -> (size: Int, weights: [Float]) {
        let n = Double(points.count)
        let mx = points.reduce(0) { $0 + $1.x } / n
        let my = points.reduce(0) { $0 + $1.y } / n
        var reach = 0.0
        for p in points { reach = max(reach, abs(p.x - mx), abs(p.y - my)) }
        let radius = Int(reach.rounded(.up)) + 1
        let size = 2 * radius + 1
        var w = [Double](repeating: 0, count: size * size)
        for p in points {
            let fx = p.x - mx + Double(radius)
            let fy = p.y - my + Double(radius)
            let x0 = Int(fx.rounded(.down))
            let y0 = Int(fy.rounded(.down))
            let ax = fx - Double(x0)
            let ay = fy - Double(y0)
            w[y0 * size + x0] += (1 - ax) * (1 - ay)
            w[y0 * size + x0 + 1] += ax * (1 - ay)
            w[(y0 + 1) * size + x0] += (1 - ax) * ay
            w[(y0 + 1) * size + x0 + 1] += ax * ay
        }
        // Drop all-zero outer rings (keeps the square centred).
        var trim = 0
        while trim < radius {
            let lo = trim
            let hi = size - 1 - trim
            var ringEmpty = true
            for i in lo...hi
            where w[lo * size + i] != 0 || w[hi * size + i] != 0 || w[i * size + lo] != 0 || w[i * size + hi] != 0 {
                ringEmpty = false
                break
            }
            if !ringEmpty { break }
            trim += 1
        }
        let inner = size - 2 * trim
        var out = [Float](repeating: 0, count: inner * inner)
        let total = w.reduce(0, +)
        for y in 0..<inner {
            for x in 0..<inner {
                out[y * inner + x] = Float(w[(y + trim) * size + x + trim] / total)
            }
        }
        return (inner, out)
    }

    /// Convolves each plane with a (size × size) kernel: out(y, x) = Σ k(i, j) ·
    /// in(y + r − i, x + r − j), r = size / 2, with reflect padding (the edge sample is not
    /// repeated: numpy `reflect`, PyTorch `F.pad(mode: "reflect")`), repeated as often as a
    /// kernel larger than the image needs. Zero taps are skipped, so a line kernel costs
    /// about 3·length multiply-adds per sample. Alpha and bit depth are kept.
    public static func convolve(_ image: RGBImage, size: Int, weights: [Float]) -> RGBImage {
        precondition(
            size % 2 == 1 && weights.count == size * size,
            "kernel must be odd-sized and square, got \(size) with \(weights.count) weights")
        let r = size / 2
        let (w, h) = (image.width, image.height)
        let pw = w + 2 * r
        var taps: [(offset: Int, weight: Float)] = []
        for i in 0..<size {
            for j in 0..<size where weights[i * size + j] != 0 {
                // Flipped kernel: tap (i, j) reads padded(y + 2r − i, x + 2r − j) for output (y, x).
                taps.append(((2 * r - i) * pw + (2 * r - j), weights[i * size + j]))
            }
        }
        let colIndex = (0..<pw).map { reflectIndex($0 - r, count: w) }
        let rowIndex = (0..<(h + 2 * r)).map { reflectIndex($0 - r, count: h) }
        var out = image
        var padded = [Float](repeating: 0, count: pw * (h + 2 * r))
        var row = [Float](repeating: 0, count: w)
        for c in 0..<3 {
            let base = c * image.plane
            for py in 0..<(h + 2 * r) {
                let src = base + rowIndex[py] * w
                for px in 0..<pw { padded[py * pw + px] = image.pixels[src + colIndex[px]] }
            }
            padded.withUnsafeBufferPointer { pad in
                for y in 0..<h {
                    for x in 0..<w { row[x] = 0 }
                    row.withUnsafeMutableBufferPointer { acc in
                        for tap in taps {
                            let s = pad.baseAddress! + y * pw + tap.offset
                            let k = tap.weight
                            for x in 0..<w { acc[x] += k * s[x] }
                        }
                    }
                    out.pixels.replaceSubrange((base + y * w)..<(base + (y + 1) * w), with: row)
                }
            }
        }
        return out
    }

    /// Index into [0, count) of position i under reflection without edge repetition.
    static func reflectIndex(_ i: Int, count: Int) -> Int {
        if count == 1 { return 0 }
        let period = 2 * (count - 1)
        var m = i % period
        if m < 0 { m += period }
        return m < count ? m : period - m
    }
}
