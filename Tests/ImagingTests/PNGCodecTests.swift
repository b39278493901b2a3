import Foundation
import TensorCore
import Testing

@testable import Imaging

/// What a fixture must decode to: the formulas of Fixtures/make_png_fixtures.py, as code
/// values at the decoded bit depth.
struct PNGFixtureExpectation: CustomStringConvertible, Sendable {
    let name: String
    let bitDepth: Int
    let rgb: @Sendable (Int, Int) -> (Int, Int, Int)
    let alpha: (@Sendable (Int, Int) -> Int)?
    var description: String { name }

    static let width = 7, height = 5

    static func gray(_ x: Int, _ y: Int, bits: Int) -> Int { (3 * x + 5 * y) % (1 << bits) }
    static func gray16(_ x: Int, _ y: Int) -> Int { (4099 * x + 3341 * y + 1) % 65536 }
    static func rgb8(_ x: Int, _ y: Int) -> (Int, Int, Int) {
        ((40 * x + 3 * y) % 256, (50 * y + x) % 256, (9 * x * y + 17) % 256)
    }
    static func rgb16(_ x: Int, _ y: Int) -> (Int, Int, Int) {
        ((5000 * x + 300 * y + 1) % 65536, (7000 * y + 13 * x) % 65536, (1111 * x * y + 255) % 65536)
    }
    static func paletteEntry(_ k: Int) -> (Int, Int, Int) { ((60 * k) % 256, (25 * k) % 256, (255 - 10 * k + 2560) % 256) }
    static func paletteIndex(_ x: Int, _ y: Int, bits: Int) -> Int { (x + 2 * y) % (1 << bits) }

    /// Low-bit gray expands by bit replication, which equals v · 255 / (2^bits − 1).
    static func grayFixture(bits: Int) -> PNGFixtureExpectation {
        PNGFixtureExpectation(name: "gray\(bits).png", bitDepth: 8, rgb: { x, y in
            let v = gray(x, y, bits: bits) * 255 / ((1 << bits) - 1)
            return (v, v, v)
        }, alpha: nil)
    }

    static func paletteFixture(bits: Int) -> PNGFixtureExpectation {
        PNGFixtureExpectation(name: "palette\(bits).png", bitDepth: 8, rgb: { x, y in
            paletteEntry(paletteIndex(x, y, bits: bits))
        }, alpha: nil)
    }

    static let all: [PNGFixtureExpectation] = [
        grayFixture(bits: 1), grayFixture(bits: 2), grayFixture(bits: 4), grayFixture(bits: 8),
        PNGFixtureExpectation(name: "gray16.png", bitDepth: 16, rgb: { x, y in
            let v = gray16(x, y)
            return (v, v, v)
        }, alpha: nil),
        PNGFixtureExpectation(name: "graya8.png", bitDepth: 8, rgb: { x, y in
            let v = (30 * x + 7 * y) % 256
            return (v, v, v)
        }, alpha: { x, y in (11 * x + 50 * y + 3) % 256 }),
        PNGFixtureExpectation(name: "graya16.png", bitDepth: 16, rgb: { x, y in
            let v = gray16(x, y)
            return (v, v, v)
        }, alpha: { x, y in (60000 - 1234 * x - 777 * y) % 65536 }),
        PNGFixtureExpectation(name: "rgb8.png", bitDepth: 8, rgb: { rgb8($0, $1) }, alpha: nil),
        PNGFixtureExpectation(name: "rgb16.png", bitDepth: 16, rgb: { rgb16($0, $1) }, alpha: nil),
        PNGFixtureExpectation(name: "rgba8.png", bitDepth: 8, rgb: { rgb8($0, $1) }, alpha: { x, y in (20 * x + 30 * y + 5) % 256 }),
        paletteFixture(bits: 1), paletteFixture(bits: 2), paletteFixture(bits: 4), paletteFixture(bits: 8),
        PNGFixtureExpectation(name: "palette8_trns.png", bitDepth: 8, rgb: { x, y in
            paletteEntry(paletteIndex(x, y, bits: 8))
        }, alpha: { x, y in
            let k = paletteIndex(x, y, bits: 8)
            return k < 3 ? 40 * k : 255
        }),
        PNGFixtureExpectation(name: "gray8_trns.png", bitDepth: 8, rgb: { x, y in
            let v = gray(x, y, bits: 4)
            return (v, v, v)
        }, alpha: { x, y in gray(x, y, bits: 4) == 3 ? 0 : 255 }),
        PNGFixtureExpectation(name: "rgb8_trns.png", bitDepth: 8, rgb: { rgb8($0, $1) }, alpha: { x, y in
            rgb8(x, y) == rgb8(0, 0) ? 0 : 255
        }),
        PNGFixtureExpectation(name: "rgb8_interlaced.png", bitDepth: 8, rgb: { rgb8($0, $1) }, alpha: nil),
        PNGFixtureExpectation(name: "gray2_interlaced.png", bitDepth: 8, rgb: { x, y in
            let v = gray(x, y, bits: 2) * 85
            return (v, v, v)
        }, alpha: nil),
        PNGFixtureExpectation(name: "rgb16_interlaced.png", bitDepth: 16, rgb: { rgb16($0, $1) }, alpha: nil),
    ]
}

