import Foundation
import Testing

@testable import Imaging
import TensorCore

/// The JPEG fixtures come from Fixtures/make_jpeg_fixtures.py (Pillow); the *_upright.png and
/// jpeg_*.png files are Pillow's own decodes, an independent decoder to compare with.
@Suite struct JPEGCodecTests {
    static func fixture(_ name: String) -> String { PNGFixtures.path(name) }

    /// Largest difference in 8-bit code values over all samples.
    static func maxCodeDifference(_ a: RGBImage, _ b: RGBImage) -> Int {
        precondition(a.width == b.width && a.height == b.height)
        return zip(a.pixels, b.pixels).map { Int(abs(($0 - $1) * 255).rounded()) }.max() ?? 0
    }

    @Test func baselineMatchesPillowsDecode() throws {
        let jpeg = try JPEGCodec.read(path: Self.fixture("jpeg_rgb.jpg"))
        let pillow = try PNGCodec.read(path: Self.fixture("jpeg_rgb.png"))
        #expect(jpeg.width == 48 && jpeg.height == 32 && jpeg.bitDepth == 8 && jpeg.alpha == nil)
        #expect(Self.maxCodeDifference(jpeg, pillow) <= 1)
    }

    @Test func progressiveDecodesToTheSamePixelsAsBaseline() throws {
        // Same quantised coefficients, only the scan order differs.
        let progressive = try JPEGCodec.read(path: Self.fixture("jpeg_progressive.jpg"))
        let baseline = try JPEGCodec.read(path: Self.fixture("jpeg_rgb.jpg"))
        #expect(progressive == baseline)
    }

    @Test func greyscaleExpandsToEqualChannels() throws {
        let g = try JPEGCodec.read(path: Self.fixture("jpeg_gray.jpg"))
        let n = g.width * g.height
        #expect(g.width == 48 && g.height == 32)
        #expect((0..<n).allSatisfy { g.pixels[$0] == g.pixels[n + $0] && g.pixels[$0] == g.pixels[2 * n + $0] })
        #expect(Self.maxCodeDifference(g, try PNGCodec.read(path: Self.fixture("jpeg_gray.png"))) <= 1)
    }

    private func readError(_ name: String, maxPixels: Int = PNGCodec.defaultMaxPixels) -> ImagingError? {
        #expect(throws: ImagingError.self) { try ImageFile.read(path: Self.fixture(name), maxPixels: maxPixels) }
    }

    @Test func refusalsSayWhy() throws {
        let cmyk = try #require(readError("jpeg_cmyk.jpg"))
        #expect(cmyk.kind == .unsupported && cmyk.description.contains("CMYK JPEG is not supported"))
        let ycck = try #require(readError("jpeg_ycck.jpg"))
        #expect(ycck.kind == .unsupported && ycck.description.contains("YCCK"))
        let twelve = try #require(readError("jpeg_12bit.jpg"))
        #expect(twelve.kind == .unsupported && twelve.description.contains("12-bit JPEG is not supported"))
        let truncated = try #require(readError("jpeg_truncated.jpg"))
        #expect(truncated.kind == .truncated)
        let corrupt = try #require(readError("jpeg_corrupt.jpg"))
        #expect(corrupt.kind == .corrupt && corrupt.description.contains("Corrupt JPEG data"))
        for e in [cmyk, ycck, twelve, truncated, corrupt] {
            #expect(e.reading && !e.description.contains("\n"))
        }
    }

    @Test func sizeLimitIsCheckedFromTheHeader() throws {
        let e = try #require(readError("jpeg_rgb.jpg", maxPixels: 48 * 32 - 1))
        #expect(e.kind == .tooLarge(width: 48, height: 32, limit: 48 * 32 - 1))
        #expect(try ImageFile.read(path: Self.fixture("jpeg_rgb.jpg"), maxPixels: 48 * 32).width == 48)
    }

