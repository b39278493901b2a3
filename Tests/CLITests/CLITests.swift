import Foundation
import Imaging
import Testing
import Imaging

/// Runs the real `ram` binary (built next to the test bundle) and checks outputs, exit
/// statuses and that nothing partial is left behind.
enum CLI {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let fixtures = root + "/Tests/RAMModelTests/Fixtures"
    static let tinyWeights = fixtures + "/tiny.weights.safetensors"
    /// Whether the kernel reports AVX512_BF16 (what `--precision bf16` needs), read
    /// independently of ram's own CPUID check.
    static let cpuHasBF16: Bool = {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return false }
        return info.split(separator: "\n").contains { $0.hasPrefix("flags") && $0.split(separator: " ").contains("avx512_bf16") }
    }()

    static var binary: String {
        let candidates = [Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("ram").path,
                          Bundle.main.bundleURL.appendingPathComponent("ram").path,
                          root + "/.build/debug/ram"]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates.last!
    }

    struct Result { let status: Int32; let stdout: String; let stderr: String }

    static func run(_ args: [String], env: [String: String] = [:]) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        var e = ProcessInfo.processInfo.environment
        e["RAM_WEIGHTS"] = tinyWeights
        for (k, v) in env { e[k] = v }
        p.environment = e
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), r = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: r, as: UTF8.self))
    }

    static func tempDir() -> String {
        let d = NSTemporaryDirectory() + "ram-cli-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    static func files(_ dir: String) -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted() }

    /// CRC-32 (ISO-HDLC), as PNG chunks use.
    static func crc32(_ data: Data) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in data {
            c ^= UInt32(b)
            for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0xEDB8_8320 : c >> 1 }
        }
        return ~c
    }

    /// A PNG whose IHDR declares width × height, with a valid CRC and no image data.
    static func pngHeader(width: UInt32, height: UInt32) -> Data {
        var d = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        var chunk = Data("IHDR".utf8)
        for v in [width, height] { chunk += [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }
        chunk += [8, 2, 0, 0, 0]
        d += [0, 0, 0, 13]
        d += chunk
        let crc = crc32(chunk)
        d += [UInt8(crc >> 24), UInt8(crc >> 16 & 0xff), UInt8(crc >> 8 & 0xff), UInt8(crc & 0xff)]
        return d
    }
}

@Suite(.serialized) struct CLITests {
    @Test func restoreReproducesTheFixtureOutput() throws {
        let dir = CLI.tempDir()
        let r = try CLI.run(["restore", CLI.fixtures + "/tiny.input.png", dir + "/out.png", "--weights", CLI.tinyWeights])
        #expect(r.status == 0, "\(r.stderr)")
        let d = try CLI.run(["diff", dir + "/out.png", CLI.fixtures + "/tiny.output.png", "--json"])
        #expect(d.status == 0)
        let obj = try JSONSerialization.jsonObject(with: Data(d.stdout.utf8)) as! [String: Any]
        // Identical, or off by one 8-bit step where PyTorch's value sits on a rounding boundary.
        #expect((obj["psnr"] as? Double).map { $0 > 60 } ?? (obj["psnr"] as? String == "inf"))
        #expect(CLI.files(dir) == ["out.png"])
    }

    /// Weights as the public AnyIR code saves them (0-dim `attn.lam`, fp32) and the same
    /// weights converted to BF16: `ram restore` gives the public-style module's 8-bit output
    /// to within one level (fp32), and the bf16 weights stay within a few levels of it.
    @Test func restoreWithPublicCheckpointWeights() throws {
        let dir = CLI.tempDir()
        let want = try PNGCodec.read(path: CLI.fixtures + "/public_ff.output.png")
        var worst: [String: Float] = [:]
        for (name, weights) in [("fp32", "public_ff.weights.safetensors"), ("bf16", "public_ff.weights.bf16.safetensors")] {
            let out = dir + "/\(name).png"
            let r = try CLI.run(["restore", CLI.fixtures + "/public_ff.input.png", out, "--weights", CLI.fixtures + "/" + weights])
            #expect(r.status == 0, "\(name): \(r.stderr)")
            let got = try PNGCodec.read(path: out)
            #expect(got.width == want.width && got.height == want.height)
            worst[name] = zip(got.pixels, want.pixels).map { abs($0 - $1) * 255 }.max() ?? .infinity
        }
        print("public checkpoint restore: max 8-bit difference vs the PyTorch module: \(worst)")
        #expect(worst["fp32"]! <= 1.001)
        #expect(worst["bf16"]! <= 8.001)
    }