@Suite struct PNGCodecTests {
    // MARK: Decoding every flavour

    @Test(arguments: PNGFixtureExpectation.all)
    func decodesFixtureExactly(_ fixture: PNGFixtureExpectation) throws {
        let image = try PNGCodec.read(path: PNGFixtures.path(fixture.name))
        let w = PNGFixtureExpectation.width, h = PNGFixtureExpectation.height
        #expect(image.width == w && image.height == h)
        #expect(image.bitDepth == fixture.bitDepth)
        #expect((image.alpha != nil) == (fixture.alpha != nil))
        let top = Float(fixture.bitDepth == 16 ? 65535 : 255)
        var mismatches = 0
        for y in 0..<h {
            for x in 0..<w {
                let (r, g, b) = fixture.rgb(x, y)
                if image[0, y, x] != Float(r) / top || image[1, y, x] != Float(g) / top || image[2, y, x] != Float(b) / top {
                    mismatches += 1
                }
                if let alpha = fixture.alpha, let a = image.alpha, a[y * w + x] != Float(alpha(x, y)) / top {
                    mismatches += 1
                }
            }
        }
        #expect(mismatches == 0, "\(fixture.name): \(mismatches) samples differ")
    }

    @Test func trnsFixturesReallyHaveTransparentPixels() throws {
        // Guards the tRNS expectations above against being vacuous.
        for name in ["gray8_trns.png", "rgb8_trns.png", "palette8_trns.png"] {
            let alpha = try #require(try PNGCodec.read(path: PNGFixtures.path(name)).alpha)
            #expect(alpha.contains(0) && alpha.contains(1), "\(name)")
        }
    }

    // MARK: Round trips

    /// Codes chosen to cover 0, the maximum, and both bytes of 16-bit samples.
    private func testImage(bitDepth: Int, alpha: Bool) -> RGBImage {
        let w = 11, h = 6, top = bitDepth == 16 ? 65535 : 255
        var pixels = [Float](repeating: 0, count: 3 * w * h)
        for i in 0..<pixels.count { pixels[i] = Float((i * 7919 + i / 5) % (top + 1)) / Float(top) }
        pixels[0] = 0
        pixels[1] = 1
        let a: [Float]? = alpha ? (0..<(w * h)).map { Float(($0 * 104_729) % (top + 1)) / Float(top) } : nil
        return RGBImage(width: w, height: h, pixels: pixels, alpha: a, bitDepth: bitDepth)
    }

    @Test(arguments: [(8, false), (8, true), (16, false), (16, true)])
    func roundTripIsExact(bitDepth: Int, alpha: Bool) throws {
        let dir = ScratchDirectory()
        let image = testImage(bitDepth: bitDepth, alpha: alpha)
        try PNGCodec.write(image, to: dir.file("x.png"))
        let back = try PNGCodec.read(path: dir.file("x.png"))
        #expect(back == image)
    }

    @Test func writeClampsAndRoundsToNearest() throws {
        let dir = ScratchDirectory()
        // 127.4/255 -> 127, 127.6/255 -> 128, out-of-range clamps, NaN -> 0.
        let values: [Float] = [-0.5, 1.5, 127.4 / 255, 127.6 / 255, .nan, 254.5 / 255]
        let image = RGBImage(width: 2, height: 1, pixels: values)
        try PNGCodec.write(image, to: dir.file("c.png"))
        let back = try PNGCodec.read(path: dir.file("c.png"))
        #expect(back.pixels.map { Int(($0 * 255).rounded()) } == [0, 255, 127, 128, 0, 255])
    }

