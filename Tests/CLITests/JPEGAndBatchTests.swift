import Foundation
import Testing

/// JPEG inputs, outputs by extension, and `ram restore IN... --out-dir DIR`, through the real binary.
@Suite(.serialized) struct JPEGAndBatchTests {
    static let images = CLI.root + "/Tests/ImagingTests/Fixtures"

    static func data(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

    /// Width and height from a PNG's IHDR.
    static func pngSize(_ path: String) -> (Int, Int)? {
        guard let d = data(path), d.count >= 24 else { return nil }
        let b = [UInt8](d)
        func be32(_ o: Int) -> Int { Int(b[o]) << 24 | Int(b[o + 1]) << 16 | Int(b[o + 2]) << 8 | Int(b[o + 3]) }
        return (be32(16), be32(20))
    }

    static func json(_ r: CLI.Result) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
    }

    @Test func orientation6PhotoComesUpright() throws {
        let dir = CLI.tempDir()
        // Restoring (the debug build's forward pass is slow: the small orientation-6 fixture,
        // stored 24x16).
        let r = try CLI.run(["restore", Self.images + "/orient6.jpg", dir + "/out.png"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Self.pngSize(dir + "/out.png").map { $0 == (16, 24) } == true)
        let photo = Self.images + "/photo_o6.jpg"  // stored 256x160, EXIF orientation 6
        // Against Pillow's upright decode of the same file (ImageOps.exif_transpose).
        let d = try CLI.run(["diff", photo, Self.images + "/photo_o6_upright.png", "--json"])
        #expect(d.status == 0, "\(d.stderr)")
        let p = try Self.json(d)["psnr"]
        #expect((p as? Double).map { $0 >= 40 } ?? (p as? String == "inf"), "psnr \(String(describing: p))")
        // degrade reads it upright too.
        #expect(try CLI.run(["degrade", photo, dir + "/d.png", "--kind", "noise:10"]).status == 0)
        #expect(Self.pngSize(dir + "/d.png").map { $0 == (160, 256) } == true)
        #expect(CLI.files(dir) == ["d.png", "out.png"])
    }

    @Test func badJPEGsExit65WithOneLineAndNoOutput() throws {
        let dir = CLI.tempDir()
        var mutated = [UInt8](Self.data(Self.images + "/jpeg_rgb.jpg")!)
        for i in stride(from: 200, to: mutated.count - 2, by: 37) { mutated[i] = 0xFF }
        _ = FileManager.default.createFile(atPath: dir + "/mutated.jpg", contents: Data(mutated))
        let cases: [(String, String)] = [
            (Self.images + "/jpeg_truncated.jpg", "truncated"), (Self.images + "/jpeg_corrupt.jpg", "corrupt"),
            (Self.images + "/jpeg_cmyk.jpg", "cmyk jpeg is not supported"), (Self.images + "/jpeg_ycck.jpg", "ycck"),
            (Self.images + "/jpeg_12bit.jpg", "12-bit"), (dir + "/mutated.jpg", ""),
        ]
        for (path, mention) in cases {
            for args in [["restore", path, dir + "/out.png"], ["restore", path, dir + "/out.jpg"],
                         ["degrade", path, dir + "/out.png", "--kind", "noise:5"], ["diff", path, path, "--out", dir + "/map.png"],
                         ["view", path]] {
                let r = try CLI.run(args)
                #expect(r.status == 65, "\(args): \(r.status) \(r.stderr)")
                #expect(r.stderr.hasPrefix("ram: error: cannot read ") && r.stderr.split(separator: "\n").count == 1, "\(args): \(r.stderr)")
                #expect(mention.isEmpty || r.stderr.lowercased().contains(mention), "\(args): \(r.stderr)")
            }
        }
        #expect(CLI.files(dir) == ["mutated.jpg"])
        // A JPEG over the size limit is refused from its header.
        let big = try CLI.run(["restore", Self.images + "/photo_o6.jpg", dir + "/o.png", "--max-megapixels", "0.01"])
        #expect(big.status == 65 && big.stderr.contains("limit"))
    }

    @Test func outputFormatFollowsTheExtension() throws {
        let dir = CLI.tempDir()
        let input = Self.images + "/jpeg_rgb.jpg"
        #expect(try CLI.run(["degrade", input, dir + "/q95.jpg", "--kind", "noise:1"]).status == 0)
        #expect(try CLI.run(["degrade", input, dir + "/q30.JPEG", "--kind", "noise:1", "--quality", "30"]).status == 0)
        #expect(try CLI.run(["degrade", input, dir + "/p.png", "--kind", "noise:1"]).status == 0)
        #expect(try CLI.run(["restore", Self.images + "/rgb16.png", dir + "/r.jpg"]).status == 0)
        let q95 = Self.data(dir + "/q95.jpg")!, q30 = Self.data(dir + "/q30.JPEG")!
        #expect(q95.prefix(3) == Data([0xFF, 0xD8, 0xFF]) && q30.prefix(3) == Data([0xFF, 0xD8, 0xFF]))
        #expect(Self.data(dir + "/r.jpg")!.prefix(3) == Data([0xFF, 0xD8, 0xFF]))
        #expect(Self.data(dir + "/p.png")!.prefix(4) == Data([0x89, 0x50, 0x4E, 0x47]))
        #expect(q30.count < q95.count)
        // Read back: the JPEG at quality 95 is close to the PNG written from the same pixels.
        let d = try Self.json(try CLI.run(["diff", dir + "/q95.jpg", dir + "/p.png", "--json"]))
        #expect((d["psnr"] as? Double).map { $0 > 35 } == true)
        let tif = try CLI.run(["restore", input, dir + "/x.tif"])
        #expect(tif.status == 73 && tif.stderr.contains(".png or .jpg"))
        #expect(try CLI.run(["restore", input, dir + "/x.jpg", "--bit-depth", "16"]).status == 64)
        #expect(try CLI.run(["restore", input, dir + "/x.jpg", "--quality", "101"]).status == 64)
        #expect(CLI.files(dir) == ["p.png", "q30.JPEG", "q95.jpg", "r.jpg"])
    }

    /// The case: a folder of 20 mixed PNG/JPEG photos with one corrupt file.
    @Test func folderWithOneCorruptFile() throws {
        let dir = CLI.tempDir()
        let inDir = dir + "/in", outDir = dir + "/out"
        try FileManager.default.createDirectory(atPath: inDir, withIntermediateDirectories: true)
        for i in 1...10 {
            try FileManager.default.copyItem(atPath: Self.images + "/orient\((i % 8) + 1).jpg", toPath: inDir + "/j\(i).jpg")
            try FileManager.default.copyItem(atPath: Self.images + (i % 2 == 0 ? "/rgb8.png" : "/jpeg_rgb.png"), toPath: inDir + "/p\(i).png")
        }
        try FileManager.default.removeItem(atPath: inDir + "/j5.jpg")
        try FileManager.default.copyItem(atPath: Self.images + "/jpeg_corrupt.jpg", toPath: inDir + "/j5.jpg")
        _ = FileManager.default.createFile(atPath: inDir + "/notes.txt", contents: Data("not an image".utf8))
        let inputs = Dictionary(uniqueKeysWithValues: CLI.files(inDir).map { ($0, Self.data(inDir + "/" + $0)!) })

        let r = try CLI.run(["restore", inDir, "--out-dir", outDir])
        #expect(r.status == 65, "\(r.stderr)")
        let outputs = CLI.files(outDir)
        #expect(outputs.count == 19 && !outputs.contains("j5.png") && outputs.allSatisfy { $0.hasSuffix(".png") })
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.filter { $0.contains("FAILED") }.count == 1)
        #expect(lines.contains { $0.contains("j5.jpg: FAILED: cannot read") && $0.contains("corrupt") })
        #expect(lines.contains { $0.contains("restored 19 of 20 files") && $0.contains("1 failed") })
        #expect(lines.filter { $0.contains(" -> ") }.count == 19)
        // j6 holds orientation 7: stored 24x16, written upright 16x24.
        #expect(Self.pngSize(outDir + "/j6.png").map { $0 == (16, 24) } == true)

        // Again: every output exists, none is overwritten without --force.
        let before = Dictionary(uniqueKeysWithValues: outputs.map { ($0, Self.data(outDir + "/" + $0)!) })
        _ = FileManager.default.createFile(atPath: outDir + "/p1.png", contents: Data("keep me".utf8))
        let again = try CLI.run(["restore", inDir, "--out-dir", outDir])
        #expect(again.status != 0 && again.stderr.contains("use --force"))
        #expect(Self.data(outDir + "/p1.png") == Data("keep me".utf8))
        for name in outputs where name != "p1.png" { #expect(Self.data(outDir + "/" + name) == before[name]) }
        // --skip-existing leaves them and still reports the corrupt file.
        let skip = try CLI.run(["restore", inDir, "--out-dir", outDir, "--skip-existing"])
        #expect(skip.status == 65 && skip.stderr.contains("19 skipped") && skip.stderr.contains("1 failed"))
        #expect(Self.data(outDir + "/p1.png") == Data("keep me".utf8))
        // Into the input directory itself, even with --force: the PNG inputs are never written.
        let into = try CLI.run(["restore", inDir, "--out-dir", inDir, "--force"])
        #expect(into.status != 0 && into.stderr.contains("input"))
        for (name, bytes) in inputs { #expect(Self.data(inDir + "/" + name) == bytes, "\(name) changed") }
        #expect(CLI.files(dir + "/out").count == 19 && !CLI.files(outDir).contains { $0.contains(".tmp") })
    }

    @Test func batchArguments() throws {
        let dir = CLI.tempDir()
        #expect(try CLI.run(["restore", Self.images + "/jpeg_rgb.jpg"]).status == 64)
        #expect(try CLI.run(["restore", "a.png", "b.png", "c.png"]).status == 64)
        #expect(try CLI.run(["restore", "a.png", "b.png", "--skip-existing"]).status == 64)
        #expect(try CLI.run(["restore", Self.images + "/jpeg_rgb.jpg", "--out-dir", dir, "--format", "tif"]).status == 64)
        // Two inputs with one name: the second is refused, not written over the first.
        let r = try CLI.run(["restore", Self.images + "/jpeg_rgb.jpg", Self.images + "/jpeg_rgb.png", "--out-dir", dir,
                             "--format", "jpg", "--quality", "90"])
        #expect(r.status != 0 && r.stderr.contains("already the output of"))
        #expect(CLI.files(dir) == ["jpeg_rgb.jpg"])
        let missing = try CLI.run(["restore", dir + "/nope.png", "--out-dir", dir + "/o"])
        #expect(missing.status == 66 && missing.stderr.contains("restored 0 of 1"))
    }

    @Test func evalAcceptsDirectories() throws {
        let dir = CLI.tempDir()
        try FileManager.default.copyItem(atPath: CLI.fixtures + "/tiny.output.png", toPath: dir + "/a.png")
        try FileManager.default.copyItem(atPath: Self.images + "/jpeg_rgb.jpg", toPath: dir + "/b.jpg")
        let r = try CLI.run(["eval", dir, "--kinds", "noise:25", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let rows = try Self.json(r)["rows"] as! [[String: Any]]
        #expect(rows.map { $0["image"] as! String } == ["a.png", "b.jpg"])
        let empty = CLI.tempDir()
        #expect(try CLI.run(["eval", empty]).status == 64)
    }
}
