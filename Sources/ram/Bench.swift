import ArgumentParser
import Foundation
import RAMModel
import TensorCore
import TerminalUI
import Imaging

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time the forward pass: per-stage profile, GFLOP/s against this machine's sgemm, ms per megapixel, peak RSS.")

    @Option(help: "Comma-separated square sizes.") var sizes: String = "256,512"
    @Option(help: "Timed runs per size (after one warm-up).") var runs: Int = 3
    @Flag(help: "Random weights in the paper configuration instead of a file.") var paper = false
    @Option(help: "Threads for BLAS and the kernels (default: all cores).") var threads: Int?
    @Option(help: "Threads inside each BLAS call (default: the engine's policy; 1 = split products across --threads ourselves).")
    var blasThreads: Int?
    @Flag(help: "Send every 1x1 product to OpenBLAS (no SkinnyGemm), to compare.") var noSkinny = false
    @Flag(help: "Run the FFN as separate kernels (no fused row pass), to compare.") var noFuse = false
    @Flag(help: "Skip the sgemm throughput probe.") var noSgemm = false
    @OptionGroup var weights: WeightsOptions
    @Flag(help: "Print JSON.") var json = false
    @Flag(help: "Measure the viewer's frame budget instead: encode time and bytes per frame for a 200x60 terminal.")
    var render = false
    @Flag(help: "Time each kernel alone on level-1 shapes of the paper configuration (256², one thread unless --threads).")
    var kernels = false
    @Flag(help: "Also print the convolutions per shape (time, calls, GFLOP/s), slowest first.")
    var shapes = false

    func run() throws {
        try runMain {
            if render { return try renderBudget() }
            if let threads {
                Gemm.threads = threads
                Parallel.threads = threads
            }
            if noSkinny { SkinnyGemm.enabled = false }
            if noFuse { FusedFFN.enabled = false }
            if kernels {
                // The forward pass's threading: BLAS on one thread, products split per column block.
                if Conv.splitColumns && Parallel.threads > 1 { return Gemm.withSingleThread { kernelBudget() } }
                return kernelBudget()
            }
            let w: RAMWeights = paper ? try RAMWeights.random(.paper) : try weights.load().weights
            let net = RAMNetwork(weights: w)
            let ws = Workspace()
            // The machine's sgemm at this thread count, then the BLAS threading the forward pass uses.
            let sgemm = noSgemm ? 0 : Gemm.measureThroughput()
            if let blasThreads {
                Gemm.threads = blasThreads
                Conv.splitColumns = blasThreads == 1
            }
            var results: [[String: Any]] = []
            if !json {
                print("model: \(w.configuration), \(group(w.parameterCount)) parameters\(paper ? " (random weights)" : "")")
                let split = Conv.splitColumns && Parallel.threads > 1
                print("threads: kernels \(Parallel.threads), BLAS \(split ? "1 per column block (products split across kernel threads)" : String(Gemm.threads)); \(Gemm.configuration)")
                if sgemm > 0 { print(String(format: "sgemm 1024³: %.1f GFLOP/s (this run)", sgemm)) }
            }
            for s in sizes.split(separator: ",").compactMap({ Int($0) }) {
                var x = Tensor(channels: 3, height: s, width: s)
                for i in 0..<x.count { x.data[i] = Float(i % 251) / 251 }
                _ = net.forward(x, workspace: ws)  // warm-up: sizes the workspace
                var times: [Double] = []
                Profile.reset()
                Profile.enabled = true
                Profile.byShape = shapes
                for _ in 0..<runs {
                    let t0 = Profile.now()
                    _ = net.forward(x, workspace: ws)
                    times.append(Profile.now() - t0)
                }
                Profile.enabled = false
                let flops = Profile.flops / Double(runs)
                let stages = Profile.snapshot.map { ($0.0, $0.1 / Double(runs)) }
                let sorted = times.sorted()
                let best = sorted[0], median = sorted[sorted.count / 2]
                let gflops = flops / median / 1e9
                var r: [String: Any] = [
                    "size": s, "runs": runs, "best_s": best, "median_s": median, "gflop": flops / 1e9,
                    "gflops": gflops, "ms_per_megapixel": median * 1000 / (Double(s * s) / 1e6),
                    "peak_rss_mb": peakRSSMegabytes(), "stages_ms": Dictionary(uniqueKeysWithValues: stages.map { ($0.0.rawValue, $0.1 * 1000) }),
                    "blas_threads": Conv.splitColumns && Parallel.threads > 1 ? 1 : Gemm.threads,
                    "split_columns": Conv.splitColumns && Parallel.threads > 1, "kernel_threads": Parallel.threads,
                ]
                if sgemm > 0 { r["sgemm_gflops"] = sgemm; r["fraction_of_sgemm"] = gflops / sgemm }
                results.append(r)
                if !json {
                    print(String(format: "%dx%d: %.3f s median, %.3f s best of %d; %.1f GFLOP → %.1f GFLOP/s%@; %.0f ms/MP; peak RSS %.0f MB",
                                 s, s, median, best, runs, flops / 1e9, gflops,
                                 sgemm > 0 ? String(format: " (%.0f%% of sgemm)", 100 * gflops / sgemm) : "",
                                 median * 1000 / (Double(s * s) / 1e6), peakRSSMegabytes()))
                    for (stage, t) in stages { print(String(format: "    %-48@ %8.1f ms  %4.1f%%", stage.rawValue, t * 1000, 100 * t / median)) }
                    if shapes {
                        print("    convolutions by shape (O x C, N = output pixels), per forward pass:")
                        for (key, v) in Profile.shapes.sorted(by: { $0.value.seconds > $1.value.seconds }) {
                            print(String(format: "      %-28@ %8.1f ms  %3d calls  %6.1f GFLOP/s", key, v.seconds * 1000 / Double(runs),
                                         v.calls / runs, v.flops / v.seconds / 1e9))
                        }
                    }
                }
            }
            if json {
                print(String(decoding: try JSONSerialization.data(withJSONObject: results, options: [.sortedKeys]), as: UTF8.self))
            }
        }
    }
}

