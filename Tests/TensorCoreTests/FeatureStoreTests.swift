import Testing
import TestSupport
@testable import TensorCore

@Suite struct FeatureStoreTests {
    /// Rectangles written tile by tile and read back anywhere (across blocks, at the edges)
    /// give the same values in memory and in a blocked temporary file.
    @Test(arguments: [false, true]) func rectanglesRoundTrip(_ spill: Bool) throws {
        let c = 3, h = 23, w = 29, block = 8
        var rng = TestRandom(seed: 4)
        let full = Tensor(channels: c, height: h, width: w, data: rng.array(c * h * w))
        let store = try FeatureStore(channels: c, height: h, width: w, spill: spill, block: block)
        #expect(store.isSpilled == spill)
        // Written as the streamed pass does: one block-sized tile at a time, from a larger tile.
        for y in stride(from: 0, to: h, by: block) {
            for x in stride(from: 0, to: w, by: block) {
                let th = min(block, h - y), tw = min(block, w - x)
                let y0 = max(0, y - 2), x0 = max(0, x - 2)
                let grown = Layout.crop(full, y0: y0, x0: x0, height: min(h, y + th + 2) - y0, width: min(w, x + tw + 2) - x0)
                store.write(grown, fromY: y - y0, fromX: x - x0, height: th, width: tw, toY: y, toX: x)
            }
        }
        // A partial-width write into the middle of blocks.
        let patch = Tensor(channels: c, height: 3, width: 5, repeating: 7)
        store.write(patch, fromY: 0, fromX: 0, height: 3, width: 5, toY: 6, toX: 5)
        var expected = full
        for ch in 0..<c { for y in 6..<9 { for x in 5..<10 { expected[ch, y, x] = 7 } } }
        var t = Tensor(channels: 0, height: 0, width: 0)
        for (y, x, hh, ww) in [(0, 0, h, w), (3, 5, 11, 17), (20, 27, 3, 2), (7, 0, 1, w), (0, 8, h, 8)] {
            store.read(y: y, x: x, height: hh, width: ww, into: &t)
            #expect(t == Layout.crop(expected, y0: y, x0: x, height: hh, width: ww), "rectangle \(hh)x\(ww)+\(x)+\(y)")
        }
    }
}
