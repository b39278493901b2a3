import Foundation
import Testing
import TestSupport
@testable import RAMModel
@testable import TensorCore

/// The execution context chooses kernels, threads and profiling per pass: two contexts side by
/// side do not disturb each other, and workers' profiles add up to the whole.
@Suite struct ExecutionContextTests {
    func network(_ name: String = "small.weights.safetensors") throws -> RAMNetwork {
        RAMNetwork(weights: try RAMModelFile(path: Fixtures.path(name)).weights)
    }

    @Test func kernelChoicesFollowTheContext() {
        let ctx = ExecutionContext(threads: 2)
        #expect(ctx.productKernel(m: 224, k: 56) == .skinnyGemm)
        #expect(ctx.productKernel(m: 56, k: 112) == .sgemm)
        #expect(ctx.fusesFFN(height: 64, width: 64))
        #expect(!ctx.fusesFFN(height: 64, width: 16))
        #expect(ctx.splitsColumns)
        let plain = ExecutionContext(threads: 2, blas: .library(threads: 2), kernels: KernelChoices(skinnyGemm: false, fusedFFN: false))
        #expect(plain.productKernel(m: 224, k: 56) == .sgemm)
        #expect(!plain.fusesFFN(height: 64, width: 64))
        #expect(!plain.splitsColumns)
        #expect(!ExecutionContext(threads: 1).splitsColumns)
        let worker = ctx.worker()
        #expect(worker.threads == 1 && worker.blas == .splitColumns && worker.profiler == nil)
    }

    @Test func bf16IsAvailableWhereTheCPUHasIt() {
        #expect(Precision.fp32.isAvailable)
        #expect(Precision.bf16.isAvailable == BF16Gemm.isAvailable)
        if BF16Gemm.isAvailable {
            #expect(throws: Never.self) { try ExecutionContext(precision: .bf16).checkAvailable() }
        } else {
            #expect(throws: UnavailablePrecision.self) { try ExecutionContext(precision: .bf16).checkAvailable() }
        }
        #expect(throws: Never.self) { try ExecutionContext().checkAvailable() }
    }

    /// A hold of one BLAS thread wins over any other count held at the same time.
    @Test func blasHoldsAreCounted() {
        Gemm.withThreads(1) {
            #expect(Gemm.threads == 1)
            Gemm.withThreads(2) { #expect(Gemm.threads == 1) }
            #expect(Gemm.threads == 1)
        }
    }

    /// Every kernel switch changes how the pass is computed, not what it computes.
    @Test func kernelSwitchesAgree() throws {
        let net = try network()
        var rng = TestRandom(seed: 8)
        let x = rng.tensor(3, 64, 80)
        let base = net.forward(x, context: ExecutionContext(threads: 2)).output
        for ctx in [ExecutionContext(threads: 2, kernels: KernelChoices(skinnyGemm: false)),
                    ExecutionContext(threads: 2, kernels: KernelChoices(fusedFFN: false)),
                    ExecutionContext(threads: 2, blas: .library(threads: 2)),
                    ExecutionContext(threads: 1)] {
            #expect(net.forward(x, context: ctx).output.maxAbsDifference(base) < 1e-5, "\(ctx.kernels) \(ctx.blas)")
        }
    }

    /// The profiler sees every kernel: a profiled pass counts the same FLOP on one thread and
    /// on two, and per-tile workers' profiles, merged, count what one worker counts.
    @Test func workersProfilesAreMerged() throws {
        let net = try network("tiny.weights.safetensors")
        var rng = TestRandom(seed: 9)
        let x = rng.tensor(3, 70, 90)
        func flops(_ workers: Int, threads: Int = 2, streamed: Bool = false) throws -> (Double, Profiler) {
            let p = Profiler(byShape: true)
            let ctx = ExecutionContext(threads: threads, profiler: p)
            if streamed {
                _ = try StreamedForward(network: net, tileSize: 32, workers: workers, context: ctx).forward(x)
            } else {
                _ = try TiledRestorer(network: net, tiling: Tiling(tileSize: 32, overlap: 8, workers: workers), context: ctx).restore(x)
            }
            return (p.flops, p)
        }
        let (one, p1) = try flops(1)
        let (two, p2) = try flops(2)
        #expect(one > 0 && one == two)
        #expect(p1.shapes.mapValues(\.calls) == p2.shapes.mapValues(\.calls))
        #expect(p2.stages.allSatisfy { $0.seconds >= 0 } && p2.stages.contains { $0.seconds > 0 })
        let (s1, _) = try flops(1, streamed: true)
        let (s2, _) = try flops(2, streamed: true)
        #expect(s1 > 0 && s1 == s2)
    }
}