    @Test func formatIsFoundFromTheContentNotTheName() throws {
        let dir = ScratchDirectory()
        // A JPEG named .png and a PNG named .jpg both read.
        try FileManager.default.copyItem(atPath: Self.fixture("jpeg_rgb.jpg"), toPath: dir.file("photo.png"))
        try FileManager.default.copyItem(atPath: Self.fixture("rgb8.png"), toPath: dir.file("image.jpg"))
        #expect(try ImageFormat.sniff(path: dir.file("photo.png")) == .jpeg)
        #expect(try ImageFile.read(path: dir.file("photo.png")) == (try JPEGCodec.read(path: Self.fixture("jpeg_rgb.jpg"))))
        #expect(try ImageFile.read(path: dir.file("image.jpg")) == (try PNGCodec.read(path: Self.fixture("rgb8.png"))))
        _ = FileManager.default.createFile(atPath: dir.file("text.jpg"), contents: Data("GIF89a, not really".utf8))
        let e = #expect(throws: ImagingError.self) { try ImageFile.read(path: dir.file("text.jpg")) }
        #expect(e?.kind == .unknownFormat && e?.description == "cannot read \(dir.file("text.jpg")): not a PNG or JPEG file")
        _ = FileManager.default.createFile(atPath: dir.file("empty.jpg"), contents: Data())
        #expect((#expect(throws: ImagingError.self) { try ImageFile.read(path: dir.file("empty.jpg")) })?.kind == .unknownFormat)
        #expect((#expect(throws: ImagingError.self) { try ImageFile.read(path: dir.file("missing.jpg")) })?.kind == .cannotOpen)
    }

    // MARK: - EXIF orientation

    /// Every orientation against Pillow's ImageOps.exif_transpose of the same file.
    @Test(arguments: 1...8) func orientationMatchesPillow(_ k: Int) throws {
        let (stored, orientation) = try JPEGCodec.decode(path: Self.fixture("orient\(k).jpg"))
        #expect(orientation.rawValue == k)
        #expect(stored.width == 24 && stored.height == 16)
        let upright = try JPEGCodec.read(path: Self.fixture("orient\(k).jpg"))
        let pillow = try PNGCodec.read(path: Self.fixture("orient\(k)_upright.png"))
        #expect(upright.width == pillow.width && upright.height == pillow.height)
        #expect(Self.maxCodeDifference(upright, pillow) <= 1)
    }

