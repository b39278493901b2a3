import Foundation

/// Elementwise functions.
public enum Activation {
    @inlinable public static func sigmoid(_ x: Float) -> Float { 1 / (1 + expf(-x)) }

    /// Exact (erf) GELU, as PyTorch's default nn.GELU / F.gelu.
    @inlinable public static func gelu(_ x: Float) -> Float { 0.5 * x * (1 + erff(x * 0.70710678118654752)) }

    /// out[i] = gelu(a[i]) · b[i] over n elements (the FFN gate).
    public static func geluGate(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
        _ out: UnsafeMutablePointer<Float>, count n: Int, context ctx: ExecutionContext
    ) {
        ctx.measure(.elementwise) {
            let chunk = 16384
            let chunks = (n + chunk - 1) / chunk
            ctx.forEach(chunks) { ci in
                let lo = ci * chunk, hi = min(n, lo + chunk)
                FastMath.map2(a + lo, b + lo, out + lo, hi - lo) { x, g in FastMath.gelu(x) * g }
            }
        }
    }
}