    @Test func bitDepthOverride() throws {
        let dir = ScratchDirectory()
        let image = testImage(bitDepth: 16, alpha: false)
        try PNGCodec.write(image, to: dir.file("d.png"), bitDepth: 8)
        let back = try PNGCodec.read(path: dir.file("d.png"))
        #expect(back.bitDepth == 8)
        let maxError = zip(back.pixels, image.pixels).map { abs($0 - $1) }.max()!
        #expect(maxError <= 0.5 / 255 + 1e-6)
        #expect(throws: ImagingError.self) { try PNGCodec.write(image, to: dir.file("e.png"), bitDepth: 12) }
    }

    @Test func saveRefusesToOverwrite() throws {
        let dir = ScratchDirectory()
        let image = testImage(bitDepth: 8, alpha: false)
        try PNGCodec.save(image, to: dir.file("s.png"), force: false)
        let error = #expect(throws: ImagingError.self) {
            try PNGCodec.save(image, to: dir.file("s.png"), force: false)
        }
        #expect(error?.kind == .outputExists)
        try PNGCodec.save(image, to: dir.file("s.png"), force: true)
        #expect(dir.contents() == ["s.png"])
    }

    // MARK: Broken and hostile files

    private func readError(_ name: String, maxPixels: Int = PNGCodec.defaultMaxPixels) -> ImagingError? {
        #expect(throws: ImagingError.self) { try PNGCodec.read(path: PNGFixtures.path(name), maxPixels: maxPixels) }
    }

    @Test func truncatedFile() {
        #expect(readError("truncated.png")?.kind == .truncated)
        #expect(readError("header_only.png")?.kind == .truncated)
    }

    @Test func corruptFiles() {
        let crc = readError("bad_crc.png")
        #expect(crc?.kind == .corrupt)
        #expect(crc?.detail.contains("CRC") == true, "\(String(describing: crc))")
        #expect(readError("bad_data.png")?.kind == .corrupt)
    }

    @Test func notAPNG() {
        let path = PNGFixtures.path("not_png.png")
        let error = readError("not_png.png")
        #expect(error?.kind == .notPNG)
        #expect(error?.description == "cannot read \(path): not a PNG file")
        #expect(readError("empty.png")?.kind == .notPNG)
    }

    @Test func missingFile() {
        let error = #expect(throws: ImagingError.self) { try PNGCodec.read(path: "/nonexistent/photo.png") }
        #expect(error?.kind == .cannotOpen)
        #expect(error?.description.hasPrefix("cannot read /nonexistent/photo.png: cannot open") == true)
        // The exit status each failure ends a command with: missing 66, bad data 65, writing 73.
        #expect(error?.exitStatus == .noInput)
        #expect(readError("not_png.png")?.exitStatus == .dataError)
        #expect(ImagingError(.outputExists, path: "out.png", reading: false).exitStatus == .cantCreate)
    }

    @Test func zeroSize() {
        #expect(readError("zero_width.png")?.kind == .emptyImage)
    }

    @Test func hugeDeclaredSizeFailsFast() {
        let clock = ContinuousClock()
        var error: ImagingError?
        let elapsed = clock.measure { error = readError("huge.png") }
        #expect(error?.kind == .tooLarge(width: 100_000, height: 100_000, limit: 100_000_000))
        #expect(error?.description.hasSuffix(
            "declares 100000x100000 pixels (10000 MP), over the 100 MP limit; raise it with --max-megapixels") == true)
        #expect(elapsed < .milliseconds(500))
    }

    @Test func pixelLimitIsInclusive() throws {
        #expect(readError("rgb8.png", maxPixels: 34)?.kind == .tooLarge(width: 7, height: 5, limit: 34))
        #expect(try PNGCodec.read(path: PNGFixtures.path("rgb8.png"), maxPixels: 35).width == 7)
    }

    @Test func megapixelWording() {
        #expect(ImagingError.megapixels(40_000_000_000) == "40000")
        #expect(ImagingError.megapixels(100_000_000) == "100")
        #expect(ImagingError.megapixels(300_000) == "0.3")
        #expect(ImagingError.megapixels(12_340_000) == "12")
        #expect(ImagingError.megapixels(2_340_000) == "2.3")
    }
}
