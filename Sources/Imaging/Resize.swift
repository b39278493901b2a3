/// Resampling and cropping of `RGBImage`s.
///
/// The area filter gives each output pixel the average of the source area it covers, with
/// exact fractional coverage of the boundary pixels. It is the filter for terminal
/// previews (image -> (columns, 2 · rows) half-block pixels): every source pixel counts with
/// its covered area, so no detail is skipped and the mean is preserved; upscaling becomes
/// pixel replication with blended seams.
extension RGBImage {
    /// The image resampled to `width` × `height` with the area filter (alpha too).
    public func resized(width newWidth: Int, height newHeight: Int) -> RGBImage {
        precondition(newWidth > 0 && newHeight > 0, "resize target \(newWidth)x\(newHeight) must be positive")
        if newWidth == width && newHeight == height { return self }
        let xs = AreaWeights(source: width, target: newWidth)
        let ys = AreaWeights(source: height, target: newHeight)
        var out = [Float](repeating: 0, count: 3 * newWidth * newHeight)
        for c in 0..<3 {
            let plane = Self.resample(pixels, offset: c * width * height, width: width, height: height, xs: xs, ys: ys)
            out.replaceSubrange((c * newWidth * newHeight)..<((c + 1) * newWidth * newHeight), with: plane)
        }
        let newAlpha = alpha.map { Self.resample($0, offset: 0, width: width, height: height, xs: xs, ys: ys) }
        return RGBImage(width: newWidth, height: newHeight, pixels: out, alpha: newAlpha, bitDepth: bitDepth)
    }

    /// Halves each side (rounding up) with an antialiasing filter: `.box` averages 2×2 blocks,
    /// `.triangle` uses the separable [1, 3, 3, 1] / 8 kernel (bilinear's footprint: less
    /// aliasing on fine texture, slightly softer). Borders replicate the edge pixel, so an odd
    /// last column averages with itself.
    public func downscaled2x(filter: DownscaleFilter = .triangle) -> RGBImage {
        let w2 = (width + 1) / 2, h2 = (height + 1) / 2
        var out = [Float](repeating: 0, count: 3 * w2 * h2)
        for c in 0..<3 {
            let plane = Self.halve(pixels, offset: c * width * height, width: width, height: height, filter: filter)
            out.replaceSubrange((c * w2 * h2)..<((c + 1) * w2 * h2), with: plane)
        }
        let newAlpha = alpha.map { Self.halve($0, offset: 0, width: width, height: height, filter: filter) }
        return RGBImage(width: w2, height: h2, pixels: out, alpha: newAlpha, bitDepth: bitDepth)
    }

    /// The `width` × `height` rectangle whose top-left pixel is (x, y); it must lie inside.
    public func cropped(x: Int, y: Int, width w: Int, height h: Int) -> RGBImage {
        precondition(x >= 0 && y >= 0 && w >= 0 && h >= 0 && x + w <= width && y + h <= height,
                     "crop \(w)x\(h)+\(x)+\(y) outside \(width)x\(height)")
        func crop(_ src: [Float], offset: Int) -> [Float] {
            var dst = [Float]()
            dst.reserveCapacity(w * h)
            for row in y..<(y + h) {
                let start = offset + row * width + x
                dst.append(contentsOf: src[start..<(start + w)])
            }
            return dst
        }
        var out = [Float]()
        out.reserveCapacity(3 * w * h)
        for c in 0..<3 { out.append(contentsOf: crop(pixels, offset: c * width * height)) }
        return RGBImage(width: w, height: h, pixels: out, alpha: alpha.map { crop($0, offset: 0) }, bitDepth: bitDepth)
    }

