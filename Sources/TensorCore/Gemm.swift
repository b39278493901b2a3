import COpenBLAS
import Foundation

/// The only file that talks to OpenBLAS. Every matrix here is row-major.
///
/// How the network maps onto sgemm:
/// - a 1×1 convolution with weight (O, C) over an input (C, H·W) is one call,
///   M = O, N = H·W, K = C;
/// - a 3×3 convolution is nine accumulating calls over shifted views of a zero-padded
///   input (see `Convolution.swift`);
/// - channel attention's q·kᵀ (c×c) and A·v per head are one call each.
public enum Gemm {
    /// C(M×N) = alpha · op(A) · op(B) + beta · C, with leading dimensions lda/ldb/ldc.
    @inlinable
    public static func sgemm(
        transA: Bool = false, transB: Bool = false,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if m == 0 || n == 0 { return }
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Threads OpenBLAS currently uses for one call (process-wide; set through `withThreads`).
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// Runs body with OpenBLAS on `n` threads. OpenBLAS' setting is process-wide, so holds are
    /// counted: while any caller holds 1 (a pass that splits products itself, or a worker)
    /// OpenBLAS stays on one thread, otherwise it runs on the largest count held; when the last
    /// hold ends the count from before comes back. Overlapping jobs cannot leave it changed.
    public static func withThreads<T>(_ n: Int, _ body: () throws -> T) rethrows -> T {
        holds.enter(max(1, n))
        defer { holds.leave(max(1, n)) }
        return try body()
    }

    static let holds = ThreadHolds()

    /// The counted holds on OpenBLAS' thread count (the one piece of process-wide state here,
    /// mirroring OpenBLAS' own).
    final class ThreadHolds: @unchecked Sendable {
        private let lock = NSLock()
        private var counts: [Int: Int] = [:]
        private var saved = 1

        func enter(_ n: Int) {
            lock.lock()
            defer { lock.unlock() }
            if counts.isEmpty { saved = Gemm.threads }
            counts[n, default: 0] += 1
            apply()
        }

        func leave(_ n: Int) {
            lock.lock()
            defer { lock.unlock() }
            counts[n]! -= 1
            if counts[n] == 0 { counts[n] = nil }
            if counts.isEmpty {
                openblas_set_num_threads(Int32(saved))
            } else {
                apply()
            }
        }

        private func apply() {
            let want = counts[1] != nil ? 1 : counts.keys.max()!
            if Gemm.threads != want { openblas_set_num_threads(Int32(want)) }
        }
    }

    /// OpenBLAS' build configuration and the core it detected, for `ram bench`.
    public static var configuration: String {
        let config = openblas_get_config().map { String(cString: $0) } ?? "?"
        let core = openblas_get_corename().map { String(cString: $0) } ?? "?"
        return "\(config) (core \(core))"
    }
}

extension Gemm {
    /// sgemm throughput on an n×n×n product, best of `runs`, in GFLOP/s (for `ram bench`).
    public static func measureThroughput(n: Int = 1024, runs: Int = 5) -> Double {
        let a = [Float](repeating: 0.5, count: n * n), b = [Float](repeating: 0.25, count: n * n)
        var c = [Float](repeating: 0, count: n * n)
        var best = Double.infinity
        for _ in 0..<(runs + 1) {
            let t0 = Profiler.now()
            a.withUnsafeBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in
                    c.withUnsafeMutableBufferPointer { cp in
                        sgemm(m: n, n: n, k: n, a: ap.baseAddress!, lda: n, b: bp.baseAddress!, ldb: n, c: cp.baseAddress!, ldc: n)
                    }
                }
            }
            best = min(best, Profiler.now() - t0)
        }
        return 2 * Double(n * n * n) / best / 1e9
    }
}