    /// Every orientation against the upright decode turned by hand: value k of the EXIF table,
    /// written out as where the stored corner pixels end up.
    @Test(arguments: 1...8) func orientationTurnsTheStoredPixels(_ k: Int) throws {
        let stored = try JPEGCodec.decode(path: Self.fixture("orient1.jpg")).image
        let turned = try JPEGCodec.read(path: Self.fixture("orient\(k).jpg"))
        let w = stored.width, h = stored.height
        // The stored image's top-left, top-right and bottom-left pixels, and where each must land
        // in the upright image (x, y), per the EXIF specification's row/column description.
        let corners = [(0, 0), (w - 1, 0), (0, h - 1)]
        let expected: [(Int, Int)]
        let uw = k >= 5 ? h : w, uh = k >= 5 ? w : h
        switch k {
        case 1: expected = [(0, 0), (uw - 1, 0), (0, uh - 1)]
        case 2: expected = [(uw - 1, 0), (0, 0), (uw - 1, uh - 1)]
        case 3: expected = [(uw - 1, uh - 1), (0, uh - 1), (uw - 1, 0)]
        case 4: expected = [(0, uh - 1), (uw - 1, uh - 1), (0, 0)]
        case 5: expected = [(0, 0), (0, uh - 1), (uw - 1, 0)]
        case 6: expected = [(uw - 1, 0), (uw - 1, uh - 1), (0, 0)]
        case 7: expected = [(uw - 1, uh - 1), (uw - 1, 0), (0, uh - 1)]
        default: expected = [(0, uh - 1), (0, 0), (uw - 1, uh - 1)]
        }
        #expect(turned.width == uw && turned.height == uh)
        for ((sx, sy), (ux, uy)) in zip(corners, expected) {
            for c in 0..<3 { #expect(turned[c, uy, ux] == stored[c, sy, sx], "k=\(k) corner (\(sx),\(sy))") }
        }
        // And the whole image: applying the inverse turn gives the stored pixels back.
        let inverse: [Int: ExifOrientation] = [1: .up, 2: .upMirrored, 3: .down, 4: .downMirrored,
                                               5: .leftMirrored, 6: .left, 7: .rightMirrored, 8: .right]
        #expect(inverse[k]!.apply(to: turned) == stored)
    }

    @Test func cameraPhotoWithOrientation6ComesUpright() throws {
        let (stored, orientation) = try JPEGCodec.decode(path: Self.fixture("photo_o6.jpg"))
        #expect(stored.width == 256 && stored.height == 160 && orientation == .right)
        let upright = try ImageFile.read(path: Self.fixture("photo_o6.jpg"))
        #expect(upright.width == 160 && upright.height == 256)
        let pillow = try PNGCodec.read(path: Self.fixture("photo_o6_upright.png"))
        #expect(psnr(upright, pillow) >= 40)
        #expect(Self.maxCodeDifference(upright, pillow) <= 1)
    }

    @Test func exifParserReadsBothByteOrdersAndRejectsJunk() {
        // Big-endian ("MM") TIFF header, IFD0 at 8 with one entry: 0x0112 SHORT 1 value 8.
        let mm: [UInt8] = [0x4D, 0x4D, 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 8, 0, 0, 0, 0, 0, 0]
        #expect(ExifOrientation(exif: mm) == .left)
        let ii: [UInt8] = [0x49, 0x49, 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0]
        #expect(ExifOrientation(exif: ii) == .right)
        var badValue = ii
        badValue[18] = 9
        #expect(ExifOrientation(exif: badValue) == .up)
        var farIFD = ii
        farIFD[4] = 0xFF; farIFD[5] = 0xFF; farIFD[6] = 0xFF; farIFD[7] = 0x7F
        #expect(ExifOrientation(exif: farIFD) == .up)
        #expect(ExifOrientation(exif: Array(ii.prefix(15))) == .up)
        #expect(ExifOrientation(exif: [UInt8]()) == .up)
        var rng = SeededRandom(seed: 5)
        for _ in 0..<2000 {  // random bytes behind a valid header: never traps
            var b = ii
            for _ in 0..<3 { b[rng.int(below: b.count)] = UInt8(rng.int(below: 256)) }
            _ = ExifOrientation(exif: b)
        }
    }

    @Test func orientationKeepsAlphaWithTheColours() {
        var img = RGBImage(width: 3, height: 2)
        for y in 0..<2 { for x in 0..<3 { img[0, y, x] = Float(10 * y + x) / 100 } }
        img.alpha = (0..<6).map { Float($0) / 10 }
        let r = ExifOrientation.right.apply(to: img)
        #expect(r.width == 2 && r.height == 3)
        // Rotating 90° clockwise: the stored bottom-left lands top-left.
        #expect(r[0, 0, 0] == img[0, 1, 0] && r.alpha![0] == img.alpha![3])
    }

    // MARK: - Writing

    @Test func writeByExtensionRoundTrips() throws {
        let dir = ScratchDirectory()
        let image = try PNGCodec.read(path: Self.fixture("jpeg_rgb.png"))
        try ImageFile.save(image, to: dir.file("a.jpg"), force: false, quality: 95)
        try ImageFile.save(image, to: dir.file("b.JPEG"), force: false, quality: 50)
        try ImageFile.save(image, to: dir.file("c.png"), force: false)
        #expect(try ImageFormat.sniff(path: dir.file("a.jpg")) == .jpeg)
        #expect(try ImageFormat.sniff(path: dir.file("b.JPEG")) == .jpeg)
        #expect(try ImageFormat.sniff(path: dir.file("c.png")) == .png)
        #expect(try ImageFile.read(path: dir.file("c.png")) == image)
        let q95 = try ImageFile.read(path: dir.file("a.jpg")), q50 = try ImageFile.read(path: dir.file("b.JPEG"))
        #expect(psnr(q95, image) > 38 && psnr(q95, image) > psnr(q50, image) + 3)
        #expect(dir.contents() == ["a.jpg", "b.JPEG", "c.png"])
        // Existing outputs are kept; unknown extensions and 16-bit JPEG are refused, nothing left behind.
        #expect((#expect(throws: ImagingError.self) { try ImageFile.save(image, to: dir.file("a.jpg"), force: false) })?.kind == .outputExists)
        let tif = #expect(throws: ImagingError.self) { try ImageFile.save(image, to: dir.file("d.tif"), force: false) }
        #expect(tif?.description.contains("name the output .png or .jpg") == true)
        #expect(throws: ImagingError.self) { try ImageFile.save(image, to: dir.file("e.jpg"), force: false, bitDepth: 16) }
        #expect(throws: ImagingError.self) { try ImageFile.save(image, to: dir.file("f.jpg"), force: false, quality: 0) }
        #expect(dir.contents() == ["a.jpg", "b.JPEG", "c.png"])
    }

    @Test func expandListsImagesInDirectories() throws {
        let dir = ScratchDirectory()
        try FileManager.default.createDirectory(atPath: dir.file("sub"), withIntermediateDirectories: false)
        for (name, source) in [("b.jpg", "jpeg_rgb.jpg"), ("a.png", "rgb8.png"), ("noext", "jpeg_gray.jpg"),
                               ("sub/deep.png", "rgb8.png"), (".hidden.png", "rgb8.png")] {
            try FileManager.default.copyItem(atPath: Self.fixture(source), toPath: dir.file(name))
        }
        _ = FileManager.default.createFile(atPath: dir.file("broken.JPG"), contents: Data("nope".utf8))
        _ = FileManager.default.createFile(atPath: dir.file("notes.txt"), contents: Data("text".utf8))
        let listed = try ImageFile.expand([dir.path, dir.file("b.jpg"), dir.file("extra.png")])
        #expect(listed == ["a.png", "b.jpg", "broken.JPG", "noext"].map { dir.file($0) } + [dir.file("extra.png")])
    }
}

/// Mutated JPEG bytes through `ImageFile.read`: every case ends in an `ImagingError` or a valid
/// image, never a crash. `make test` runs a few hundred cases; scripts/fuzz-jpeg.sh runs more
/// (RAM_FUZZ_JPEG_CASES, RAM_FUZZ_JPEG_SEED).
@Suite struct JPEGFuzzTests {
    @Test func mutatedJPEGsFailCleanly() throws {
        let env = ProcessInfo.processInfo.environment
        let cases = env["RAM_FUZZ_JPEG_CASES"].flatMap(Int.init) ?? 400
        let seed = env["RAM_FUZZ_JPEG_SEED"].flatMap(UInt64.init) ?? 21
        let seeds = try ["jpeg_rgb.jpg", "jpeg_progressive.jpg", "jpeg_gray.jpg", "orient6.jpg"].map {
            [UInt8](try Data(contentsOf: URL(fileURLWithPath: PNGFixtures.path($0))))
        }
        let dir = ScratchDirectory()
        let path = dir.file("case.jpg")
        var rng = SeededRandom(seed: seed)
        var decoded = 0, refused = 0
        for _ in 0..<cases {
            var b = seeds[rng.int(below: seeds.count)]
            for _ in 0..<(1 + rng.int(below: 4)) {
                let at = rng.int(below: b.count)
                switch rng.int(below: 6) {
                case 0: b[at] ^= UInt8(1 << rng.int(below: 8))
                case 1: b[at] = UInt8(rng.int(below: 256))
                case 2:  // a marker where data was
                    b[at] = 0xFF
                    if at + 1 < b.count { b[at + 1] = UInt8(0xC0 + rng.int(below: 0x40)) }
                case 3: b = Array(b.prefix(max(3, at)))  // truncation
                case 4:  // a copied range
                    let n = 1 + rng.int(below: 16), from = rng.int(below: b.count)
                    if from + n <= b.count && at + n <= b.count { b.replaceSubrange(at..<(at + n), with: b[from..<(from + n)]) }
                default:  // a 16-bit field (a length, a size, an EXIF offset) set at random
                    if at + 1 < b.count { b[at] = UInt8(rng.int(below: 256)); b[at + 1] = UInt8(rng.int(below: 256)) }
                }
            }
            try Data(b).write(to: URL(fileURLWithPath: path))
            do {
                let image = try ImageFile.read(path: path, maxPixels: 4_000_000)
                #expect(image.width > 0 && image.height > 0 && image.pixels.count == 3 * image.width * image.height)
                #expect(image.pixels.allSatisfy { $0 >= 0 && $0 <= 1 })
                decoded += 1
            } catch let e as ImagingError {
                #expect(e.reading && !e.description.isEmpty && !e.description.contains("\n"))
                refused += 1
            }
        }
        #expect(decoded + refused == cases)
        #expect(refused > 0 && decoded > 0)  // the mutations reach both outcomes
    }
}
