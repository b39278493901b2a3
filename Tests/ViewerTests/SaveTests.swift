import Foundation
import Imaging
import TerminalUI
import Testing

@testable import Viewer

/// `w`: the view at the image's resolution, with its legend strip, as numbered PNGs.
struct SaveTests {
    static func scratch() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ram-save-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Runs the effect the way the runner does (composition + numbered write).
    static func run(_ effects: [Effect]) throws -> (path: String, image: RGBImage)? {
        guard case .save(let request)? = effects.first else { return nil }
        let image = request.render()
        let path = try ViewExport.writeNumbered(image, directory: request.directory, stem: request.stem)
        return (path, try PNGCodec.read(path: path))
    }

    @Test func compareSplitIsTheImageSizePlusTheStrip() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var s = ViewTests.state()
        s.saveDirectory = dir
        let (path, img) = try #require(try Self.run(update(&s, .key(.char("w")))))
        #expect(path.hasSuffix("/ram-compare-001.png"))
        #expect(img.width == 16 && img.height == 12 + ViewExport.stripHeight(12))
        // A (input, red) left of the divider at 8; B (restored gray) right of it.
        #expect(img[0, 2, 2] == 1 && img[1, 2, 2] == 0)
        #expect(abs(img[0, 2, 12] - 0.5) < 0.01)
        #expect(img[1, 2, 8] > 0.8 && img[2, 2, 8] < 0.01)  // the yellow divider
        // Never overwrites: the next one is numbered 002.
        let again = try #require(try Self.run(update(&s, .key(.char("w")))))
        #expect(again.path.hasSuffix("/ram-compare-002.png"))
    }

    @Test func errorMapAndFeatureMapCarryTheirLegend() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var s = ViewTests.state()
        s.saveDirectory = dir
        _ = update(&s, .key(.char("3")))
        let (path, img) = try #require(try Self.run(update(&s, .key(.char("w")))))
        #expect(path.hasSuffix("ram-error-001.png"))
        #expect(img.width == 16 && img.height == 12 + ViewExport.stripHeight(12))
        // Legend: magma from dark (left) to bright (right), in the strip's top row.
        let y = 12
        #expect(img[0, y, 0] < 0.1 && img[0, y, 15] > 0.9)
        ViewTests.withFeatures(&s)
        let (fpath, fimg) = try #require(try Self.run(update(&s, .key(.char("w")))))
        #expect(fpath.hasSuffix("ram-features-001.png"))
        #expect(fimg.width == 16 && fimg.height == 12 + ViewExport.stripHeight(12))
    }

    @Test func nothingFinishedNothingSaved() {
        var s = ViewTests.state(restored: false)
        #expect(update(&s, .key(.char("w"))).isEmpty)
        #expect(s.status.contains("not finished"))
    }
}
