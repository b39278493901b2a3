import Testing

@testable import Imaging

@Suite struct ColormapTests {
    private func rgb(_ c: (r: UInt8, g: UInt8, b: UInt8)) -> [UInt8] { [c.r, c.g, c.b] }

    @Test func endpointsMatchMatplotlib() {
        #expect(rgb(Colormap.viridis.map(0)) == [68, 1, 84])
        #expect(rgb(Colormap.viridis.map(1)) == [253, 231, 37])
        #expect(rgb(Colormap.magma.map(0)) == [0, 0, 4])
        #expect(rgb(Colormap.magma.map(1)) == [252, 253, 191])
        #expect(rgb(Colormap.turbo.map(0)) == [48, 18, 59])
        #expect(rgb(Colormap.turbo.map(1)) == [122, 4, 3])
        #expect(rgb(Colormap.blueRed.map(0)) == [5, 48, 97])
        #expect(rgb(Colormap.blueRed.map(1)) == [103, 0, 31])
        #expect(rgb(Colormap.gray.map(0)) == [0, 0, 0])
        #expect(rgb(Colormap.gray.map(1)) == [255, 255, 255])
    }

    @Test func middleEntries() {
        // matplotlib's indexing: floor(v · 256), so 0.5 is entry 128.
        #expect(rgb(Colormap.viridis.map(0.5)) == [33, 145, 140])
        #expect(rgb(Colormap.gray.map(0.5)) == [128, 128, 128])
        let white = Colormap.blueRed.map(0.5)
        #expect(min(white.r, white.g, white.b) >= 240, "the diverging map's middle is near white")
    }

    @Test(arguments: Colormap.allCases)
    func clampsOutOfRangeAndNaN(_ map: Colormap) {
        #expect(rgb(map.map(-3)) == rgb(map.map(0)))
        #expect(rgb(map.map(7)) == rgb(map.map(1)))
        #expect(rgb(map.map(.nan)) == rgb(map.map(0)))
        #expect(map.table.count == 768)
        let f = map.mapFloat(1)
        #expect(f.r == Float(map.map(1).r) / 255)
    }

    @Test func sequentialMapsGetBrighter() {
        // Luma rises end to end for viridis and magma (perceptually ordered maps).
        for map in [Colormap.viridis, .magma, .gray] {
            func luma(_ v: Float) -> Float {
                let c = map.map(v)
                return 0.299 * Float(c.r) + 0.587 * Float(c.g) + 0.114 * Float(c.b)
            }
            #expect(luma(0) < luma(0.5) && luma(0.5) < luma(1), "\(map)")
        }
        #expect(Colormap.blueRed.isDiverging && !Colormap.viridis.isDiverging)
    }
}
