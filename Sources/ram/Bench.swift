import ArgumentParser
import Foundation
import RAMModel
import TensorCore

/// `ram bench`: the whole network's timing (the default), `ram bench shapes` (every product
/// shape's GFLOP/s per precision), `ram bench kernels` (each kernel alone), `ram bench render`
/// (the viewer's frame budget). Each subcommand parses its flags into an `ExecutionContext`,
/// measures (`BenchMeasure.swift`), and prints text or a `Codable` report as JSON.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time the network, its product shapes, its kernels or the viewer's frames.",
        subcommands: [Network.self, Shapes.self, Kernels.self, Render.self],
        defaultSubcommand: Network.self)
}

/// What the network timings share: the model, the sizes, and the context's switches.
struct BenchOptions: ParsableArguments {
    @Option(help: "Comma-separated square sizes.") var sizes: String = "256,512"
    @Option(help: "Timed runs per size (after one warm-up).") var runs: Int = 3
    @Flag(help: "Random weights in the paper configuration instead of a file.") var paper = false
    @Option(help: "Threads for the kernels and the products (default: all cores).") var threads: Int?
    @Option(help: "Threads inside each BLAS call (default 1: products split across --threads by ram; N > 1: OpenBLAS threads each call).")
    var blasThreads: Int?
    @Flag(help: "Send every 1x1 product to OpenBLAS (no SkinnyGemm), to compare.") var noSkinny = false
    @Flag(help: "Run the FFN as separate kernels (no fused row pass), to compare.") var noFuse = false
    @OptionGroup var weights: WeightsOptions
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        if sizeList.isEmpty || sizeList.contains(where: { $0 < 8 }) {
            throw ValidationError("--sizes must be comma-separated sizes of at least 8 (got \(sizes))")
        }
        if runs < 1 { throw ValidationError("--runs must be at least 1 (got \(runs))") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1 (got \(threads))") }
        if let blasThreads, blasThreads < 1 { throw ValidationError("--blas-threads must be at least 1 (got \(blasThreads))") }
    }

    var sizeList: [Int] { sizes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    /// The context these flags describe.
    func context(precision: Precision) -> ExecutionContext {
        let blas: BLASPolicy = (blasThreads ?? 1) > 1 ? .library(threads: blasThreads!) : .splitColumns
        return ExecutionContext(
            threads: threads ?? ExecutionContext.defaultThreads, blas: blas,
            kernels: KernelChoices(skinnyGemm: !noSkinny, fusedFFN: !noFuse), precision: precision)
    }

    func network() throws -> RAMNetwork {
        RAMNetwork(weights: paper ? try RAMWeights.random(.paper) : try weights.load().weights)
    }
}

extension Bench {
    /// `ram bench`: forward passes per size with the per-stage profile, GFLOP/s against this
    /// machine's sgemm, ms per megapixel and peak RSS.
    struct Network: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "network",
            abstract: "Time the forward pass: per-stage profile, GFLOP/s against this machine's sgemm, ms per megapixel, peak RSS.")

        @OptionGroup var options: BenchOptions
        @OptionGroup var execution: ExecutionOptions
        @Flag(help: "Skip the sgemm throughput probe.") var noSgemm = false

        func run() throws {
            try runMain {
                let net = try options.network()
                let ctx = options.context(precision: execution.precision)
                // The machine's sgemm at this thread count (OpenBLAS threading the call).
                let sgemm = noSgemm ? nil : Gemm.withThreads(ctx.threads) { Gemm.measureThroughput() }
                if !options.json {
                    print(BenchHeader(network: net, paper: options.paper, context: ctx, sgemm: sgemm).text)
                }
                var results: [NetworkTiming] = []
                for s in options.sizeList {
                    let (timing, _) = NetworkTiming.measure(net, size: s, runs: options.runs, context: ctx, sgemm: sgemm)
                    results.append(timing)
                    if !options.json { print(timing.text) }
                }
                if options.json { try printJSON(results) }
            }
        }
    }

    /// `ram bench shapes`: every convolution shape of a forward pass with its time, calls and
    /// GFLOP/s, for each precision asked (a precision this CPU cannot run says so).
    struct Shapes: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List every product shape of a forward pass with its time and GFLOP/s, per precision.")

        @OptionGroup var options: BenchOptions
        @Option(help: ArgumentHelp("Precisions to measure: fp32, bf16 or both, comma-separated.", valueName: "fp32,bf16"))
        var precision = PrecisionList([.fp32, .bf16])

        func run() throws {
            try runMain {
                let net = try options.network()
                if !options.json {
                    print(BenchHeader(network: net, paper: options.paper, context: options.context(precision: .fp32), sgemm: nil).text)
                }
                var reports: [ShapeReport] = []
                for s in options.sizeList {
                    var perPrecision: [ShapeReport] = []
                    for p in precision.values {
                        let ctx = options.context(precision: p)
                        guard p.isAvailable else {
                            perPrecision.append(ShapeReport(size: s, precision: p.rawValue, available: false, runs: options.runs, shapes: []))
                            continue
                        }
                        let (_, profiler) = NetworkTiming.measure(net, size: s, runs: options.runs, context: ctx, sgemm: nil,
                                                                   byShape: true)
                        perPrecision.append(ShapeReport(size: s, precision: p.rawValue, runs: options.runs, profiler: profiler))
                    }
                    if !options.json { print(ShapeReport.text(perPrecision)) }
                    reports += perPrecision
                }
                if options.json { try printJSON(reports) }
            }
        }
    }
}

/// `--precision fp32,bf16`: one or more precisions.
struct PrecisionList: ExpressibleByArgument {
    let values: [Precision]
    init(_ values: [Precision]) { self.values = values }

    init?(argument: String) {
        let parts = argument.split(separator: ",").map { Precision(rawValue: $0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else { return nil }
        values = parts.map { $0! }
    }

    var defaultValueDescription: String { values.map(\.rawValue).joined(separator: ",") }
}

/// Prints a report as one line of JSON with sorted keys.
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// Peak resident set size of this process (getrusage), in MB.
func peakResidentMegabytes() -> Double {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    return Double(u.ru_maxrss) / 1024
}
