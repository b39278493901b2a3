import Foundation
import Testing

@testable import Imaging

/// Reference values from scikit-image 0.26, written by Fixtures/make_metric_fixtures.py.
private struct MetricFixtures: Decodable {
    struct Result: Decodable {
        var y_channel: Bool
        var crop: Int
        var psnr: Double
        var ssim: Double
    }
    struct Case: Decodable {
        var name: String
        var width: Int
        var height: Int
        var a: String
        var b: String
        var results: [Result]
    }
    var cases: [Case]
}

private func fixtureURL(_ name: String) throws -> URL {
    let url = Bundle.module.resourceURL!.appendingPathComponent("Fixtures").appendingPathComponent(name)
    guard FileManager.default.fileExists(atPath: url.path) else { throw CocoaError(.fileNoSuchFile) }
    return url
}

/// A planar (3, H, W) little-endian float32 file as an image.
private func loadImage(_ name: String, width: Int, height: Int) throws -> RGBImage {
    let data = try Data(contentsOf: fixtureURL(name))
    #expect(data.count == 3 * width * height * 4)
    let pixels = data.withUnsafeBytes { raw in
        (0..<(3 * width * height)).map {
            Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)))
        }
    }
    return RGBImage(width: width, height: height, pixels: pixels)
}

@Suite struct MetricsTests {
    @Test func agreesWithScikitImage() throws {
        let fixtures = try JSONDecoder().decode(MetricFixtures.self, from: Data(contentsOf: fixtureURL("metric_fixtures.json")))
        #expect(fixtures.cases.count == 3)
        for c in fixtures.cases {
            let a = try loadImage(c.a, width: c.width, height: c.height)
            let b = try loadImage(c.b, width: c.width, height: c.height)
            for r in c.results {
                let p = psnr(a, b, yChannel: r.y_channel, crop: r.crop)
                let s = ssim(a, b, yChannel: r.y_channel, crop: r.crop)
                let label = "\(c.name) \(metricConvention(yChannel: r.y_channel, crop: r.crop))"
                #expect(abs(p - r.psnr) < 1e-4, "PSNR \(label): \(p) vs skimage \(r.psnr)")
                #expect(abs(s - r.ssim) < 1e-5, "SSIM \(label): \(s) vs skimage \(r.ssim)")
            }
        }
    }

    @Test func identicalImagesGiveInfinitePSNRAndUnitSSIM() {
        let image = ramp(width: 20, height: 16)
        #expect(psnr(image, image) == .infinity)
        #expect(psnr(image, image, yChannel: true, crop: 2) == .infinity)
        #expect(abs(ssim(image, image) - 1) < 1e-12)
    }

    @Test func inputsAreClampedToUnitRange() {
        let a = ramp(width: 16, height: 16)
        var b = a
        for i in stride(from: 0, to: b.pixels.count, by: 5) { b.pixels[i] += (i % 2 == 0 ? 0.7 : -0.7) }
        let clamped = b.clamped()
        #expect(psnr(a, b) == psnr(a, clamped))
        #expect(ssim(a, b) == ssim(a, clamped))
    }

    @Test func knownPSNRForConstantOffset() {
        let a = RGBImage(width: 8, height: 8, fill: 0.5)
        let b = RGBImage(width: 8, height: 8, fill: 0.6)
        #expect(abs(psnr(a, b) - 20) < 1e-5)  // MSE 0.01 (in Float, 0.1 is inexact)
        #expect(abs(psnr(a, b, peak: 2) - (20 + 20 * log10(2.0))) < 1e-5)
    }

    @Test func tooSmallForTheWindowGivesNaN() {
        let a = ramp(width: 14, height: 14)
        #expect(ssim(a, a).isNaN == false)
        #expect(ssim(a, a, crop: 2).isNaN)  // 10×10 after the crop
        #expect(psnr(a, a, crop: 7).isNaN)  // nothing left
    }

    @Test func conventionLabels() {
        #expect(metricConvention(yChannel: false, crop: 0) == "RGB")
        #expect(metricConvention(yChannel: true, crop: 4) == "Y (BT.601), crop 4")
    }

    private func ramp(width: Int, height: Int) -> RGBImage {
        var image = RGBImage(width: width, height: height)
        for c in 0..<3 {
            for y in 0..<height {
                for x in 0..<width { image[c, y, x] = Float((x * (c + 1) + 3 * y) % 17) / 16 }
            }
        }
        return image
    }
}