    // (height, width) plane at `offset` -> (ys.target, xs.target) plane: rows first, then columns.
    private static func resample(_ src: [Float], offset: Int, width: Int, height: Int, xs: AreaWeights, ys: AreaWeights)
        -> [Float]
    {
        let tw = xs.target, th = ys.target
        var rows = [Float](repeating: 0, count: height * tw)  // (height, tw)
        src.withUnsafeBufferPointer { s in
            rows.withUnsafeMutableBufferPointer { r in
                for y in 0..<height {
                    let line = s.baseAddress! + offset + y * width
                    for x in 0..<tw { r[y * tw + x] = xs.apply(x) { line[$0] } }
                }
            }
        }
        var out = [Float](repeating: 0, count: th * tw)
        rows.withUnsafeBufferPointer { r in
            out.withUnsafeMutableBufferPointer { o in
                for y in 0..<th {
                    for x in 0..<tw { o[y * tw + x] = ys.apply(y) { r[$0 * tw + x] } }
                }
            }
        }
        return out
    }

    // (height, width) plane at `offset` -> ((height + 1) / 2, (width + 1) / 2), rows first.
    // Output i reads source 2i + d for d in taps (clamped to the edge) with weights w.
    private static func halve(_ src: [Float], offset: Int, width: Int, height: Int, filter: DownscaleFilter)
        -> [Float]
    {
        let w2 = (width + 1) / 2, h2 = (height + 1) / 2
        let taps = filter == .box ? [0, 1] : [-1, 0, 1, 2]
        let w: [Float] = filter == .box ? [0.5, 0.5] : [0.125, 0.375, 0.375, 0.125]
        var rows = [Float](repeating: 0, count: height * w2)  // (height, w2)
        var out = [Float](repeating: 0, count: h2 * w2)
        src.withUnsafeBufferPointer { s in
            rows.withUnsafeMutableBufferPointer { r in
                for y in 0..<height {
                    let line = s.baseAddress! + offset + y * width
                    for x in 0..<w2 {
                        var acc: Float = 0
                        for k in 0..<taps.count { acc += w[k] * line[min(max(2 * x + taps[k], 0), width - 1)] }
                        r[y * w2 + x] = acc
                    }
                }
            }
        }
        rows.withUnsafeBufferPointer { r in
            out.withUnsafeMutableBufferPointer { o in
                for y in 0..<h2 {
                    for k in 0..<taps.count {
                        let row = r.baseAddress! + min(max(2 * y + taps[k], 0), height - 1) * w2
                        let wk = w[k]
                        for x in 0..<w2 { o[y * w2 + x] += wk * row[x] }
                    }
                }
            }
        }
        return out
    }
}

/// Kernels for `RGBImage.downscaled2x`.
public enum DownscaleFilter: Sendable {
    /// 2×2 average: exact block means, some aliasing.
    case box
    /// Separable [1, 3, 3, 1] / 8 per axis.
    case triangle
}

/// One axis of the area filter: for each target index, the source indices it covers and
/// their weights (covered length / target pixel length, summing to 1).
/// Target pixel i covers source interval [i · s, (i + 1) · s), s = source / target.
struct AreaWeights {
    let target: Int
    private let starts: [Int]  // first source index of target i
    private let offsets: [Int]  // weights of target i are weights[offsets[i] ..< offsets[i + 1]]
    private let weights: [Float]

    init(source: Int, target: Int) {
        precondition(source > 0 && target > 0)
        self.target = target
        var starts = [Int](), offsets = [0], weights = [Float]()
        // Work in units of 1 / target so the interval ends are integers: exact coverage.
        for i in 0..<target {
            let lo = i * source, hi = (i + 1) * source  // source interval × target
            let first = lo / target, last = (hi - 1) / target
            starts.append(first)
            for j in first...last {
                let covered = min(hi, (j + 1) * target) - max(lo, j * target)
                weights.append(Float(Double(covered) / Double(source)))
            }
            offsets.append(weights.count)
        }
        self.starts = starts
        self.offsets = offsets
        self.weights = weights
    }

    /// Σ weight · value(source index) for target index `i`.
    @inline(__always) func apply(_ i: Int, _ value: (Int) -> Float) -> Float {
        var acc: Float = 0
        var j = starts[i]
        for k in offsets[i]..<offsets[i + 1] {
            acc += weights[k] * value(j)
            j += 1
        }
        return acc
    }
}
