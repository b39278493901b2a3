import Dispatch

/// How a computation runs: threads, BLAS policy, kernel choices, precision and an optional
/// profiler, as one value passed from the entry point (`RAMNetwork.forward`, the streamed and
/// tiled passes) down to every kernel, the way ggml passes its compute plan. Nothing else
/// chooses a kernel: two contexts can be compared in one process (`ram bench kernels`), each
/// tile worker runs under its own (`worker()`), and a test's result does not depend on what
/// ran before it.
public struct ExecutionContext: Sendable {
    /// Threads the kernels may use (channels, pixel chunks, column blocks of a product).
    public var threads: Int
    public var blas: BLASPolicy
    public var kernels: KernelChoices
    public var precision: Precision
    /// Per-stage and per-shape timings (`ram bench`); nil: not measured (a nil test per kernel).
    public var profiler: Profiler?

    public init(threads: Int = ExecutionContext.defaultThreads, blas: BLASPolicy = .splitColumns,
                kernels: KernelChoices = KernelChoices(), precision: Precision = .fp32, profiler: Profiler? = nil) {
        self.threads = max(1, threads)
        self.blas = blas
        self.kernels = kernels
        self.precision = precision
        self.profiler = profiler
    }

    /// All cores ($RAM_THREADS overrides), products split by us, every fast kernel, fp32.
    public static var `default`: ExecutionContext { ExecutionContext() }

    public static var defaultThreads: Int {
        if let s = getenvString("RAM_THREADS"), let n = Int(s), n > 0 { return n }
        return max(1, ProcessInfoLite.activeProcessorCount)
    }
}

/// Who threads a matrix product.
public enum BLASPolicy: Sendable, Equatable, CustomStringConvertible {
    /// OpenBLAS on one thread; each product split into one column block per kernel thread
    /// (`Conv.gemmColumns`): faster than OpenBLAS' own threading on the network's skinny
    /// shapes (K = 3…448, N = H·W). The default.
    case splitColumns
    /// OpenBLAS threads each call itself over this many threads; products are not split
    /// (`ram bench --blas-threads N` compares).
    case library(threads: Int)

    public var description: String {
        switch self {
        case .splitColumns: return "1 per column block (products split across kernel threads)"
        case .library(let n): return "\(n) (OpenBLAS threads each call)"
        }
    }
}

/// Fast kernels that can be turned off to compare (`ram bench --no-skinny`, `--no-fuse`).
public struct KernelChoices: Sendable, Equatable {
    /// Channel-expanding 1×1 products (m ≥ 2k, k ≤ 64) through `SkinnyGemm` rather than OpenBLAS.
    public var skinnyGemm: Bool
    /// The block's FFN half in one pass over image rows (`FusedFFN`) on planes at least 32 wide.
    public var fusedFFN: Bool

    public init(skinnyGemm: Bool = true, fusedFFN: Bool = true) {
        self.skinnyGemm = skinnyGemm
        self.fusedFFN = fusedFFN
    }
}

/// Number format of the products' operands (accumulation is fp32 either way).
public enum Precision: String, Sendable, CaseIterable, CustomStringConvertible {
    case fp32, bf16

    public var description: String { rawValue }

    /// Whether this machine runs it: bf16 needs AVX512_BF16 (`BF16Gemm.isAvailable`, CPUID at
    /// run time); entry points refuse it elsewhere (`ExecutionContext.checkAvailable`).
    public var isAvailable: Bool {
        switch self {
        case .fp32: return true
        case .bf16: return BF16Gemm.isAvailable
        }
    }
}

/// A context that asks for what this build cannot do.
public struct UnavailablePrecision: ExitStatusError {
    public let precision: Precision
    public var exitStatus: ExitStatus { .usage }
    public var description: String {
        "precision \(precision) is not available on this CPU (it has no AVX512_BF16); use fp32"
    }
}

// MARK: - Kernel choice

/// The kernel that computes one matrix product.
public enum ProductKernel: Sendable, Equatable {
    /// OpenBLAS sgemm.
    case sgemm
    /// `SkinnyGemm`'s 6×16 register tiles (single-threaded per call).
    case skinnyGemm
    /// `BF16Gemm`: operands rounded to bf16, AVX512_BF16 dot products, fp32 sums (14×32 tiles,
    /// single-threaded per call).
    case bf16
}

