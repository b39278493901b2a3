/// exp, sigmoid and erf-GELU as straight-line scalar arithmetic (no libm calls; polynomials as
/// fused multiply-adds, `addingProduct`, which become FMA instructions on AVX2 builds), so the
/// loops that use them auto-vectorise. Errors are far below the 1e-4 parity budget (tested
/// against libm in KernelTests: exp relative error < 5e-7, GELU absolute error < 1e-6).
public enum FastMath {
    /// e^x: x = n·ln2 + r with |r| ≤ ln2/2; e^r by a degree-6 Taylor polynomial; 2^n by
    /// building the float's exponent bits. Inputs are clamped to [−87.3, 88.3].
    @inlinable @inline(__always)
    public static func exp(_ x: Float) -> Float {
        let xl = x < -87.3 ? -87.3 : x
        let xc = xl > 88.3 ? 88.3 : xl
        // Round to nearest by adding 1.5·2^23 (no libm call, so the loop vectorises); the
        // low mantissa bits of t then hold n.
        let t = xc * 1.442_695_04 + 12_582_912
        let n = t - 12_582_912
        var r = xc - n * 0.693_145_75  // ln2, high part
        r = r - n * 1.428_606_8e-6  // ln2, low part
        var p: Float = 1.0 / 720
        p = Float(1.0 / 120).addingProduct(p, r)
        p = Float(1.0 / 24).addingProduct(p, r)
        p = Float(1.0 / 6).addingProduct(p, r)
        p = Float(0.5).addingProduct(p, r)
        p = Float(1).addingProduct(p, r)
        p = Float(1).addingProduct(p, r)
        let ni = Int32(bitPattern: t.bitPattern) &- 0x4B40_0000
        return p * Float(bitPattern: UInt32(bitPattern: (ni &+ 127) &<< 23))
    }

    @inlinable @inline(__always)
    public static func sigmoid(_ x: Float) -> Float { 1 / (1 + exp(-x)) }

    /// erf(x) by Abramowitz & Stegun 7.1.28: 1 − 1/(1 + a₁x + … + a₆x⁶)¹⁶ for x ≥ 0,
    /// |error| ≤ 3e-7. One division and no exp, so the GELU loops stay cheap when vectorised.
    @inlinable @inline(__always)
    public static func erf(_ x: Float) -> Float {
        let a = min(abs(x), 10)  // erf(10) = 1 in float; keeps p¹⁶ finite
        var p: Float = 0.000_043_063_8
        p = Float(0.000_276_567_2).addingProduct(p, a)
        p = Float(0.000_152_014_3).addingProduct(p, a)
        p = Float(0.009_270_527_2).addingProduct(p, a)
        p = Float(0.042_282_012_3).addingProduct(p, a)
        p = Float(0.070_523_078_4).addingProduct(p, a)
        p = Float(1).addingProduct(p, a)
        let p2 = p * p, p4 = p2 * p2, p8 = p4 * p4
        let y = 1 - 1 / (p8 * p8)
        return x < 0 ? -y : y
    }

    @inlinable @inline(__always)
    public static func gelu(_ x: Float) -> Float { 0.5 * x * (1 + erf(x * 0.707_106_781_186_547_5)) }

    /// dst[i] = f(src[i]) over n floats (dst may alias src).
    @inlinable @inline(__always)
    public static func map(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int, _ f: (Float) -> Float) {
        for i in 0..<n { dst[i] = f(src[i]) }
    }

    /// dst[i] = f(a[i], b[i]) over n floats (dst may alias a or b).
    @inlinable @inline(__always)
    public static func map2(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int,
        _ f: (Float, Float) -> Float
    ) {
        for i in 0..<n { dst[i] = f(a[i], b[i]) }
    }
}
