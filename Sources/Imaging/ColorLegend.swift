/// A colour bar for a colormap over a value range, drawn as pixels: the gradient, then a
/// black strip with white tick marks. It has no text; `ticks` gives each mark's pixel
/// position and value so the caller can print labels (in the terminal, or beside the file).
///
///     horizontal (width × height)          vertical (width × height)
///     low ███████████████ high             high █ ▸  ticks on the right,
///         |   |   |   |   |                     █ ▸  value falls downwards
///                                          low  █ ▸
public struct ColorLegend: Sendable {
    public enum Orientation: Sendable {
        case horizontal
        case vertical
    }

    public struct Tick: Sendable, Equatable {
        /// Column (horizontal) or row (vertical) of the mark in `image`.
        public var position: Int
        public var value: Float
    }

    public var image: RGBImage
    public var range: ClosedRange<Float>
    public var ticks: [Tick]

    /// - Parameters:
    ///   - length: pixels along the gradient (at least 2).
    ///   - thickness: pixels across; the last third (at least 1 pixel, when thickness ≥ 3)
    ///     holds the tick marks.
    ///   - tickCount: evenly spaced marks including both ends (0 for none).
    public init(
        colormap: Colormap, range: ClosedRange<Float>, length: Int = 256, thickness: Int = 16,
        tickCount: Int = 5, orientation: Orientation = .horizontal
    ) {
        precondition(length >= 2 && thickness >= 1 && tickCount >= 0)
        let tickStrip = thickness >= 3 ? max(1, thickness / 3) : 0
        let bar = thickness - tickStrip
        self.range = range
        // Tick k sits at fraction k / (tickCount − 1) of the way from low to high (one tick: low).
        self.ticks = (0..<tickCount).map { k in
            let t = tickCount > 1 ? Float(k) / Float(tickCount - 1) : 0
            let along = Int((t * Float(length - 1)).rounded())
            return Tick(position: orientation == .horizontal ? along : length - 1 - along,
                        value: range.lowerBound + t * (range.upperBound - range.lowerBound))
        }

        // Along-axis index a (0 = low end) and across index b (0 = gradient side).
        let (w, h) = orientation == .horizontal ? (length, thickness) : (thickness, length)
        var image = RGBImage(width: w, height: h)
        let tickAlong = Set(self.ticks.map { orientation == .horizontal ? $0.position : length - 1 - $0.position })
        for a in 0..<length {
            let c = colormap.mapFloat(Float(a) / Float(length - 1))
            for b in 0..<thickness {
                let (x, y) = orientation == .horizontal ? (a, b) : (b, length - 1 - a)
                let rgb: (Float, Float, Float) = b < bar ? (c.r, c.g, c.b) : (tickAlong.contains(a) ? (1, 1, 1) : (0, 0, 0))
                image[0, y, x] = rgb.0
                image[1, y, x] = rgb.1
                image[2, y, x] = rgb.2
            }
        }
        self.image = image
    }
}
