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

    /// Threads OpenBLAS may use for one call (1 is often faster for skinny shapes).
    public static var threads: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(max(1, newValue))) }
    }

    /// While any caller holds a single-thread request, OpenBLAS runs on one thread (its
    /// setting is process-wide); when the last one ends the previous count comes back.
    /// Reference-counted, so overlapping multi-worker jobs cannot leave it at 1.
    public static func withSingleThread<T>(_ body: () throws -> T) rethrows -> T {
        singleThreadLock.lock()
        if singleThreadUsers == 0 {
            savedThreads = threads
            threads = 1
        }
        singleThreadUsers += 1
        singleThreadLock.unlock()
        defer {
            singleThreadLock.lock()
            singleThreadUsers -= 1
            if singleThreadUsers == 0 { threads = savedThreads }
            singleThreadLock.unlock()
        }
        return try body()
    }
    nonisolated(unsafe) static var singleThreadUsers = 0
    nonisolated(unsafe) static var savedThreads = 1
    static let singleThreadLock = NSLock()

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
            let t0 = Profile.now()
            a.withUnsafeBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in
                    c.withUnsafeMutableBufferPointer { cp in
                        sgemm(m: n, n: n, k: n, a: ap.baseAddress!, lda: n, b: bp.baseAddress!, ldb: n, c: cp.baseAddress!, ldc: n)
                    }
                }
            }
            best = min(best, Profile.now() - t0)
        }
        return 2 * Double(n * n * n) / best / 1e9
    }
}