    /// `--precision bf16`: within a few 8-bit levels of PyTorch's fp32 output where the CPU has
    /// AVX512_BF16 (the network-level bound is in BF16ParityTests), a one-line usage error
    /// (64) naming the missing instructions elsewhere.
    @Test func restoreInBF16() throws {
        let dir = CLI.tempDir()
        let out = dir + "/bf16.png"
        let r = try CLI.run(["restore", CLI.fixtures + "/tiny.input.png", out, "--precision", "bf16"])
        guard CLI.cpuHasBF16 else {
            #expect(r.status == 64 && r.stderr.contains("AVX512_BF16"), "\(r.status): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out))
            return
        }
        #expect(r.status == 0, "\(r.stderr)")
        let want = try PNGCodec.read(path: CLI.fixtures + "/tiny.output.png"), got = try PNGCodec.read(path: out)
        #expect(got.width == want.width && got.height == want.height)
        let worst = zip(got.pixels, want.pixels).map { abs($0 - $1) * 255 }.max() ?? .infinity
        print("bf16 restore: max 8-bit difference vs the PyTorch fp32 output: \(worst)")
        #expect(worst <= 6.001)
    }

    @Test func degradeRestoreDiffPipeline() throws {
        let dir = CLI.tempDir()
        let input = CLI.fixtures + "/tiny.output.png"
        for kind in ["noise:25", "rain:heavy", "haze:1.2", "blur", "blur:9,30", "lowlight:0.5"] {
            let r = try CLI.run(["degrade", input, dir + "/d.png", "--kind", kind, "--seed", "3", "--force"])
            #expect(r.status == 0, "\(kind): \(r.stderr)")
        }
        #expect(try CLI.run(["restore", dir + "/d.png", dir + "/r.png", "--tile", "16", "--overlap", "4"]).status == 0)
        let d = try CLI.run(["diff", dir + "/r.png", input, "--out", dir + "/map.png"])
        #expect(d.status == 0 && d.stdout.contains("PSNR") && d.stdout.contains("error map"))
        #expect(CLI.files(dir) == ["d.png", "map.png", "r.png"])
    }

    @Test func degradeIsDeterministic() throws {
        let dir = CLI.tempDir()
        let input = CLI.fixtures + "/tiny.output.png"
        _ = try CLI.run(["degrade", input, dir + "/a.png", "--kind", "rain:medium", "--seed", "7"])
        _ = try CLI.run(["degrade", input, dir + "/b.png", "--kind", "rain:medium", "--seed", "7"])
        #expect(FileManager.default.contents(atPath: dir + "/a.png") == FileManager.default.contents(atPath: dir + "/b.png"))
    }

    @Test func existingOutputIsKeptWithoutForce() throws {
        let dir = CLI.tempDir()
        let out = dir + "/out.png"
        _ = FileManager.default.createFile(atPath: out, contents: Data("keep me".utf8))
        let r = try CLI.run(["restore", CLI.fixtures + "/tiny.input.png", out])
        #expect(r.status == 73)
        #expect(r.stderr.contains("--force"))
        #expect(FileManager.default.contents(atPath: out) == Data("keep me".utf8))
        #expect(try CLI.run(["restore", CLI.fixtures + "/tiny.input.png", out, "--force"]).status == 0)
        #expect(CLI.files(dir) == ["out.png"])
    }

    @Test func outputEqualToInputIsRefused() throws {
        let dir = CLI.tempDir()
        let p = dir + "/in.png"
        try FileManager.default.copyItem(atPath: CLI.fixtures + "/tiny.input.png", toPath: p)
        let before = FileManager.default.contents(atPath: p)
        let r = try CLI.run(["restore", p, p, "--force"])
        #expect(r.status == 73 && r.stderr.contains("input"))
        #expect(FileManager.default.contents(atPath: p) == before)
    }

