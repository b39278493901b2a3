import Foundation
import Imaging
import TerminalUI
import TestSupport
import Testing

@testable import Viewer

/// `ram view DIR/` in tmux: a PNG, a JPEG, a damaged JPEG and a text file in one directory.
@Suite(.enabled(if: EndToEnd.available, EndToEnd.skipReason), .serialized)
struct GalleryEndToEndTests {
    /// The directory: 1-quadrants.png (48×32), 2-stripes.jpg (40×48, portrait), 3-broken.jpg
    /// (a JPEG cut after its first bytes), notes.txt; and what the viewer decodes for the two
    /// good ones.
    static func makeDirectory() throws -> (dir: URL, png: RGBImage, jpeg: RGBImage) {
        let (dir, path, png) = try EndToEnd.makeImage()
        let pngPath = dir.appendingPathComponent("1-quadrants.png").path
        try FileManager.default.moveItem(atPath: path, toPath: pngPath)
        var stripes = RGBImage(width: 40, height: 48)
        for y in 0..<48 {
            for x in 0..<40 {
                let band = ((x + y) / 8) % 2 == 0
                stripes[0, y, x] = band ? 0.85 : 0.15
                stripes[1, y, x] = band ? 0.25 : 0.55 + Float(y) / 200
                stripes[2, y, x] = band ? 0.2 : 0.9
            }
        }
        let jpegPath = dir.appendingPathComponent("2-stripes.jpg").path
        try JPEGCodec.write(stripes, to: jpegPath, quality: 95)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: jpegPath))
        try bytes.prefix(200).write(to: dir.appendingPathComponent("3-broken.jpg"))
        try Data("not an image\n".utf8).write(to: dir.appendingPathComponent("notes.txt"))
        return (dir, png, try ImageFile.read(path: jpegPath))
    }

    /// Whether the input half of the split (left of the divider) shows `image`, cell for cell.
    static func showsInput(_ image: RGBImage, _ tmux: TmuxHarness, size: TerminalSize, _ what: String) throws {
        let exp = EndToEndTests.expected(image, size: size, mode: .trueColor)
        let divider = Int((0.5 * Double(exp.placement.dest.width)).rounded())
        let r = EndToEndTests.compare(try tmux.capture(), exp, columns: 0..<divider)
        #expect(r.total > 150 && r.matched == r.total, "\(what): \(r.matched)/\(r.total) cells; \(r.firstMismatch ?? "")")
    }

    @Test func stepsThroughTheImagesOfADirectory() throws {
        let (dir, png, jpeg) = try Self.makeDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let app = try EndToEnd.launch("\(dir.path)/ --color truecolor --tile 32 --overlap 8")
        let tmux = app.tmux
        defer { app.kill() }
        let size = TerminalSize(cols: 100, rows: 30)
        #expect(try tmux.waitFor("1/3 1-quadrants.png", timeout: 15))
        #expect(try tmux.waitFor("restored in", timeout: 30))
        try Self.showsInput(png, tmux, size: size, "the PNG")

        // Next: the JPEG is read, shown and restored.
        try tmux.sendKeys(".")
        #expect(try tmux.waitFor("2/3 2-stripes.jpg"))
        #expect(try tmux.waitFor("restored in", timeout: 30))
        #expect(try tmux.waitFor("Image    40×48"))
        try Self.showsInput(jpeg, tmux, size: size, "the JPEG")

        // Next: the damaged JPEG is reported; the JPEG stays on screen.
        try tmux.sendKeys(".")
        #expect(try tmux.waitFor("could not read 3/3 3-broken.jpg"))
        #expect(try tmux.captureText()[0].contains("2/3 2-stripes.jpg"))

        // Next again: past the damaged one to the first, at once (kept), then back with PgUp.
        try tmux.sendKeys(".")
        #expect(try tmux.waitUntilText { $0[0].contains("1/3 1-quadrants.png") && $0.contains { $0.contains("Image    48×32") } })
        #expect(try !tmux.captureText().contains { $0.contains("restoring") }, "kept: no second restoration")
        try Self.showsInput(png, tmux, size: size, "the PNG again")
        try tmux.sendKeys("PPage")
        #expect(try tmux.waitUntilText { $0[0].contains("2/3 2-stripes.jpg") && $0.contains { $0.contains("Image    40×48") } })
        try Self.showsInput(jpeg, tmux, size: size, "the JPEG again")
        try tmux.sendKeys("q")
        try app.exitedCleanly()
    }

    @Test func aListWithNothingReadableIsRefusedInOneLine() throws {
        let (dir, _, _) = try Self.makeDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let broken = dir.appendingPathComponent("3-broken.jpg").path, notes = dir.appendingPathComponent("notes.txt").path
        let app = try EndToEnd.launch("\(broken) \(notes)", cols: 250)
        defer { app.kill() }
        #expect(try app.tmux.waitFor("EXITED=65"))
        let text = try app.tmux.captureText().filter { !$0.isEmpty }
        #expect(text.count == 2 && text[0].hasPrefix("ram: error: cannot read \(broken): the file is truncated"), "\(text)")
        // A directory without images: a usage error.
        let empty = dir.appendingPathComponent("empty").path
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: false)
        let none = try EndToEnd.launch("\(empty)/", cols: 250)
        defer { none.kill() }
        #expect(try none.tmux.waitFor("EXITED=64"))
        #expect(try none.tmux.captureText().contains { $0.hasPrefix("ram: error: no PNG or JPEG files in \(empty)/") })
    }

    @Test func aReferenceWithSeveralImagesIsRefused() throws {
        let (dir, _, _) = try Self.makeDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ref = dir.appendingPathComponent("1-quadrants.png").path
        let app = try EndToEnd.launch("\(dir.path) --reference \(ref)")
        defer { app.kill() }
        #expect(try app.tmux.waitFor("EXITED=64"))
        #expect(try app.tmux.captureText().contains { $0.contains("--reference goes with a single IMAGE (got 3 images)") })
    }
}
