import Imaging
import Testing

@testable import TerminalUI

@Suite struct AreaResamplerTests {
    /// A one-channel-per-plane image where R = v, G = 2v, B = 0 for a given v(x, y).
    static func image(_ w: Int, _ h: Int, _ v: (Int, Int) -> Float) -> RGBImage {
        var img = RGBImage(width: w, height: h)
        for y in 0..<h {
            for x in 0..<w {
                img[0, y, x] = v(x, y)
                img[1, y, x] = 2 * v(x, y)
            }
        }
        return img
    }

    func red(_ r: AreaResampler.Result, _ x: Int, _ y: Int) -> Float { r.pixels[y * r.width + x] }

    @Test func integerDownscaleAveragesBlocks() {
        let img = Self.image(4, 4) { x, y in Float(x + 4 * y) }
        let r = AreaResampler.resample(img, source: ImageRegion(x: 0, y: 0, width: 4, height: 4), width: 2, height: 2)
        #expect(red(r, 0, 0) == 2.5)  // (0 + 1 + 4 + 5) / 4
        #expect(red(r, 1, 0) == 4.5)  // (2 + 3 + 6 + 7) / 4
        #expect(red(r, 1, 1) == 12.5)  // (10 + 11 + 14 + 15) / 4
        #expect(r.pixels[r.width * r.height + 0] == 2 * 2.5)  // green plane
        #expect(r.insideX.allSatisfy { $0 } && r.insideY.allSatisfy { $0 })
    }

    @Test func fractionalFootprintsWeightByOverlap() {
        // 3 → 2: output 0 covers [0, 1.5) = pixel 0 fully and half of pixel 1.
        let img = Self.image(3, 1) { x, _ in [3, 6, 9][x] }
        let r = AreaResampler.resample(img, source: ImageRegion(x: 0, y: 0, width: 3, height: 1), width: 2, height: 1)
        #expect(abs(red(r, 0, 0) - (3 * 1 + 6 * 0.5) / 1.5) < 1e-5)
        #expect(abs(red(r, 1, 0) - (6 * 0.5 + 9 * 1) / 1.5) < 1e-5)
    }

    @Test func upscaleReplicatesPixels() {
        let img = Self.image(2, 1) { x, _ in Float(x) }
        let r = AreaResampler.resample(img, source: ImageRegion(x: 0, y: 0, width: 2, height: 1), width: 4, height: 2)
        #expect((0..<4).map { red(r, $0, 1) } == [0, 0, 1, 1])
    }

    @Test func meanIsPreserved() {
        let img = Self.image(12, 9) { x, y in Float((x * 7 + y * 3) % 5) / 4 }
        let r = AreaResampler.resample(img, source: ImageRegion(x: 0, y: 0, width: 12, height: 9), width: 5, height: 4)
        let inMean = (0..<(12 * 9)).map { img.pixels[$0] }.reduce(0, +) / Float(12 * 9)
        let outMean = (0..<(5 * 4)).map { r.pixels[$0] }.reduce(0, +) / Float(5 * 4)
        #expect(abs(inMean - outMean) < 1e-5)
    }

    @Test func outsideTheImageIsTransparent() {
        let img = Self.image(2, 2) { x, y in Float(1 + x + 2 * y) }
        // Left half of the window is left of the image; the bottom half is below it.
        let r = AreaResampler.resample(img, source: ImageRegion(x: -2, y: 0, width: 4, height: 4), width: 2, height: 2)
        #expect(r.insideX == [false, true])
        #expect(r.insideY == [true, false])
        #expect(red(r, 1, 0) == 2.5)  // (1 + 2 + 3 + 4) / 4
    }

    @Test func partlyCoveredPixelUsesTheCoveredPartOnly() {
        let img = Self.image(2, 1) { x, _ in Float(10 * (x + 1)) }
        // Output 0 covers [-0.5, 0.5): half inside → inside, colour of pixel 0 alone.
        let r = AreaResampler.resample(img, source: ImageRegion(x: -0.5, y: 0, width: 2, height: 1), width: 2, height: 1)
        #expect(r.insideX == [true, true])
        #expect(red(r, 0, 0) == 10)
        #expect(red(r, 1, 0) == 15)
        // Less than half inside → outside.
        let s = AreaResampler.resample(img, source: ImageRegion(x: -0.75, y: 0, width: 1, height: 1), width: 1, height: 1)
        #expect(s.insideX == [false])
    }

    @Test func windowEntirelyOutside() {
        let img = Self.image(2, 2) { _, _ in 1 }
        let r = AreaResampler.resample(img, source: ImageRegion(x: 5, y: 5, width: 2, height: 2), width: 2, height: 2)
        #expect(r.insideX == [false, false])
        #expect(r.pixels.allSatisfy { $0 == 0 })
    }
}
