#if canImport(Glibc)
    import Glibc
#endif

/// Per-stage wall-clock totals for `ram bench`. Disabled by default: then `measure` is a
/// flag test and a direct call.
public enum Profile {
    public enum Stage: String, CaseIterable, Sendable {
        case convolution = "convolutions (1x1, 3x3)"
        case depthwise = "depthwise 3x3/7x7 (+ fused FFN GELU gate)"
        case attention = "channel attention"
        case norm = "norms (LayerNorm, BatchNorm, stats)"
        case elementwise = "elementwise (sigmoid gates, copies)"
        case fusedFFN = "FFN fused (LayerNorm, 1x1, depthwise 3x3, GELU gate, 1x1)"
    }

    nonisolated(unsafe) public static var enabled = false
    nonisolated(unsafe) static var totals = [Double](repeating: 0, count: Stage.allCases.count)

    @inlinable
    public static func measure<T>(_ stage: Stage, _ body: () throws -> T) rethrows -> T {
        if !enabled { return try body() }
        let t0 = now()
        defer { add(stage, now() - t0) }
        return try body()
    }

    @usableFromInline static func add(_ stage: Stage, _ seconds: Double) {
        totals[Stage.allCases.firstIndex(of: stage)!] += seconds
    }

    /// Per-shape totals of the products (`ram bench --shapes`): key → (seconds, FLOP, calls).
    /// Recorded only while `enabled && byShape`.
    nonisolated(unsafe) public static var byShape = false
    nonisolated(unsafe) public static var shapes: [String: (seconds: Double, flops: Double, calls: Int)] = [:]

    /// Times body under `stage` and, when `byShape` is on, also under `key` with `flops`.
    @inlinable
    public static func measure<T>(_ stage: Stage, shape key: @autoclosure () -> String, flops n: Int, _ body: () throws -> T) rethrows -> T {
        if !enabled { return try body() }
        count(flops: n)
        let t0 = now()
        defer {
            let dt = now() - t0
            add(stage, dt)
            if byShape { addShape(key(), dt, Double(n)) }
        }
        return try body()
    }

    @usableFromInline static func addShape(_ key: String, _ seconds: Double, _ flops: Double) {
        let old = shapes[key] ?? (0, 0, 0)
        shapes[key] = (old.seconds + seconds, old.flops + flops, old.calls + 1)
    }

    /// Floating-point operations (2 per multiply-add) of the measured kernels.
    nonisolated(unsafe) public static var flops: Double = 0

    @inlinable public static func count(flops n: Int) { if enabled { flops += Double(n) } }

    public static func reset() {
        totals = [Double](repeating: 0, count: Stage.allCases.count)
        flops = 0
        shapes = [:]
    }

    public static var snapshot: [(Stage, Double)] { Stage.allCases.enumerated().map { ($0.element, totals[$0.offset]) } }

    @inlinable public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}