/// Peak resident set size of this process (getrusage), in MB.
func peakRSSMegabytes() -> Double {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    return Double(u.ru_maxrss) / 1024
}

extension Bench {
    /// Encodes the sample (or a synthetic image) for a 200×60 terminal: half-block encode time,
    /// bytes of a full repaint, of a frame where a split divider moved one column, and of an
    /// unchanged frame (only changed cells are written).
    func renderBudget() throws {
        let cols = 200, rows = 59  // one status row
        var image: RGBImage
        if let dir = ShippedWeights.samplesDirectory(), let f = try? FileManager.default.contentsOfDirectory(atPath: dir).first(where: { $0.hasSuffix(".png") }) {
            image = try ImageFile.read(path: dir + "/" + f)
        } else {
            image = RGBImage(width: 1024, height: 768)
            for c in 0..<3 { for y in 0..<768 { for x in 0..<1024 { image[c, y, x] = Float((x * (c + 1) + y) % 256) / 255 } } }
        }
        let other = Degradation.noise(sigma: 25).apply(to: image, seed: 1)
        var times: [Double] = []
        var encodedA = HalfBlockEncoder.encode(image, cols: cols, rows: rows, mode: .trueColor)
        var encodedB = encodedA
        for _ in 0..<10 {
            let t0 = Profile.now()
            encodedA = HalfBlockEncoder.encode(image, cols: cols, rows: rows, mode: .trueColor)
            encodedB = HalfBlockEncoder.encode(other, cols: cols, rows: rows, mode: .trueColor)
            times.append((Profile.now() - t0) / 2)
        }
        func frame(split: Int) -> CellBuffer {
            var b = CellBuffer(width: cols, height: rows + 1)
            b.blit(encodedA, at: 0, 0)
            var right = CellBuffer(width: cols, height: rows)
            right.blit(encodedB, at: 0, 0)
            for y in 0..<rows { for x in split..<cols { b[x, y] = right[x, y] } }
            _ = b.drawText(x: 0, y: rows, "split \(split)", fg: nil, bg: nil)
            return b
        }
        var copyTimes: [Double] = []
        var f1 = frame(split: 100)
        for _ in 0..<10 { let t0 = Profile.now(); f1 = frame(split: 100); copyTimes.append(Profile.now() - t0) }
        let full = Renderer.diff(previous: nil, next: f1, mode: .trueColor)
        let moved = Renderer.diff(previous: f1, next: frame(split: 101), mode: .trueColor)
        let same = Renderer.diff(previous: f1, next: f1, mode: .trueColor)
        let enc = times.sorted()[times.count / 2] * 1000, cp = copyTimes.sorted()[copyTimes.count / 2] * 1000
        if json {
            let obj: [String: Any] = ["cols": cols, "rows": rows + 1, "image": [image.width, image.height], "encode_ms": enc,
                                      "frame_compose_ms": cp, "full_repaint_bytes": full.count, "divider_moved_bytes": moved.count,
                                      "unchanged_bytes": same.count]
            print(String(decoding: try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print("terminal 200x60, image \(image.width)x\(image.height), truecolor half blocks")
            print(String(format: "  encode (area resample + cells, cached per view): %.2f ms median of 10", enc))
            print(String(format: "  compose a frame from cached cells:               %.2f ms", cp))
            print("  bytes written: full repaint \(full.count), split moved one column \(moved.count), unchanged frame \(same.count)")
        }
    }
}

extension Bench {
    /// Each kernel alone on the shapes of a level-1 block of the paper configuration at 256²
    /// (block width 56 as in decoder_level1/refinement), best of 5, in GFLOP/s.
    func kernelBudget() {
        let h = 256, w = 256, n = h * w, c = 56
        func fill(_ t: inout Tensor) { for i in 0..<t.count { t.data[i] = Float((i * 7919) % 1000) / 1000 - 0.5 } }
        func time(_ name: String, flops: Double, _ body: () -> Void) {
            body()
            var best = Double.infinity
            for _ in 0..<5 { let t0 = Profile.now(); body(); best = min(best, Profile.now() - t0) }
            print("  " + name.padding(toLength: 46, withPad: " ", startingAt: 0) + String(format: "%7.2f ms  %6.1f GFLOP/s", best * 1000, flops / best / 1e9))
        }
        var x = Tensor(channels: c, height: h, width: w); fill(&x)
        var big = Tensor(channels: 4 * c, height: h, width: w); fill(&big)
        var out = Tensor(channels: 4 * c, height: h, width: w)
        let w1 = [Float](repeating: 0.01, count: 4 * c * c)
        let w3 = [Float](repeating: 0.01, count: 4 * c * 9), w7 = [Float](repeating: 0.01, count: c * 49)
        var scratch: [Float] = []
        print("kernels on (C, 256, 256), C = \(c), threads \(Parallel.threads)")
        time("pointwise \(c)→\(4 * c) (project_in), \(SkinnyGemm.enabled ? "SkinnyGemm" : "OpenBLAS")", flops: 2.0 * Double(4 * c * c * n)) {
            Conv.pointwise(x, weight: w1, outChannels: 4 * c, into: &out)
        }
        SkinnyGemm.enabled.toggle()
        time("pointwise \(c)→\(4 * c) (project_in), \(SkinnyGemm.enabled ? "SkinnyGemm" : "OpenBLAS")", flops: 2.0 * Double(4 * c * c * n)) {
            Conv.pointwise(x, weight: w1, outChannels: 4 * c, into: &out)
        }
        SkinnyGemm.enabled.toggle()
        time("pointwise \(2 * c)→\(c) (project_out)", flops: 2.0 * Double(2 * c * c * n)) {
            let half = Tensor(channels: 2 * c, height: h, width: w)
            Conv.pointwise(half, weight: Array(w1[0..<(2 * c * c)]), outChannels: c, into: &out)
        }
        time("conv3x3 \(c)→\(c)", flops: 2.0 * Double(9 * c * c * n)) {
            Conv.conv3x3(x, weight: [Float](repeating: 0.01, count: 9 * c * c), outChannels: c, into: &out, scratch: &scratch)
        }
        time("depthwise 3x3 on \(4 * c)", flops: 18.0 * Double(4 * c * n)) {
            Conv.depthwise(big, weight: w3, kernel: 3, into: &out)
        }
        time("depthwise 3x3 + GELU gate, \(4 * c) → \(2 * c)", flops: 18.0 * Double(4 * c * n)) {
            big.data.withUnsafeBufferPointer { b in
                out.data.withUnsafeMutableBufferPointer { o in
                    w3.withUnsafeBufferPointer { wp in
                        Conv.depthwise3x3GeluGate(b.baseAddress!, hidden: 2 * c, height: h, width: w, weight: wp.baseAddress!, into: o.baseAddress!)
                    }
                }
            }
        }
        time("GELU gate alone, \(2 * c) channels", flops: 0) {
            big.data.withUnsafeBufferPointer { b in
                out.data.withUnsafeMutableBufferPointer { o in
                    Activation.geluGate(b.baseAddress!, b.baseAddress! + 2 * c * n, o.baseAddress!, count: 2 * c * n)
                }
            }
        }
        time("depthwise 7x7 on \(c / 3)", flops: 98.0 * Double(c / 3 * n)) {
            let a = Tensor(channels: c / 3, height: h, width: w)
            Conv.depthwise(a, weight: Array(w7[0..<(c / 3 * 49)]), kernel: 7, into: &out)
        }
        time("LayerNorm over \(c)", flops: 8.0 * Double(c * n)) {
            Norm.layerNormChannels(x, weight: [Float](repeating: 1, count: c), bias: [Float](repeating: 0, count: c), into: &out)
        }
    }
}
