import ArgumentParser
import Foundation
import TensorCore

extension Bench {
    /// `ram bench kernels`: each kernel alone on the shapes of a level-1 block of the paper
    /// configuration at 256² (block width 56 as in decoder_level1/refinement), best of 5. The
    /// 1×1 expansion runs under two contexts, SkinnyGemm and OpenBLAS, to compare them; the
    /// products and the fused FFN also in bf16 where the CPU has AVX512_BF16.
    struct Kernels: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time each kernel alone on level-1 shapes of the paper configuration (256², one thread unless --threads).")

        @Option(help: "Threads for the kernels (products split into column blocks, BLAS on one thread).") var threads: Int = 1
        @Flag(help: "Print JSON.") var json = false

        struct Timing: Codable {
            var kernel: String
            var milliseconds: Double
            var gflops: Double?
            enum CodingKeys: String, CodingKey { case kernel, gflops, milliseconds = "ms" }
        }

        func validate() throws {
            if threads < 1 { throw ValidationError("--threads must be at least 1 (got \(threads))") }
        }

        func run() throws {
            let ctx = ExecutionContext(threads: threads)
            let timings = ctx.withBLAS { Kernels.measure(ctx) }
            if json { return try printJSON(timings) }
            print("kernels on (C, 256, 256), C = \(Kernels.width), threads \(threads)")
            for t in timings {
                let rate = t.gflops.map { String(format: "  %6.1f GFLOP/s", $0) } ?? ""
                print("  " + t.kernel.padding(toLength: 46, withPad: " ", startingAt: 0) + String(format: "%7.2f ms", t.milliseconds) + rate)
            }
        }

        static let width = 56

        static func measure(_ ctx: ExecutionContext) -> [Timing] {
            let h = 256, w = 256, n = h * w, c = width
            var timings: [Timing] = []
            func time(_ name: String, flops: Double, _ body: () -> Void) {
                body()
                var best = Double.infinity
                for _ in 0..<5 { let t0 = Profiler.now(); body(); best = min(best, Profiler.now() - t0) }
                timings.append(Timing(kernel: name, milliseconds: best * 1000, gflops: flops > 0 ? flops / best / 1e9 : nil))
            }
            func fill(_ t: inout Tensor) { for i in 0..<t.count { t.data[i] = Float((i * 7919) % 1000) / 1000 - 0.5 } }
            var x = Tensor(channels: c, height: h, width: w); fill(&x)
            var big = Tensor(channels: 4 * c, height: h, width: w); fill(&big)
            var out = Tensor(channels: 4 * c, height: h, width: w)
            let w1 = [Float](repeating: 0.01, count: 4 * c * c)
            let w3 = [Float](repeating: 0.01, count: 4 * c * 9), w7 = [Float](repeating: 0.01, count: c * 49)
            var scratch: [Float] = []
            var openBLAS = ctx
            openBLAS.kernels.skinnyGemm = false
            var bf16 = ctx
            bf16.precision = .bf16
            var expanding = [("SkinnyGemm", ctx), ("OpenBLAS", openBLAS)]
            var products = [("fp32", ctx)]
            if Precision.bf16.isAvailable {
                expanding.append(("BF16Gemm", bf16))
                products.append(("bf16", bf16))
            }
            for (label, kctx) in expanding {
                time("pointwise \(c)→\(4 * c) (project_in), \(label)", flops: 2.0 * Double(4 * c * c * n)) {
                    Conv.pointwise(x, weight: w1, outChannels: 4 * c, into: &out, context: kctx)
                }
            }
            // Inputs and weights are made outside the timed bodies.
            var half = Tensor(channels: 2 * c, height: h, width: w); fill(&half)
            let wOut = Array(w1[0..<(2 * c * c)]), w3x3 = [Float](repeating: 0.01, count: 9 * c * c)
            var alpha = Tensor(channels: c / 3, height: h, width: w); fill(&alpha)
            let w7a = Array(w7[0..<(c / 3 * 49)])
            let ones = [Float](repeating: 1, count: c), zeros = [Float](repeating: 0, count: c)
            for (label, kctx) in products {
                time("pointwise \(2 * c)→\(c) (project_out), \(label)", flops: 2.0 * Double(2 * c * c * n)) {
                    Conv.pointwise(half, weight: wOut, outChannels: c, into: &out, context: kctx)
                }
                time("conv3x3 \(c)→\(c), \(label)", flops: 2.0 * Double(9 * c * c * n)) {
                    Conv.conv3x3(x, weight: w3x3, outChannels: c, into: &out, scratch: &scratch, context: kctx)
                }
            }
            for (label, kctx) in products {
                var y = x  // updated in place run after run (the FFN adds a small change each time)
                time("fused FFN \(c)→\(4 * c)→\(c), \(label)", flops: 2.0 * Double(6 * c * c * n + 36 * c * n)) {
                    FusedFFN.forward(&y, lnWeight: ones, lnBias: zeros, projectIn: w1, depthwise: w3, projectOut: wOut,
                                     hidden: 2 * c, context: kctx)
                }
            }
            time("depthwise 3x3 on \(4 * c)", flops: 18.0 * Double(4 * c * n)) {
                Conv.depthwise(big, weight: w3, kernel: 3, into: &out, context: ctx)
            }
            time("depthwise 3x3 + GELU gate, \(4 * c) → \(2 * c)", flops: 18.0 * Double(4 * c * n)) {
                big.data.withUnsafeBufferPointer { b in
                    out.data.withUnsafeMutableBufferPointer { o in
                        w3.withUnsafeBufferPointer { wp in
                            Conv.depthwise3x3GeluGate(b.baseAddress!, hidden: 2 * c, height: h, width: w, weight: wp.baseAddress!,
                                                      into: o.baseAddress!, context: ctx)
                        }
                    }
                }
            }
            time("GELU gate alone, \(2 * c) channels", flops: 0) {
                big.data.withUnsafeBufferPointer { b in
                    out.data.withUnsafeMutableBufferPointer { o in
                        Activation.geluGate(b.baseAddress!, b.baseAddress! + 2 * c * n, o.baseAddress!, count: 2 * c * n, context: ctx)
                    }
                }
            }
            time("depthwise 7x7 on \(c / 3)", flops: 98.0 * Double(c / 3 * n)) {
                Conv.depthwise(alpha, weight: w7a, kernel: 7, into: &out, context: ctx)
            }
            time("LayerNorm over \(c)", flops: 8.0 * Double(c * n)) {
                Norm.layerNormChannels(x, weight: ones, bias: zeros, into: &out, context: ctx)
            }
            return timings
        }
    }
}
