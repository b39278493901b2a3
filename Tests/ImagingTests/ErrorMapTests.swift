import TensorCore
import Testing

@testable import Imaging

@Suite struct ErrorMapTests {
    /// 2×1 images: pixel 0 differs by (0.5, 0.25, 0) in (r, g, b), pixel 1 by (−0.75, 0, 0).
    private let a = RGBImage(width: 2, height: 1, pixels: [0.5, 0.25, 0.25, 0.5, 0.5, 0.5])
    private let b = RGBImage(width: 2, height: 1, pixels: [0, 1, 0, 0.5, 0.5, 0.5])

    private func color(_ image: RGBImage, _ i: Int) -> [Float] {
        [image.pixels[i], image.pixels[image.plane + i], image.pixels[2 * image.plane + i]]
    }

    private func expected(_ map: Colormap, _ v: Float) -> [Float] {
        let c = map.mapFloat(v)
        return [c.r, c.g, c.b]
    }

    @Test func differences() {
        #expect(ErrorMap.absoluteDifference(a, b, reduction: .mean) == [0.25, 0.25])
        #expect(ErrorMap.absoluteDifference(a, b, reduction: .max) == [0.5, 0.75])
        #expect(ErrorMap.signedDifference(a, b) == [0.25, -0.25])
    }

    @Test func valueRanges() {
        let values = (0...100).map(Float.init) + [.nan, .infinity, -.infinity]
        #expect(valueRange(values, robust: false) == 0...100)
        #expect(valueRange(values, robust: true) == 1...99)
        // Linear interpolation between ranks: 1% of the way through [0, 10] is 0.1.
        let r = valueRange([0, 10], robust: true)
        #expect(abs(r.lowerBound - 0.1) < 1e-6 && abs(r.upperBound - 9.9) < 1e-5)
        // One outlier does not stretch the robust range.
        let outlier = [Float](repeating: 0.1, count: 200) + [50]
        #expect(valueRange(outlier, robust: true).upperBound < 1)
        #expect(valueRange([], robust: true) == 0...0)
        #expect(valueRange([.nan], robust: false) == 0...0)
    }

    @Test func colorizeMapsTheRangeOntoTheColormap() {
        let values: [Float] = [2, 6, 4, -10, 99, .nan]
        let image = colorize(values, width: 3, height: 2, colormap: .viridis, range: 2...6)
        #expect(image.width == 3 && image.height == 2 && image.alpha == nil)
        #expect(color(image, 0) == expected(.viridis, 0))
        #expect(color(image, 1) == expected(.viridis, 1))
        #expect(color(image, 2) == expected(.viridis, 0.5))
        #expect(color(image, 3) == expected(.viridis, 0), "below the range saturates")
        #expect(color(image, 4) == expected(.viridis, 1), "above the range saturates")
        #expect(color(image, 5) == expected(.viridis, 0), "NaN shows as the low end")
    }

    @Test func degenerateRange() {
        let zeros = [Float](repeating: 0, count: 4)
        let seq = colorize(zeros, width: 2, height: 2, colormap: .magma, range: 0...0)
        #expect(color(seq, 3) == expected(.magma, 0))
        let div = colorize(zeros, width: 2, height: 2, colormap: .blueRed, range: 0...0)
        #expect(color(div, 3) == expected(.blueRed, 0.5), "zero reads as the diverging map's middle")
    }

    @Test func colorizeATensorChannel() {
        var t = Tensor(channels: 2, height: 1, width: 2)
        t[1, 0, 0] = 1
        let image = colorize(t, channel: 1, colormap: .gray, range: 0...1)
        #expect(color(image, 0) == [1, 1, 1] && color(image, 1) == [0, 0, 0])
    }

    @Test func amplification() {
        #expect(ErrorMap.amplified(0...1, by: 10, signed: false) == 0...0.1)
        #expect(ErrorMap.amplified(0.2...0.6, by: 4, signed: false) == 0.2...0.3)
        #expect(ErrorMap.amplified(-0.5...0.25, by: 5, signed: true) == -0.1...0.1)
    }

    @Test func renderAbsolute() {
        let style = ErrorMapStyle(kind: .absolute(.max), normalization: .fixed(0...1), amplification: 2)
        let result = ErrorMap.render(a, b, style: style)
        #expect(result.values == [0.5, 0.75])
        #expect(result.range == 0...0.5)
        #expect(color(result.image, 0) == expected(.viridis, 1))
        #expect(color(result.image, 1) == expected(.viridis, 1))
        let identical = ErrorMap.render(a, a)
        #expect(identical.range == 0...0)
        #expect(color(identical.image, 0) == expected(.viridis, 0))
    }

    @Test func renderSigned() {
        let result = ErrorMap.render(a, b, style: ErrorMapStyle(kind: .signed, normalization: .minMax))
        #expect(result.range == -0.25...0.25)
        #expect(color(result.image, 0) == expected(.blueRed, 1), "a brighter than b is red")
        #expect(color(result.image, 1) == expected(.blueRed, 0), "a darker than b is blue")
    }
}