    @Test func badInputs() throws {
        let dir = CLI.tempDir()
        let good = FileManager.default.contents(atPath: CLI.fixtures + "/tiny.input.png")!
        func expectFails(_ name: String, _ data: Data, status: Int32, mentions: String) throws {
            let p = dir + "/" + name
            _ = FileManager.default.createFile(atPath: p, contents: data)
            let r = try CLI.run(["restore", p, dir + "/out-\(name)"])
            #expect(r.status == status, "\(name): status \(r.status) \(r.stderr)")
            #expect(mentions.isEmpty || r.stderr.lowercased().contains(mentions), "\(name): \(r.stderr)")
            #expect(r.stderr.hasPrefix("ram: error: "), "\(name): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(name): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir + "/out-\(name)"))
        }
        try expectFails("truncated.png", good.prefix(good.count / 2), status: 65, mentions: "truncated")
        var corrupt = good
        corrupt[40] ^= 0xff
        corrupt[41] ^= 0xff
        try expectFails("corrupt.png", corrupt, status: 65, mentions: "")
        try expectFails("text.png", Data("hello, not a png".utf8), status: 65, mentions: "not a png")
        try expectFails("empty.png", Data(), status: 65, mentions: "")
        try expectFails("huge.png", CLI.pngHeader(width: 100_000, height: 100_000), status: 65, mentions: "limit")
        try expectFails("zero.png", CLI.pngHeader(width: 0, height: 10), status: 65, mentions: "")
        let missing = try CLI.run(["restore", dir + "/nope.png", dir + "/o.png"])
        #expect(missing.status == 66)
        // Leftovers: only the inputs this test wrote.
        #expect(CLI.files(dir).allSatisfy { !$0.hasPrefix("out-") && !$0.contains(".tmp") })
    }

    @Test func unwritableOrMissingOutputDirectory() throws {
        let r = try CLI.run(["restore", CLI.fixtures + "/tiny.input.png", "/nonexistent-dir/out.png"])
        #expect(r.status == 73 && r.stderr.contains("/nonexistent-dir"))
        if getuid() != 0 {  // root can write anywhere
            let dir = CLI.tempDir()
            chmod(dir, 0o500)
            let w = try CLI.run(["restore", CLI.fixtures + "/tiny.input.png", dir + "/out.png"])
            #expect(w.status == 73)
            chmod(dir, 0o700)
        }
    }

    @Test func tilingOptions() throws {
        let dir = CLI.tempDir()
        let input = CLI.fixtures + "/tiny.input.png"
        // A tile larger than the image is one tile: exactly the untiled result.
        #expect(try CLI.run(["restore", input, dir + "/big.png", "--tile", "4096"]).status == 0)
        #expect(try CLI.run(["diff", dir + "/big.png", CLI.fixtures + "/tiny.output.png"]).stdout.contains("PSNR"))
        let bad = try CLI.run(["restore", input, dir + "/x.png", "--tile", "32", "--overlap", "32"])
        #expect(bad.status == 64 && bad.stderr.contains("overlap"))
        let noWorkers = try CLI.run(["restore", input, dir + "/z.png", "--workers", "0"])
        #expect(noWorkers.status == 64 && noWorkers.stderr.contains("--workers must be at least 1"))
        #expect(try CLI.run(["degrade", input, dir + "/y.png", "--kind", "nose:3"]).status == 64)
        #expect(CLI.files(dir) == ["big.png"])
    }

    @Test func weightsErrorsAreOneLine() throws {
        let dir = CLI.tempDir()
        let w = FileManager.default.contents(atPath: CLI.tinyWeights)!
        _ = FileManager.default.createFile(atPath: dir + "/t.safetensors", contents: w.prefix(w.count - 100))
        let r = try CLI.run(["info", dir + "/t.safetensors"])
        #expect(r.status == 65 && r.stderr.contains("truncated") && r.stderr.split(separator: "\n").count == 1)
        // A weights file that does not exist is a missing input (66), for every command.
        let missing = try CLI.run(["info", dir + "/nope.safetensors"])
        #expect(missing.status == 66 && missing.stderr.contains("does not exist") && missing.stderr.split(separator: "\n").count == 1)
        let restore = try CLI.run(["restore", CLI.fixtures + "/tiny.input.png", dir + "/o.png", "--weights", dir + "/nope.safetensors"])
        #expect(restore.status == 66, "\(restore.stderr)")
    }

