/// The EXIF orientation tag (0x0112): how the stored pixels must be turned to be upright.
/// Cameras store a portrait photo as landscape pixels with `.right` ("rotate 90° clockwise to
/// view"). Raw values follow the EXIF/TIFF specification:
///
///     1 up            as stored                 5 leftMirrored   transpose (flip about the main diagonal)
///     2 upMirrored    flip left-right           6 right          rotate 90° clockwise
///     3 down          rotate 180°               7 rightMirrored  transverse (flip about the anti-diagonal)
///     4 downMirrored  flip top-bottom           8 left           rotate 90° counter-clockwise
public enum ExifOrientation: Int, Sendable, CaseIterable {
    case up = 1, upMirrored, down, downMirrored, leftMirrored, right, rightMirrored, left

    /// True when the upright image's width is the stored height (values 5-8).
    public var swapsAxes: Bool { rawValue >= 5 }

    /// The orientation in an EXIF block (the APP1 payload after "Exif\0\0": a TIFF header
    /// and IFD0). Anything missing, malformed or out of range reads as `.up`; every offset is
    /// bounds-checked, so any bytes are safe to pass.
    public init<C: RandomAccessCollection>(exif bytes: C) where C.Element == UInt8, C.Index == Int {
        self = Self.parse(bytes) ?? .up
    }

    private static func parse<C: RandomAccessCollection>(_ b: C) -> ExifOrientation?
    where C.Element == UInt8, C.Index == Int {
        let base = b.startIndex, count = b.count
        guard count >= 8 else { return nil }
        let little: Bool
        switch (b[base], b[base + 1]) {
        case (0x49, 0x49): little = true   // "II"
        case (0x4D, 0x4D): little = false  // "MM"
        default: return nil
        }
        func u16(_ o: Int) -> Int? {
            guard o >= 0, o + 2 <= count else { return nil }
            let a = Int(b[base + o]), c = Int(b[base + o + 1])
            return little ? a | c << 8 : a << 8 | c
        }
        func u32(_ o: Int) -> Int? {
            guard let lo = u16(little ? o : o + 2), let hi = u16(little ? o + 2 : o) else { return nil }
            return hi << 16 | lo
        }
        guard u16(2) == 42, let ifd = u32(4), let entries = u16(ifd) else { return nil }
        for i in 0..<entries {
            let e = ifd + 2 + 12 * i
            guard let tag = u16(e) else { return nil }
            guard tag == 0x0112 else { continue }
            // Type SHORT (3), count 1: the value sits in the first two bytes of the value field.
            guard u16(e + 2) == 3, u32(e + 4) == 1, let v = u16(e + 8) else { return nil }
            return ExifOrientation(rawValue: v)
        }
        return nil
    }

    /// The upright image: `image` (the stored pixels) turned as this tag says. Alpha turns
    /// with the colours; the bit depth is kept.
    public func apply(to image: RGBImage) -> RGBImage {
        if self == .up { return image }
        let w = image.width, h = image.height
        let ow = swapsAxes ? h : w, oh = swapsAxes ? w : h
        // Source pixel (x, y) in the stored image for output pixel (ox, oy).
        let source: (Int, Int) -> (Int, Int)
        switch self {
        case .up: source = { ($0, $1) }
        case .upMirrored: source = { (w - 1 - $0, $1) }
        case .down: source = { (w - 1 - $0, h - 1 - $1) }
        case .downMirrored: source = { ($0, h - 1 - $1) }
        case .leftMirrored: source = { ($1, $0) }
        case .right: source = { ($1, h - 1 - $0) }
        case .rightMirrored: source = { (w - 1 - $1, h - 1 - $0) }
        case .left: source = { (w - 1 - $1, $0) }
        }
        let n = w * h
        var index = [Int](repeating: 0, count: n)
        for oy in 0..<oh {
            for ox in 0..<ow {
                let (sx, sy) = source(ox, oy)
                index[oy * ow + ox] = sy * w + sx
            }
        }
        var pixels = [Float](repeating: 0, count: 3 * n)
        for c in 0..<3 {
            for i in 0..<n { pixels[c * n + i] = image.pixels[c * n + index[i]] }
        }
        let alpha = image.alpha.map { a in index.map { a[$0] } }
        return RGBImage(width: ow, height: oh, pixels: pixels, alpha: alpha, bitDepth: image.bitDepth)
    }
}
