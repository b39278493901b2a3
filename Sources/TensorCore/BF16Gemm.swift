import CBF16

/// The only file that talks to CBF16: matrix products with bf16 operands and fp32 accumulation
/// through AVX512_BF16's `vdpbf16ps` (two products per fp32 lane per instruction).
///
/// C (m×n) = W (m×k) · X (k×n) [+ C], row-major, single-threaded per call (callers split columns
/// across threads as for sgemm, `Conv.gemmColumns`). W is rounded to bf16 once, into a
/// `PackedWeights` (14-row strips of k-pairs); X is rounded while the kernel copies a block of
/// its columns into 32-column panels of k-pairs; a 14×32 register tile (28 zmm accumulators)
/// sums over k in fp32. X may be given as shifted views (`taps`): row kk of X is
/// x + (kk mod k/taps)·ldx + taps[kk / (k/taps)], so a 3×3 convolution is one product with
/// k = 9·c over a zero-padded plane, its nine taps summed in registers.
///
/// Accuracy: each operand carries a relative rounding error of at most 2⁻⁹ (8 significant
/// bits, round to nearest even), so |C − C_exact| ≤ ~2⁻⁸ · Σ_k |w||x| (+ fp32 summation).
/// The kernels exist only where `isAvailable` (CPUID: AVX512F/BW/VL and AVX512_BF16, zmm
/// state saved by the OS); elsewhere callers stay on fp32.
public enum BF16Gemm {
    /// Whether this CPU runs the bf16 kernels.
    public static let isAvailable: Bool = ram_bf16_available() != 0

    /// Rows per register tile (weights are padded to a multiple of it with zero rows).
    public static let tileRows = Int(RAM_BF16_MR)

    /// W (m×k) rounded to bf16 and laid out for the kernel; immutable, shared by threads.
    public final class PackedWeights: @unchecked Sendable {
        public let m: Int, k: Int
        let storage: UnsafeMutablePointer<UInt16>

        /// W row-major with row stride `ldw` (default k).
        public init(m: Int, k: Int, weights: UnsafePointer<Float>, ldw: Int? = nil) {
            self.m = m
            self.k = k
            let count = max(2, Int(ram_bf16_packed_weights_count(Int32(m), Int32(k))))
            storage = UnsafeMutablePointer<UInt16>.allocate(capacity: count)
            if m > 0 && k > 0 { ram_bf16_pack_weights(Int32(m), Int32(k), weights, ldw ?? k, storage) }
        }

        public convenience init(m: Int, k: Int, weights: [Float]) {
            precondition(weights.count == m * k, "BF16Gemm: weight \(weights.count) != \(m)x\(k)")
            self.init(m: m, k: k, weights: weights.withUnsafeBufferPointer { $0.baseAddress! })
        }

        /// A 3×3 convolution's weight (o, c, 3, 3) as one (o, 9·c) matrix whose column t·c + ic
        /// is tap t = 3·ky + kx of input channel ic (the tap order of `gemm`'s `taps`).
        public convenience init(conv3x3 weight: [Float], outChannels o: Int, inChannels c: Int) {
            precondition(weight.count == o * c * 9, "BF16Gemm: conv3x3 weight \(weight.count) != \(o)x\(c)x3x3")
            var regrouped = [Float](repeating: 0, count: o * 9 * c)
            for oc in 0..<o {
                for ic in 0..<c {
                    for t in 0..<9 { regrouped[oc * 9 * c + t * c + ic] = weight[(oc * c + ic) * 9 + t] }
                }
            }
            self.init(m: o, k: 9 * c, weights: regrouped)
        }

        deinit { storage.deallocate() }
    }

    /// C (w.m × n, row stride ldc) = W · X (+ C when `accumulate`). X: k = w.k rows of stride
    /// ldx starting at x, or, with `taps`, w.k / taps.count rows read at each tap's offset.
    /// Single-threaded. Requires `isAvailable`.
    @inline(never)
    public static func gemm(
        _ w: PackedWeights, n: Int, x: UnsafePointer<Float>, ldx: Int, taps: UnsafePointer<Int>? = nil, tapCount: Int = 1,
        c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
    ) {
        precondition(isAvailable, "BF16Gemm: this CPU has no AVX512_BF16")
        precondition(tapCount >= 1 && w.k % tapCount == 0, "BF16Gemm: k \(w.k) is not a multiple of \(tapCount) taps")
        if w.m == 0 || n == 0 { return }
        ram_bf16_gemm(Int32(w.m), Int32(n), Int32(w.k), w.storage, x, ldx, taps, Int32(tapCount), c, ldc,
                      accumulate ? 1 : 0)
    }

    /// The values as the kernels see them: each rounded to bf16 (nearest even) and back.
    public static func rounded(_ values: [Float]) -> [Float] {
        var out = [Float](repeating: 0, count: values.count)
        values.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { d in
                if let sp = s.baseAddress, let dp = d.baseAddress { ram_bf16_round(sp, dp, values.count) }
            }
        }
        return out
    }
}