    @Test func infoCountsThePaperConfiguration() throws {
        let r = try CLI.run(["info", "--paper"])
        #expect(r.stdout.contains("5 736 339"))
    }

    @Test func evalPrintsATable() throws {
        let r = try CLI.run(["eval", CLI.fixtures + "/tiny.output.png", "--kinds", "noise:25,blur:9,30"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("noise:25") && r.stdout.contains("blur:9,30") && r.stdout.contains("mean"))
        let j = try CLI.run(["eval", CLI.fixtures + "/tiny.output.png", "--kinds", "haze:1", "--json"])
        let obj = try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as! [String: Any]
        #expect((obj["rows"] as! [Any]).count == 1)
    }

    /// Harm next to gain: per kind the mean gain, the worst photo's gain and the share of photos
    /// made worse, recomputed here from the per-image rows; the clean row restores the reference
    /// itself (its worst photo is the lowest restored PSNR, "worse" is below --clean-threshold).
    @Test func evalReportsHarmPerKind() throws {
        let images = [CLI.fixtures + "/tiny.output.png", CLI.fixtures + "/tiny.input.png"]
        let r = try CLI.run(["eval"] + images + ["--kinds", "clean,noise:25,haze:1", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let rows = obj["rows"] as! [[String: Any]]
        let summary = obj["summary"] as! [[String: Any]]
        #expect(rows.count == 6 && summary.map { $0["kind"] as! String } == ["clean", "noise:25", "haze:1"])
        for s in summary {
            let kind = s["kind"] as! String
            let mine = rows.filter { $0["kind"] as! String == kind }
            let restored = mine.map { $0["restoredPSNR"] as! Double }
            #expect(s["images"] as! Int == 2)
            #expect(abs((s["worstRestoredPSNR"] as! Double) - restored.min()!) < 1e-9)
            if kind == "clean" {
                // The clean row's input is the reference: PSNR infinite, no gain.
                #expect(mine.allSatisfy { ($0["inputPSNR"] as? String) == "inf" })
                #expect(s["meanGain"] == nil && s["worstGain"] == nil)
                #expect(s["worse"] as! Int == restored.filter { $0 < 40 }.count)
            } else {
                let gains = mine.map { ($0["restoredPSNR"] as! Double) - ($0["inputPSNR"] as! Double) }
                #expect(abs((s["meanGain"] as! Double) - gains.reduce(0, +) / 2) < 1e-9)
                #expect(abs((s["worstGain"] as! Double) - gains.min()!) < 1e-9)
                #expect(s["worstImage"] as! String == (mine[gains.firstIndex(of: gains.min()!)!]["image"] as! String))
                #expect(s["worse"] as! Int == gains.filter { $0 < 0 }.count)
            }
            #expect(abs((s["worseShare"] as! Double) - Double(s["worse"] as! Int) / 2) < 1e-12)
        }
        // A threshold above any PSNR makes every clean photo count as worse; the text table shows it.
        let t = try CLI.run(["eval"] + images + ["--kinds", "clean,noise:25", "--clean-threshold", "1000"])
        #expect(t.status == 0, "\(t.stderr)")
        #expect(t.stdout.contains("harm:") && t.stdout.contains("below 2/2 (100 %)") && t.stdout.contains("worst"))
        // The default kinds start with the clean row.
        let d = try CLI.run(["eval", images[0], "--json"])
        let dj = try JSONSerialization.jsonObject(with: Data(d.stdout.utf8)) as! [String: Any]
        #expect(((dj["summary"] as! [[String: Any]]).first?["kind"] as? String) == "clean")
        #expect((dj["summary"] as! [Any]).count == 6)
    }

    /// `ram eval` scores (and restores) the degraded image as a saved 8-bit PNG by default: its
    /// input PSNR is the one of the PNG `ram degrade` writes with the same kind and seed;
    /// `--input-bits 0` keeps the float image, which scores differently.
    @Test func evalInputIsTheSavedPNG() throws {
        let dir = CLI.tempDir()
        let clean = CLI.fixtures + "/tiny.output.png"
        #expect(try CLI.run(["degrade", clean, dir + "/d.png", "--kind", "noise:25", "--seed", "0"]).status == 0)
        let diff = try CLI.run(["diff", dir + "/d.png", clean, "--json"])
        let saved = (try JSONSerialization.jsonObject(with: Data(diff.stdout.utf8)) as! [String: Any])["psnr"] as! Double
        func inputPSNR(_ extra: [String]) throws -> Double {
            let r = try CLI.run(["eval", clean, "--kinds", "noise:25", "--json"] + extra)
            #expect(r.status == 0, "\(r.stderr)")
            let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
            return (obj["rows"] as! [[String: Any]])[0]["inputPSNR"] as! Double
        }
        #expect(abs(try inputPSNR([]) - saved) < 1e-9)
        #expect(abs(try inputPSNR(["--input-bits", "0"]) - saved) > 1e-6)
        #expect(try CLI.run(["eval", clean, "--input-bits", "7"]).status == 64)
    }

    @Test func featuresWritesEveryChannel() throws {
        let dir = CLI.tempDir()
        let r = try CLI.run(["features", CLI.fixtures + "/tiny.input.png", "--tap", "encoder_level2.0.gamma", "--out", dir])
        #expect(r.status == 0, "\(r.stderr)")
        let f = CLI.files(dir)
        // dim 8 → level 2 width 16 → GatedDA on 8 channels: 8 maps + mean-abs + max.
        #expect(f.count == 10 && f.contains("encoder_level2.0.gamma_mean-abs.png"))
        let bad = try CLI.run(["features", CLI.fixtures + "/tiny.input.png", "--tap", "nope.1.gamma", "--out", dir])
        #expect(bad.status == 64 && bad.stderr.contains("unknown tap"))
    }
}

/// One error style for every bad command line: "ram: error: …" on one line, status 64.
struct CLIErrorStyleTests {
    @Test func argumentErrorsUseTheSameOneLineStyle() throws {
        let dir = CLI.tempDir()
        let input = CLI.fixtures + "/tiny.input.png"
        for args in [
            ["restore", input, dir + "/a.png", "--tile", "4"],  // validation
            ["degrade", input, dir + "/b.png", "--kind", "noise:25", "--seed", "-1"],  // negative seed
            ["restore", input, dir + "/c.png", "--no-such-option"],  // unknown option
        ] {
            let r = try CLI.run(args)
            #expect(r.status == 64, "\(args): \(r.status)")
            #expect(r.stderr.hasPrefix("ram: error: "), "\(args): \(r.stderr)")
            #expect(!r.stderr.contains("Usage:"), "\(args): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(args): \(r.stderr)")
        }
        let seed = try CLI.run(["view", input, "--seed", "-1"])
        #expect(seed.stderr.contains("--seed") && seed.stderr.contains("-1") && !seed.stderr.contains("Missing value"), "\(seed.stderr)")
        #expect(try CLI.run(["--help"]).status == 0)
    }

    @Test func viewTakesAtMostTwoWeightsAndNamesAnUnreadableOne() throws {
        let input = CLI.fixtures + "/tiny.input.png"
        let w = CLI.tinyWeights
        let three = try CLI.run(["view", input, "--weights", w, "--weights", w, "--weights", w])
        #expect(three.status == 64 && three.stderr == "ram: error: --weights takes at most two models, A and B (got 3)\n", "\(three.stderr)")
        let twice = try CLI.run(["view", input, "--weights", w, "--weights", w, "--compare", w])
        #expect(twice.status == 64 && twice.stderr.contains("the second model is given twice"), "\(twice.stderr)")
        // A second model that does not exist, or is not a weights file: one line naming it, before any terminal setup.
        let missing = try CLI.run(["view", input, "--weights", w, "--weights", "/nonexistent/b.safetensors"])
        #expect(missing.status == 66 && missing.stderr.contains("/nonexistent/b.safetensors"), "\(missing.stderr)")
        #expect(missing.stderr.split(separator: "\n").count == 1, "\(missing.stderr)")
        let notWeights = try CLI.run(["view", input, "--weights", w, "--weights", input])
        #expect(notWeights.status == 65 && notWeights.stderr.hasPrefix("ram: error: "), "\(notWeights.stderr)")
        #expect(notWeights.stderr.split(separator: "\n").count == 1, "\(notWeights.stderr)")
    }

    @Test func ssimOfImagesSmallerThanTheWindowIsNotNaN() throws {
        let dir = CLI.tempDir()
        var img = RGBImage(width: 6, height: 5)
        for i in 0..<img.pixels.count { img.pixels[i] = Float(i % 7) / 7 }
        try PNGCodec.write(img, to: dir + "/a.png")
        let r = try CLI.run(["diff", dir + "/a.png", dir + "/a.png"])
        #expect(r.status == 0)
        #expect(!r.stdout.lowercased().contains("nan"), "\(r.stdout)")
    }
}

/// The weights' do-no-harm guard through the command line: `ram eval` reports what it did per
/// photo, `--no-guard` gives the network's output, `ram info` names it.
@Suite struct GuardCLITests {
    /// The tiny fixture with a guard in its metadata (the header rewritten, the data kept).
    static func guardedWeights(_ dir: String, guardJSON: String) throws -> String {
        let d = FileManager.default.contents(atPath: CLI.tinyWeights)!
        let n = Int(d.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        var header = try JSONSerialization.jsonObject(with: d.subdata(in: 8..<(8 + n))) as! [String: Any]
        var meta = header["__metadata__"] as? [String: String] ?? [:]
        meta["guard"] = guardJSON
        header["__metadata__"] = meta
        var text = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        text.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - text.count % 8) % 8))
        var out = Data()
        withUnsafeBytes(of: UInt64(text.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(text)
        out.append(d.subdata(in: (8 + n)..<d.count))
        let p = dir + "/guarded.safetensors"
        _ = FileManager.default.createFile(atPath: p, contents: out)
        return p
    }

    @Test func evalReportsTheGuardAndNoGuardTurnsItOff() throws {
        let dir = CLI.tempDir()
        // t so large that the tiny random network's change is mostly taken back.
        let w = try Self.guardedWeights(dir, guardJSON: #"{"change_rms": 0.9, "power": 2}"#)
        let info = try CLI.run(["info", w])
        #expect(info.status == 0 && info.stdout.contains("guard:") && info.stdout.contains("229.50/255"), "\(info.stdout)")
        let args = ["eval", CLI.fixtures + "/tiny.input.png", "--kinds", "clean,noise:25", "--weights", w, "--json"]
        func rows(_ r: CLI.Result) throws -> [[String: Any]] {
            let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
            return obj["rows"] as! [[String: Any]]
        }
        let guarded = try rows(try CLI.run(args)), raw = try rows(try CLI.run(args + ["--no-guard"]))
        #expect(guarded.count == 2 && raw.count == 2)
        for (g, r) in zip(guarded, raw) {
            let weight = g["guardWeight"] as! Double, change = g["change"] as! Double
            #expect(weight > 0 && weight < 0.5 && change > 0, "\(g)")
            #expect(r["guardWeight"] == nil)
            // Most of the (harmful) random change is taken back: closer to the reference.
            #expect((g["restoredPSNR"] as! Double) > (r["restoredPSNR"] as! Double))
        }
        // restore: the summary names the guard; --no-guard writes the network's output.
        let a = try CLI.run(["restore", CLI.fixtures + "/tiny.input.png", dir + "/g.png", "--weights", w])
        let b = try CLI.run(["restore", CLI.fixtures + "/tiny.input.png", dir + "/n.png", "--weights", w, "--no-guard"])
        #expect(a.status == 0 && b.status == 0)
        #expect(FileManager.default.contents(atPath: dir + "/g.png") != FileManager.default.contents(atPath: dir + "/n.png"))
    }
}
