import Foundation

/// The xterm 256-colour palette, restricted to the 240 entries whose values every terminal
/// agrees on: the 6×6×6 cube (16–231) and the 24-step gray ramp (232–255). Indices 0–15 are
/// never produced, because users and themes redefine them.
public enum XtermPalette {
    /// The cube's six levels per channel.
    public static let cubeLevels: [UInt8] = [0, 95, 135, 175, 215, 255]

    /// The nearest palette index for `c` by squared distance, choosing between the nearest
    /// cube colour and the nearest gray-ramp colour (the cube wins ties, so pure colours and
    /// black map to the cube: red → 196, black → 16, white → 231).
    public static func index(for c: RGB) -> UInt8 {
        let qr = cubeStep(c.r)
        let qg = cubeStep(c.g)
        let qb = cubeStep(c.b)
        let cube = RGB(cubeLevels[qr], cubeLevels[qg], cubeLevels[qb])
        let cubeIndex = 16 + 36 * qr + 6 * qg + qb

        let k = grayStep(c)
        let grayValue = UInt8(8 + 10 * k)
        let gray = RGB(grayValue, grayValue, grayValue)
        let grayIndex = 232 + k

        return UInt8(c.distanceSquared(to: gray) < c.distanceSquared(to: cube) ? grayIndex : cubeIndex)
    }

    /// The colour the terminal shows for palette index `i` (only 16–255 are defined here;
    /// 0–15 return the conventional xterm values, for parsing other programs' output).
    public static func rgb(index i: UInt8) -> RGB {
        switch i {
        case 0..<16: return system[Int(i)]
        case 16..<232:
            let n = Int(i) - 16
            return RGB(cubeLevels[n / 36], cubeLevels[(n / 6) % 6], cubeLevels[n % 6])
        default:
            let v = UInt8(8 + 10 * (Int(i) - 232))
            return RGB(v, v, v)
        }
    }

    /// The colour a 256-colour terminal will actually show for `c`. The half-block encoder
    /// stores these in its cells, so the cache key includes the mode and the renderer's
    /// mapping of an already-quantised colour returns the same index.
    @inlinable public static func quantize(_ c: RGB) -> RGB { rgb(index: index(for: c)) }

    /// Nearest cube level index for one channel. The thresholds are the midpoints between
    /// levels 0|95 (47.5), 95|135 (115), then every 40.
    @usableFromInline static func cubeStep(_ v: UInt8) -> Int {
        if v < 48 { return 0 }
        if v < 115 { return 1 }
        return (Int(v) - 35) / 40
    }

    /// Nearest gray-ramp step (values 8, 18, …, 238) for the channel mean.
    @usableFromInline static func grayStep(_ c: RGB) -> Int {
        let mean = (Int(c.r) + Int(c.g) + Int(c.b)) / 3
        return min(max((mean - 3) / 10, 0), 23)
    }

    /// The nearest of the first `count` (8 or 16) basic colours, by xterm's default values
    /// (themes change them, so this is only an approximation of what the terminal shows).
    public static func basicIndex(for c: RGB, count: Int) -> UInt8 {
        var best = 0
        var bestD = Int.max
        for i in 0..<min(count, 16) {
            let d = c.distanceSquared(to: system[i])
            if d < bestD {
                bestD = d
                best = i
            }
        }
        return UInt8(best)
    }

    /// The palette entry (16–255) nearest to `c` in CIELAB (ΔE76) rather than in RGB: slower
    /// (a search over the 240 entries), so for colour scales, whose hues must survive
    /// quantisation (RGB-nearest turns the dark end of blueRed teal and a red step magenta).
    public static func perceptualIndex(for c: RGB) -> UInt8 {
        let target = lab(c)
        var best = 16
        var bestD = Double.infinity
        for i in 16..<256 {
            let p = labTable[i - 16]
            let d = (p.0 - target.0) * (p.0 - target.0) + (p.1 - target.1) * (p.1 - target.1) + (p.2 - target.2) * (p.2 - target.2)
            if d < bestD {
                bestD = d
                best = i
            }
        }
        return UInt8(best)
    }

    /// The nearest of the first `count` basic colours in CIELAB.
    public static func perceptualBasicIndex(for c: RGB, count: Int) -> UInt8 {
        let target = lab(c)
        var best = 0
        var bestD = Double.infinity
        for i in 0..<min(count, 16) {
            let p = lab(system[i])
            let d = (p.0 - target.0) * (p.0 - target.0) + (p.1 - target.1) * (p.1 - target.1) + (p.2 - target.2) * (p.2 - target.2)
            if d < bestD {
                bestD = d
                best = i
            }
        }
        return UInt8(best)
    }

    private static let labTable: [(Double, Double, Double)] = (16..<256).map { lab(rgb(index: UInt8($0))) }

    /// sRGB (D65) → CIELAB.
    static func lab(_ c: RGB) -> (Double, Double, Double) {
        func linear(_ v: UInt8) -> Double {
            let u = Double(v) / 255
            return u <= 0.04045 ? u / 12.92 : pow((u + 0.055) / 1.055, 2.4)
        }
        let r = linear(c.r), g = linear(c.g), b = linear(c.b)
        let x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
        let y = 0.2126 * r + 0.7152 * g + 0.0722 * b
        let z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883
        func f(_ t: Double) -> Double { t > 0.008856 ? pow(t, 1.0 / 3) : 7.787 * t + 16.0 / 116 }
        return (116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z)))
    }

    /// xterm's defaults for 0–15 (only used to interpret captured output).
    @usableFromInline static let system: [RGB] = [
        RGB(0, 0, 0), RGB(205, 0, 0), RGB(0, 205, 0), RGB(205, 205, 0),
        RGB(0, 0, 238), RGB(205, 0, 205), RGB(0, 205, 205), RGB(229, 229, 229),
        RGB(127, 127, 127), RGB(255, 0, 0), RGB(0, 255, 0), RGB(255, 255, 0),
        RGB(92, 92, 255), RGB(255, 0, 255), RGB(0, 255, 255), RGB(255, 255, 255),
    ]
}
