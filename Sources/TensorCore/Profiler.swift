import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Wall-clock totals per stage and per product shape, and the floating-point operations of the
/// measured kernels, for `ram bench`. One per `ExecutionContext`: workers that run side by side
/// each record into their own (`ExecutionContext.worker()`), merged when they finish; the lock
/// only makes a shared one safe, it is not contended.
public final class Profiler: @unchecked Sendable {
    public enum Stage: String, CaseIterable, Sendable {
        case convolution = "convolutions (1x1, 3x3)"
        case depthwise = "depthwise 3x3/7x7 (+ fused FFN GELU gate)"
        case attention = "channel attention"
        case norm = "norms (LayerNorm, BatchNorm, stats)"
        case elementwise = "elementwise (sigmoid gates, copies)"
        case fusedFFN = "FFN fused (LayerNorm, 1x1, depthwise 3x3, GELU gate, 1x1)"
    }

    /// Totals of one product shape ("1x1 224x56, N 65536").
    public struct ShapeTotal: Sendable, Equatable {
        public var seconds: Double = 0
        public var flops: Double = 0
        public var calls: Int = 0
    }

    /// Whether products are also recorded per shape (`ram bench shapes`).
    public let byShape: Bool
    private let lock = NSLock()
    private var stageSeconds = [Double](repeating: 0, count: Stage.allCases.count)
    private var shapeTotals: [String: ShapeTotal] = [:]
    private var flopCount: Double = 0

    public init(byShape: Bool = false) { self.byShape = byShape }

    @usableFromInline
    func add(_ stage: Stage, _ seconds: Double, flops: Double = 0, shape: String? = nil) {
        lock.lock()
        defer { lock.unlock() }
        stageSeconds[stage.index] += seconds
        flopCount += flops
        if let shape {
            shapeTotals[shape, default: ShapeTotal()].seconds += seconds
            shapeTotals[shape, default: ShapeTotal()].flops += flops
            shapeTotals[shape, default: ShapeTotal()].calls += 1
        }
    }

    @usableFromInline
    func count(flops: Double) {
        lock.lock()
        flopCount += flops
        lock.unlock()
    }

    /// Adds another profiler's totals (a worker's, when it has finished).
    public func add(_ other: Profiler) {
        let (s, f, sh) = other.contents
        lock.lock()
        defer { lock.unlock() }
        for i in stageSeconds.indices { stageSeconds[i] += s[i] }
        flopCount += f
        for (k, v) in sh {
            shapeTotals[k, default: ShapeTotal()].seconds += v.seconds
            shapeTotals[k, default: ShapeTotal()].flops += v.flops
            shapeTotals[k, default: ShapeTotal()].calls += v.calls
        }
    }

    private var contents: ([Double], Double, [String: ShapeTotal]) {
        lock.lock()
        defer { lock.unlock() }
        return (stageSeconds, flopCount, shapeTotals)
    }

    /// Seconds per stage, in `Stage.allCases` order.
    public var stages: [(stage: Stage, seconds: Double)] {
        let s = contents.0
        return Stage.allCases.map { ($0, s[$0.index]) }
    }

    /// Floating-point operations (2 per multiply-add) of the measured kernels.
    public var flops: Double { contents.1 }

    /// Per product shape (recorded when `byShape`).
    public var shapes: [String: ShapeTotal] { contents.2 }

    @inlinable public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}

extension Profiler.Stage {
    var index: Int { Profiler.Stage.allCases.firstIndex(of: self)! }
}
