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

    /// xterm's defaults for 0–15 (only used to interpret captured output).
    @usableFromInline static let system: [RGB] = [
        RGB(0, 0, 0), RGB(205, 0, 0), RGB(0, 205, 0), RGB(205, 205, 0),
        RGB(0, 0, 238), RGB(205, 0, 205), RGB(0, 205, 205), RGB(229, 229, 229),
        RGB(127, 127, 127), RGB(255, 0, 0), RGB(0, 255, 0), RGB(255, 255, 0),
        RGB(92, 92, 255), RGB(255, 0, 255), RGB(0, 255, 255), RGB(255, 255, 255),
    ]
}
