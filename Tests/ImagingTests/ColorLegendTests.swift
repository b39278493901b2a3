import Testing

@testable import Imaging

@Suite struct ColorLegendTests {
    private func color(_ image: RGBImage, x: Int, y: Int) -> [Float] { [image[0, y, x], image[1, y, x], image[2, y, x]] }

    @Test func horizontal() {
        let legend = ColorLegend(colormap: .viridis, range: 0...0.2, length: 101, thickness: 12, tickCount: 5)
        #expect(legend.image.width == 101 && legend.image.height == 12)
        #expect(legend.range == 0...0.2)
        #expect(legend.ticks.map(\.position) == [0, 25, 50, 75, 100])
        for (tick, value) in zip(legend.ticks, [0, 0.05, 0.1, 0.15, 0.2] as [Float]) {
            #expect(abs(tick.value - value) < 1e-7)
        }
        let low = Colormap.viridis.mapFloat(0), high = Colormap.viridis.mapFloat(1)
        #expect(color(legend.image, x: 0, y: 0) == [low.r, low.g, low.b])
        #expect(color(legend.image, x: 100, y: 7) == [high.r, high.g, high.b])
        // Bottom third (4 rows): white marks at ticks on black.
        #expect(color(legend.image, x: 25, y: 11) == [1, 1, 1])
        #expect(color(legend.image, x: 26, y: 11) == [0, 0, 0])
        #expect(color(legend.image, x: 26, y: 7) != [0, 0, 0])
    }

    @Test func vertical() {
        let legend = ColorLegend(colormap: .magma, range: -1...1, length: 9, thickness: 3, tickCount: 3,
                                 orientation: .vertical)
        #expect(legend.image.width == 3 && legend.image.height == 9)
        // High values at the top.
        #expect(legend.ticks == [.init(position: 8, value: -1), .init(position: 4, value: 0), .init(position: 0, value: 1)])
        let high = Colormap.magma.mapFloat(1)
        #expect(color(legend.image, x: 0, y: 0) == [high.r, high.g, high.b])
        #expect(color(legend.image, x: 2, y: 4) == [1, 1, 1])
        #expect(color(legend.image, x: 2, y: 3) == [0, 0, 0])
    }

    @Test func noTicks() {
        let legend = ColorLegend(colormap: .gray, range: 0...1, length: 4, thickness: 2, tickCount: 0)
        #expect(legend.ticks.isEmpty)
        #expect(color(legend.image, x: 3, y: 1) == [1, 1, 1], "thin legends are all gradient")
    }
}
