import Testing

@testable import TerminalUI

@Suite struct XtermPaletteTests {
    @Test func knownColours() {
        #expect(XtermPalette.index(for: .red) == 196)
        #expect(XtermPalette.index(for: .green) == 46)
        #expect(XtermPalette.index(for: .blue) == 21)
        #expect(XtermPalette.index(for: .black) == 16)
        #expect(XtermPalette.index(for: .white) == 231)
        // Mid gray is closer to the ramp (128 exactly: 232 + 12) than to the cube (135).
        #expect(XtermPalette.index(for: RGB(128, 128, 128)) == 244)
        #expect(XtermPalette.index(for: RGB(8, 8, 8)) == 232)
        #expect(XtermPalette.index(for: RGB(238, 238, 238)) == 255)
    }

    @Test func neverUsesSystemColours() {
        for v in stride(from: 0, through: 255, by: 5) {
            for c in [RGB(UInt8(v), 0, 0), RGB(UInt8(v), UInt8(v), UInt8(v)), RGB(0, UInt8(v), UInt8(255 - v))] {
                #expect(XtermPalette.index(for: c) >= 16)
            }
        }
    }

    @Test func paletteColoursMapToThemselves() {
        for i in 16...255 {
            let c = XtermPalette.rgb(index: UInt8(i))
            #expect(XtermPalette.index(for: c) == UInt8(i), "index \(i) = \(c)")
        }
    }

    @Test func nearestIsNoWorseThanBruteForceOverCubeAndRamp() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let c = RGB(
                UInt8.random(in: 0...255, using: &rng), UInt8.random(in: 0...255, using: &rng),
                UInt8.random(in: 0...255, using: &rng))
            let chosen = XtermPalette.rgb(index: XtermPalette.index(for: c))
            let best = (16...255).map { c.distanceSquared(to: XtermPalette.rgb(index: UInt8($0))) }.min()!
            // Per-channel nearest cube level is the nearest cube colour, so the choice is
            // optimal over cube ∪ ramp except for the ramp's own rounding of the mean.
            #expect(c.distanceSquared(to: chosen) <= best + 3 * 25, "\(c) -> \(chosen)")
        }
    }

    @Test func cubeEntries() {
        #expect(XtermPalette.rgb(index: 16) == .black)
        #expect(XtermPalette.rgb(index: 196) == .red)
        #expect(XtermPalette.rgb(index: 59) == RGB(95, 95, 95))
        #expect(XtermPalette.rgb(index: 244) == RGB(128, 128, 128))
    }
}
