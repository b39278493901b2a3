/// A 24-bit sRGB colour, the unit every terminal colour is expressed in.
///
/// Cells store `RGB?` (nil = the terminal's default colour); in 256-colour mode the renderer
/// maps each RGB to the nearest xterm palette entry (see `XtermPalette`), so widgets and
/// encoders never need to know which mode the terminal is in.
public struct RGB: Hashable, Sendable, CustomStringConvertible {
    public var r: UInt8
    public var g: UInt8
    public var b: UInt8

    @inlinable public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }

    @inlinable public init(r: UInt8, g: UInt8, b: UInt8) {
        self.init(r, g, b)
    }

    /// `0xRRGGBB`.
    @inlinable public init(hex: UInt32) {
        self.init(UInt8(truncatingIfNeeded: hex >> 16), UInt8(truncatingIfNeeded: hex >> 8), UInt8(truncatingIfNeeded: hex))
    }

    /// From float samples nominally in [0, 1] (image samples are already sRGB-encoded, so this
    /// is only a quantisation: round(clamp(v) · 255)). NaN maps to 0 so a broken image can
    /// never trap the viewer.
    @inlinable public init(red: Float, green: Float, blue: Float) {
        self.init(RGB.quantize(red), RGB.quantize(green), RGB.quantize(blue))
    }

    /// round(clamp(v, 0, 1) · 255); NaN → 0.
    @inlinable public static func quantize(_ v: Float) -> UInt8 {
        // `v > 0` is false for NaN, so NaN takes the 0 branch.
        let c: Float = v > 0 ? (v < 1 ? v : 1) : 0
        return UInt8(c * 255 + 0.5)
    }

    /// 0xRRGGBB.
    @inlinable public var hex: UInt32 { UInt32(r) << 16 | UInt32(g) << 8 | UInt32(b) }

    /// Squared Euclidean distance in 8-bit sRGB, the metric the 256-colour mapping minimises.
    @inlinable public func distanceSquared(to o: RGB) -> Int {
        let dr = Int(r) - Int(o.r)
        let dg = Int(g) - Int(o.g)
        let db = Int(b) - Int(o.b)
        return dr * dr + dg * dg + db * db
    }

    /// Linear interpolation in 8-bit sRGB (for gradients in widgets; t clamped to [0, 1]).
    public func mix(_ o: RGB, _ t: Float) -> RGB {
        let t = t > 0 ? (t < 1 ? t : 1) : 0
        func lerp(_ a: UInt8, _ b: UInt8) -> UInt8 { UInt8((Float(a) + (Float(b) - Float(a)) * t).rounded()) }
        return RGB(lerp(r, o.r), lerp(g, o.g), lerp(b, o.b))
    }

    public var description: String { "RGB(\(r), \(g), \(b))" }

    public static let black = RGB(0, 0, 0)
    public static let white = RGB(255, 255, 255)
    public static let red = RGB(255, 0, 0)
    public static let green = RGB(0, 255, 0)
    public static let blue = RGB(0, 0, 255)
    public static let yellow = RGB(255, 255, 0)
    public static let gray = RGB(128, 128, 128)
    public static let darkGray = RGB(64, 64, 64)
    public static let lightGray = RGB(192, 192, 192)
}
