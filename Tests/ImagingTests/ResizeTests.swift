import Testing

@testable import Imaging

@Suite struct ResizeTests {
    /// Deterministic pseudo-random planes in [0, 1].
    private func noiseImage(width: Int, height: Int, alpha: Bool = false) -> RGBImage {
        var state: UInt32 = 12345
        func next() -> Float {
            state = state &* 1_664_525 &+ 1_013_904_223
            return Float(state >> 8) / Float(1 << 24)
        }
        let pixels = (0..<(3 * width * height)).map { _ in next() }
        let a: [Float]? = alpha ? (0..<(width * height)).map { _ in next() } : nil
        return RGBImage(width: width, height: height, pixels: pixels, alpha: a)
    }

    private func mean(_ v: ArraySlice<Float>) -> Double { v.reduce(0) { $0 + Double($1) } / Double(v.count) }

    private func planeMeans(_ image: RGBImage) -> [Double] {
        (0..<3).map { mean(image.pixels[($0 * image.plane)..<(($0 + 1) * image.plane)]) }
    }

    @Test func halvingIsExactBlockMeans() {
        // Quarters are exact in binary, so the block means are exact too.
        let values: [Float] = (0..<16).map { Float($0) / 4 }
        let image = RGBImage(width: 4, height: 4, pixels: values + values + values)
        let small = image.resized(width: 2, height: 2)
        let expected: [Float] = [
            (0 + 1 + 4 + 5) / 16, (2 + 3 + 6 + 7) / 16,
            (8 + 9 + 12 + 13) / 16, (10 + 11 + 14 + 15) / 16,
        ]
        #expect(Array(small.pixels[0..<4]) == expected)
        #expect(image.downscaled2x(filter: .box).pixels == small.pixels)
    }

    @Test func fractionalCoverage() {
        // 3 -> 2: each output covers 1.5 source pixels: a + b/2 and b/2 + c, over 1.5.
        let row: [Float] = [0.3, 0.6, 0.9]
        let image = RGBImage(width: 3, height: 1, pixels: row + row + row)
        let out = image.resized(width: 2, height: 1)
        #expect(abs(out.pixels[0] - (0.3 + 0.3) / 1.5) < 1e-6)
        #expect(abs(out.pixels[1] - (0.3 + 0.9) / 1.5) < 1e-6)
    }

    @Test(arguments: [(5, 3), (20, 11), (13, 7), (1, 1), (26, 2), (4, 14)])
    func preservesTheMean(width: Int, height: Int) {
        let image = noiseImage(width: 13, height: 7, alpha: true)
        let out = image.resized(width: width, height: height)
        #expect(out.width == width && out.height == height)
        for (a, b) in zip(planeMeans(image), planeMeans(out)) { #expect(abs(a - b) < 1e-5) }
        #expect(abs(mean(image.alpha![...]) - mean(out.alpha![...])) < 1e-5)
    }

    @Test func integerUpscaleReplicatesPixels() {
        let image = noiseImage(width: 2, height: 2)
        let big = image.resized(width: 6, height: 4)
        for c in 0..<3 {
            for y in 0..<4 {
                for x in 0..<6 { #expect(abs(big[c, y, x] - image[c, y / 2, x / 3]) < 1e-6) }
            }
        }
    }

    @Test func sameSizeIsIdentity() {
        let image = noiseImage(width: 9, height: 4)
        #expect(image.resized(width: 9, height: 4) == image)
    }

    @Test func triangleDownscale() {
        // Constant stays constant (weights sum to 1, borders replicate).
        let flat = RGBImage(width: 7, height: 5, fill: 0.25)
        let out = flat.downscaled2x()
        #expect(out.width == 4 && out.height == 3)
        #expect(out.pixels.allSatisfy { abs($0 - 0.25) < 1e-7 })
        // One row: output x uses source 2x-1, 2x, 2x+1, 2x+2 with 1/8, 3/8, 3/8, 1/8.
        let row: [Float] = [0, 8, 16, 24]
        let line = RGBImage(width: 4, height: 1, pixels: row + row + row).downscaled2x(filter: .triangle)
        let expected: [Float] = [(0 + 0 * 3 + 8 * 3 + 16) / 8, (8 + 16 * 3 + 24 * 3 + 24) / 8]  // edges replicate
        #expect(Array(line.pixels[0..<2]) == expected)
    }

    @Test func boxDownscaleOfOddSizeReplicatesTheEdge() {
        let row: [Float] = [0.25, 0.75, 0.5]
        let out = RGBImage(width: 3, height: 1, pixels: row + row + row).downscaled2x(filter: .box)
        #expect(out.width == 2 && out.height == 1)
        #expect(Array(out.pixels[0..<2]) == [0.5, 0.5])
    }

    @Test func cropCopiesTheRectangle() {
        let image = noiseImage(width: 6, height: 5, alpha: true)
        let part = image.cropped(x: 2, y: 1, width: 3, height: 2)
        #expect(part.width == 3 && part.height == 2)
        for c in 0..<3 {
            for y in 0..<2 {
                for x in 0..<3 { #expect(part[c, y, x] == image[c, y + 1, x + 2]) }
            }
        }
        #expect(part.alpha![4] == image.alpha![2 * 6 + 3])
    }
}