extension ExecutionContext {
    /// The one place a product's kernel is chosen, for a W (m×k) · X (k×n) product of a
    /// convolution: 1×1 convolutions (`Conv.pointwise`), 3×3 convolutions (`Conv.conv3x3`, k =
    /// 9·c) and the fused FFN's products ask here. In bf16 every such product takes `BF16Gemm`
    /// (entry points refuse bf16 where the CPU lacks it; should one get here, fp32 runs).
    /// Channel attention and the last 3×3 convolution (three outputs, written straight into
    /// the image) stay fp32 in either precision.
    @inlinable
    public func productKernel(m: Int, k: Int) -> ProductKernel {
        if precision == .bf16 && BF16Gemm.isAvailable { return .bf16 }
        return kernels.skinnyGemm && SkinnyGemm.prefers(m: m, k: k) ? .skinnyGemm : .sgemm
    }

    /// Whether the FFN half of a block on an h × w plane runs as `FusedFFN` (narrow planes:
    /// rows too short for the per-row products to pay; the separate kernels run).
    @inlinable
    public func fusesFFN(height h: Int, width w: Int) -> Bool { kernels.fusedFFN && FusedFFN.suits(height: h, width: w) }

    /// Whether products are split into column blocks across the kernel threads (BLAS on one thread).
    @inlinable
    public var splitsColumns: Bool { blas == .splitColumns && threads > 1 }

    /// Throws when the precision has no kernels in this build.
    public func checkAvailable() throws {
        if !precision.isAvailable { throw UnavailablePrecision(precision: precision) }
    }
}

// MARK: - Threads

extension ExecutionContext {
    /// Runs body(i) for i in 0..<count, in contiguous chunks over up to `threads` threads
    /// (inline with one).
    @inlinable
    public func forEach(_ count: Int, minPerThread: Int = 1, _ body: (Int) -> Void) {
        let t = min(threads, max(1, count / max(1, minPerThread)))
        if t <= 1 || count <= 1 {
            for i in 0..<count { body(i) }
            return
        }
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: t) { part in
                let lo = count * part / t
                let hi = count * (part + 1) / t
                for i in lo..<hi { body(i) }
            }
        }
    }

    /// Runs body with OpenBLAS threaded as `blas` says (one thread for `.splitColumns`). OpenBLAS'
    /// thread count is process-wide: holds are counted (`Gemm.withThreads`), so overlapping
    /// passes cannot leave it changed, and while any pass holds one thread BLAS stays on one.
    public func withBLAS<T>(_ body: () throws -> T) rethrows -> T {
        switch blas {
        case .splitColumns: return try Gemm.withThreads(1, body)
        case .library(let n): return try Gemm.withThreads(n, body)
        }
    }

    /// The context of one of several workers that run side by side: the workers take the
    /// cores, so each runs its kernels and BLAS on one thread, with its own profiler (merge it
    /// back with `merge(workers:)`).
    public func worker() -> ExecutionContext {
        var c = self
        c.threads = 1
        c.blas = .splitColumns
        c.profiler = profiler.map { Profiler(byShape: $0.byShape) }
        return c
    }

    /// Adds the workers' profiles to this context's profiler.
    public func merge(workers: [ExecutionContext]) {
        guard let profiler else { return }
        for w in workers { if let p = w.profiler, p !== profiler { profiler.add(p) } }
    }

    /// Runs body(worker index, its context) on `count` workers side by side (`worker()`
    /// contexts, BLAS held to one thread), or inline with this context when count ≤ 1; the
    /// workers' profiles are merged into this one's at the end.
    public func runWorkers(_ count: Int, _ body: (Int, ExecutionContext) -> Void) {
        if count <= 1 {
            body(0, self)
            return
        }
        let contexts = (0..<count).map { _ in worker() }
        withoutActuallyEscaping(body) { body in
            Gemm.withThreads(1) {
                DispatchQueue.concurrentPerform(iterations: count) { i in body(i, contexts[i]) }
            }
        }
        merge(workers: contexts)
    }
}

// MARK: - Profiling

extension ExecutionContext {
    /// Times body under `stage` when profiling (else a nil test and a direct call).
    @inlinable
    public func measure<T>(_ stage: Profiler.Stage, _ body: () throws -> T) rethrows -> T {
        guard let profiler else { return try body() }
        let t0 = Profiler.now()
        defer { profiler.add(stage, Profiler.now() - t0) }
        return try body()
    }

    /// Times body under `stage` and, when the profiler records shapes, under `key`, with `flops`.
    @inlinable
    public func measure<T>(_ stage: Profiler.Stage, shape key: @autoclosure () -> String, flops n: Int,
                           _ body: () throws -> T) rethrows -> T {
        guard let profiler else { return try body() }
        let t0 = Profiler.now()
        defer { profiler.add(stage, Profiler.now() - t0, flops: Double(n), shape: profiler.byShape ? key() : nil) }
        return try body()
    }

    /// Counts floating-point operations (2 per multiply-add) outside a `measure(_:shape:flops:)`.
    @inlinable
    public func count(flops n: Int) { profiler?.count(flops: Double(n)) }
}
