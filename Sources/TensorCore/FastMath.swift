/// exp, sigmoid and erf-GELU as straight-line scalar arithmetic (no libm calls), so the
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
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        let ni = Int32(bitPattern: t.bitPattern) &- 0x4B40_0000
        return p * Float(bitPattern: UInt32(bitPattern: (ni &+ 127) &<< 23))
    }

    @inlinable @inline(__always)
    public static func sigmoid(_ x: Float) -> Float { 1 / (1 + exp(-x)) }

    /// erf(x) by Abramowitz & Stegun 7.1.26: |error| < 1.5e-7.
    @inlinable @inline(__always)
    public static func erf(_ x: Float) -> Float {
        let a = abs(x)
        let t = 1 / (1 + 0.327_591_1 * a)
        var y: Float = 1.061_405_429
        y = y * t - 1.453_152_027
        y = y * t + 1.421_413_741
        y = y * t - 0.284_496_736
        y = y * t + 0.254_829_592
        y = 1 - y * t * exp(-a * a)
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
