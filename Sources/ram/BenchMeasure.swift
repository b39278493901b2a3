import Foundation
import RAMModel
import TensorCore

/// The lines `ram bench` prints before its timings: the model and how it runs.
struct BenchHeader {
    let network: RAMNetwork
    let paper: Bool
    let context: ExecutionContext
    let sgemm: Double?

    var text: String {
        let w = network.weights
        var lines = [
            "model: \(w.configuration), \(group(w.parameterCount)) parameters\(paper ? " (random weights)" : "")",
            "threads: kernels \(context.threads), BLAS \(context.splitsColumns ? context.blas.description : String(context.blasThreads)); \(Gemm.configuration)",
        ]
        if let sgemm { lines.append(String(format: "sgemm 1024³: %.1f GFLOP/s (this run)", sgemm)) }
        return lines.joined(separator: "\n")
    }
}

extension ExecutionContext {
    /// Threads inside one BLAS call under this context.
    var blasThreads: Int {
        switch blas {
        case .splitColumns: return 1
        case .library(let n): return n
        }
    }
}

/// One size of `ram bench`: the JSON `make bench` reads (keys as written by `CodingKeys`).
struct NetworkTiming: Codable {
    var size: Int
    var runs: Int
    var precision: String
    var bestSeconds: Double
    var medianSeconds: Double
    var gflop: Double
    var gflops: Double
    var msPerMegapixel: Double
    var peakRSSMegabytes: Double
    /// Milliseconds per forward pass, by stage (`Profiler.Stage`'s descriptions).
    var stagesMilliseconds: [String: Double]
    var blasThreads: Int
    var splitColumns: Bool
    var kernelThreads: Int
    var sgemmGflops: Double?
    var fractionOfSgemm: Double?

    enum CodingKeys: String, CodingKey {
        case size, runs, precision, gflop, gflops
        case bestSeconds = "best_s", medianSeconds = "median_s", msPerMegapixel = "ms_per_megapixel"
        case peakRSSMegabytes = "peak_rss_mb", stagesMilliseconds = "stages_ms", blasThreads = "blas_threads"
        case splitColumns = "split_columns", kernelThreads = "kernel_threads", sgemmGflops = "sgemm_gflops"
        case fractionOfSgemm = "fraction_of_sgemm"
    }

    /// One warm-up pass (sizes the workspace), then `runs` timed passes under `context` with a
    /// fresh profiler; returns the timing and that profiler (its shapes when `byShape`).
    static func measure(_ net: RAMNetwork, size s: Int, runs: Int, context: ExecutionContext, sgemm: Double?,
                        byShape: Bool = false) -> (NetworkTiming, Profiler) {
        var x = Tensor(channels: 3, height: s, width: s)
        for i in 0..<x.count { x.data[i] = Float(i % 251) / 251 }
        let ws = Workspace()
        _ = net.forward(x, context: context, workspace: ws)
        let profiler = Profiler(byShape: byShape)
        var ctx = context
        ctx.profiler = profiler
        var times: [Double] = []
        for _ in 0..<runs {
            let t0 = Profiler.now()
            _ = net.forward(x, context: ctx, workspace: ws)
            times.append(Profiler.now() - t0)
        }
        let sorted = times.sorted()
        let median = sorted[sorted.count / 2]
        let flops = profiler.flops / Double(runs)
        let gflops = flops / median / 1e9
        let timing = NetworkTiming(
            size: s, runs: runs, precision: context.precision.rawValue, bestSeconds: sorted[0], medianSeconds: median,
            gflop: flops / 1e9, gflops: gflops, msPerMegapixel: median * 1000 / (Double(s * s) / 1e6),
            peakRSSMegabytes: peakResidentMegabytes(),
            stagesMilliseconds: Dictionary(uniqueKeysWithValues: profiler.stages.map { ($0.stage.rawValue, $0.seconds * 1000 / Double(runs)) }),
            blasThreads: context.blasThreads, splitColumns: context.splitsColumns, kernelThreads: context.threads,
            sgemmGflops: sgemm, fractionOfSgemm: sgemm.map { gflops / $0 })
        return (timing, profiler)
    }

    var text: String {
        var lines = [String(
            format: "%dx%d: %.3f s median, %.3f s best of %d; %.1f GFLOP → %.1f GFLOP/s%@; %.0f ms/MP; peak RSS %.0f MB",
            size, size, medianSeconds, bestSeconds, runs, gflop, gflops,
            fractionOfSgemm.map { String(format: " (%.0f%% of sgemm)", 100 * $0) } ?? "", msPerMegapixel, peakRSSMegabytes)]
        for stage in Profiler.Stage.allCases {
            let ms = stagesMilliseconds[stage.rawValue] ?? 0
            lines.append("    " + stage.rawValue.padding(toLength: 60, withPad: " ", startingAt: 0)
                + String(format: " %8.1f ms  %4.1f%%", ms, ms / 10 / medianSeconds))
        }
        return lines.joined(separator: "\n")
    }
}

/// `ram bench shapes` for one size and precision: the products by shape, per forward pass.
struct ShapeReport: Codable {
    struct Shape: Codable {
        var shape: String
        var milliseconds: Double
        var calls: Int
        var gflops: Double
        enum CodingKeys: String, CodingKey { case shape, calls, gflops, milliseconds = "ms" }
    }

    var size: Int
    var precision: String
    /// False when this build has no kernels for the precision (then `shapes` is empty).
    var available: Bool = true
    var runs: Int
    /// Slowest first.
    var shapes: [Shape]

    init(size: Int, precision: String, available: Bool, runs: Int, shapes: [Shape]) {
        self.size = size
        self.precision = precision
        self.available = available
        self.runs = runs
        self.shapes = shapes
    }

    init(size: Int, precision: String, runs: Int, profiler: Profiler) {
        let shapes = profiler.shapes.sorted { $0.value.seconds > $1.value.seconds }.map { key, v in
            Shape(shape: key, milliseconds: v.seconds * 1000 / Double(runs), calls: v.calls / runs,
                  gflops: v.flops / v.seconds / 1e9)
        }
        self.init(size: size, precision: precision, available: true, runs: runs, shapes: shapes)
    }

    /// One table per size: a row per shape (in the first available precision's order), a
    /// column pair (ms, GFLOP/s) per precision.
    static func text(_ reports: [ShapeReport]) -> String {
        guard let first = reports.first else { return "" }
        var lines = ["\(first.size)x\(first.size): products by shape (O x C, N = output pixels), per forward pass (mean of \(first.runs) runs):"]
        for r in reports where !r.available {
            lines.append("    \(r.precision): not available on this CPU (bf16 needs AVX512_BF16)")
        }
        let shown = reports.filter(\.available)
        guard let order = shown.first?.shapes.map(\.shape) else { return lines.joined(separator: "\n") }
        let byShape = shown.map { r in Dictionary(uniqueKeysWithValues: r.shapes.map { ($0.shape, $0) }) }
        lines.append("      " + "shape".padding(toLength: 28, withPad: " ", startingAt: 0) + " calls"
            + shown.map { "  " + String(repeating: " ", count: max(0, 10 - $0.precision.count)) + $0.precision + " ms  GFLOP/s" }.joined())
        for key in order {
            let calls = byShape[0][key]?.calls ?? 0
            var line = "      " + key.padding(toLength: 28, withPad: " ", startingAt: 0) + String(format: " %5d", calls)
            for table in byShape {
                if let v = table[key] {
                    line += String(format: "  %13.1f  %7.1f", v.milliseconds, v.gflops)
                } else {
                    line += "              -        -"
                }
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}
