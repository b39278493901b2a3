import Imaging

/// Area (box) resampling of a rectangle of an `RGBImage` onto an output pixel grid: each
/// output pixel is the mean of the source pixels under its footprint, weighted by overlap.
/// Downscaling averages (no aliasing when a 1024-pixel row becomes 160 columns); upscaling a
/// zoomed-in viewport degenerates to nearest-pixel blocks, which is what one wants when
/// inspecting single pixels. Written here because Imaging has no resize yet; separable, so
/// the cost is one pass over the source rows plus one over the output.
///
/// Parts of the source rectangle outside the image are "transparent": an output pixel whose
/// footprint is less than half inside the image is reported as outside, and the colour of a
/// partly covered one is the mean over its covered part only. An image thinner than half an
/// output pixel still gets the one output pixel that covers most of it.
struct AreaResampler {
    /// Contributions of source pixels to each output index along one axis, flattened:
    /// output i takes `weights[offset[i] ..< offset[i] + count[i]]` for source indices
    /// `start[i] ...`, already normalised to sum to 1.
    struct Axis {
        var start: [Int] = []
        var count: [Int] = []
        var offset: [Int] = []
        var weights: [Float] = []
        var inside: [Bool] = []

        /// `outCount` output pixels over the source interval [origin, origin + length),
        /// clipped to [0, size).
        init(origin: Double, length: Double, outCount: Int, size: Int) {
            var covered: [Double] = []
            let step = length / Double(outCount)
            for i in 0..<outCount {
                let a = origin + Double(i) * step
                let b = a + step
                let lo = max(a, 0)
                let hi = min(b, Double(size))
                offset.append(weights.count)
                guard hi > lo else {
                    start.append(0)
                    count.append(0)
                    inside.append(false)
                    covered.append(0)
                    continue
                }
                let first = Int(lo.rounded(.down))
                let last = min(Int(hi.rounded(.up)), size)  // exclusive
                var total = 0.0
                var ws: [Double] = []
                for k in first..<last {
                    let w = min(hi, Double(k + 1)) - max(lo, Double(k))
                    ws.append(max(w, 0))
                    total += max(w, 0)
                }
                start.append(first)
                count.append(ws.count)
                weights.append(contentsOf: ws.map { Float($0 / total) })
                inside.append(total >= 0.5 * step)
                covered.append(total)
            }
            // An image thinner than half an output pixel on this axis (a 3000×4 strip at fit)
            // would vanish: the output pixel holding most of it shows it, a one-pixel line.
            if Double(size) < 0.5 * step, !inside.contains(true), let best = covered.indices.max(by: { covered[$0] < covered[$1] }), covered[best] > 0 {
                inside[best] = true
            }
        }

        /// The source index range any output touches (for sizing the intermediate).
        var span: Range<Int> {
            var lo = Int.max
            var hi = Int.min
            for i in 0..<start.count where count[i] > 0 {
                lo = min(lo, start[i])
                hi = max(hi, start[i] + count[i])
            }
            return lo <= hi ? lo..<hi : 0..<0
        }
    }

    /// Planar output: 3 planes of `width · height`, plus which pixels lie inside the image.
    struct Result {
        var width: Int
        var height: Int
        var pixels: [Float]
        var insideX: [Bool]
        var insideY: [Bool]
    }

    static func resample(_ image: RGBImage, source: ImageRegion, width outW: Int, height outH: Int) -> Result {
        precondition(outW > 0 && outH > 0, "empty resample target \(outW)x\(outH)")
        let ax = Axis(origin: source.x, length: source.width, outCount: outW, size: image.width)
        let ay = Axis(origin: source.y, length: source.height, outCount: outH, size: image.height)
        let rows = ay.span
        var out = [Float](repeating: 0, count: 3 * outW * outH)
        guard !rows.isEmpty, !ax.span.isEmpty else {
            return Result(width: outW, height: outH, pixels: out, insideX: ax.inside, insideY: ay.inside)
        }

        // Pass 1, horizontal: tmp (3, rows.count, outW) from the source rows that matter.
        let W = image.width
        let plane = image.width * image.height
        var tmp = [Float](repeating: 0, count: 3 * rows.count * outW)
        image.pixels.withUnsafeBufferPointer { src in
            tmp.withUnsafeMutableBufferPointer { t in
                ax.weights.withUnsafeBufferPointer { w in
                    for c in 0..<3 {
                        for (ri, r) in rows.enumerated() {
                            let s = c * plane + r * W
                            let d = (c * rows.count + ri) * outW
                            for i in 0..<outW {
                                var acc: Float = 0
                                let o = ax.offset[i]
                                let k0 = ax.start[i]
                                for k in 0..<ax.count[i] { acc += w[o + k] * src[s + k0 + k] }
                                t[d + i] = acc
                            }
                        }
                    }
                }
            }
        }

        // Pass 2, vertical: out (3, outH, outW).
        tmp.withUnsafeBufferPointer { t in
            out.withUnsafeMutableBufferPointer { o in
                for c in 0..<3 {
                    for j in 0..<outH {
                        let d = (c * outH + j) * outW
                        for k in 0..<ay.count[j] {
                            let wv = ay.weights[ay.offset[j] + k]
                            let s = (c * rows.count + (ay.start[j] + k - rows.lowerBound)) * outW
                            for i in 0..<outW { o[d + i] += wv * t[s + i] }
                        }
                    }
                }
            }
        }
        return Result(width: outW, height: outH, pixels: out, insideX: ax.inside, insideY: ay.inside)
    }
}
