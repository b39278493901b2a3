/// Layout operations: pixel (un)shuffle, channel interleave, concat, reflect padding, crop.
public enum Layout {
    /// PixelShuffle(r): (C·r², H, W) → (C, H·r, W·r); out[c, y·r+i, x·r+j] = in[c·r²+i·r+j, y, x].
    public static func pixelShuffle(_ x: Tensor, _ r: Int = 2, into out: inout Tensor) {
        precondition(x.channels % (r * r) == 0)
        let c = x.channels / (r * r), h = x.height, w = x.width
        out.reshape(channels: c, height: h * r, width: w * r)
        let ow = w * r
        for oc in 0..<c {
            for i in 0..<r {
                for j in 0..<r {
                    let ic = oc * r * r + i * r + j
                    for y in 0..<h {
                        let srow = (ic * h + y) * w
                        let drow = (oc * h * r + y * r + i) * ow + j
                        for xx in 0..<w { out.data[drow + xx * r] = x.data[srow + xx] }
                    }
                }
            }
        }
    }

    /// PixelUnshuffle(r): (C, H, W) → (C·r², H/r, W/r), the inverse of pixelShuffle.
    public static func pixelUnshuffle(_ x: Tensor, _ r: Int = 2, into out: inout Tensor) {
        precondition(x.height % r == 0 && x.width % r == 0)
        let c = x.channels, h = x.height / r, w = x.width / r
        out.reshape(channels: c * r * r, height: h, width: w)
        let iw = x.width
        for ic in 0..<c {
            for i in 0..<r {
                for j in 0..<r {
                    let oc = ic * r * r + i * r + j
                    for y in 0..<h {
                        let srow = (ic * x.height + y * r + i) * iw + j
                        let drow = (oc * h + y) * w
                        for xx in 0..<w { out.data[drow + xx] = x.data[srow + xx * r] }
                    }
                }
            }
        }
    }

    /// Channel concatenation [a; b].
    public static func concat(_ a: Tensor, _ b: Tensor, into out: inout Tensor) {
        precondition(a.height == b.height && a.width == b.width, "concat: spatial sizes differ")
        out.reshape(channels: a.channels + b.channels, height: a.height, width: a.width)
        out.data.withUnsafeMutableBufferPointer { ob in
            a.data.withUnsafeBufferPointer { ob.baseAddress!.update(from: $0.baseAddress!, count: a.count) }
            b.data.withUnsafeBufferPointer { (ob.baseAddress! + a.count).update(from: $0.baseAddress!, count: b.count) }
        }
    }

    /// Reflect index into [0, n): …, 2, 1, | 0, 1, …, n−1, | n−2, … (PyTorch 'reflect',
    /// repeated for pads larger than n−1 so tiny inputs stay defined).
    @inlinable public static func reflectIndex(_ i: Int, _ n: Int) -> Int {
        if n == 1 { return 0 }
        let period = 2 * (n - 1)
        var m = i % period
        if m < 0 { m += period }
        return m < n ? m : period - m
    }

    /// Pads bottom and right by reflection to (H + padH, W + padW).
    public static func reflectPad(_ x: Tensor, bottom padH: Int, right padW: Int, into out: inout Tensor) {
        let c = x.channels, h = x.height, w = x.width
        let oh = h + padH, ow = w + padW
        out.reshape(channels: c, height: oh, width: ow)
        for ch in 0..<c {
            for y in 0..<oh {
                let sy = reflectIndex(y, h)
                let s = (ch * h + sy) * w, d = (ch * oh + y) * ow
                for xx in 0..<ow { out.data[d + xx] = x.data[s + reflectIndex(xx, w)] }
            }
        }
    }

    /// The window [y0, y0+h) × [x0, x0+w) of every channel.
    public static func crop(_ x: Tensor, y0: Int, x0: Int, height h: Int, width w: Int) -> Tensor {
        var out = Tensor(channels: 0, height: 0, width: 0)
        crop(x, y0: y0, x0: x0, height: h, width: w, into: &out)
        return out
    }

    /// `crop` into `out`, reusing its storage (no allocation once it is large enough).
    public static func crop(_ x: Tensor, y0: Int, x0: Int, height h: Int, width w: Int, into out: inout Tensor) {
        precondition(y0 >= 0 && x0 >= 0 && y0 + h <= x.height && x0 + w <= x.width, "crop out of bounds")
        out.reshape(channels: x.channels, height: h, width: w)
        x.data.withUnsafeBufferPointer { src in
            out.data.withUnsafeMutableBufferPointer { dst in
                for ch in 0..<x.channels {
                    for y in 0..<h {
                        (dst.baseAddress! + (ch * h + y) * w)
                            .update(from: src.baseAddress! + (ch * x.height + y0 + y) * x.width + x0, count: w)
                    }
                }
            }
        }
    }
}
