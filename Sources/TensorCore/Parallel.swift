import Dispatch
import Foundation

/// Splits independent work (channels, rows) across threads for the kernels that do not go
/// through BLAS. `Parallel.threads` = 1 runs everything inline (used when several tiles
/// are already in flight, so tile workers and kernels don't oversubscribe the cores).
public enum Parallel {
    /// Threads for the kernels: the calling thread's override (see `withThreads`) or the
    /// process-wide setting.
    public static var threads: Int {
        get { (Thread.current.threadDictionary[overrideKey] as? Int) ?? globalThreads }
        set { globalThreads = max(1, newValue) }
    }
    nonisolated(unsafe) static var globalThreads: Int = defaultThreads
    static let overrideKey = "ram.parallel.threads"

    /// Runs body with the kernels limited to `n` threads on this thread only (tile workers use
    /// 1, so several workers don't oversubscribe the cores and never touch global state).
    public static func withThreads<T>(_ n: Int, _ body: () throws -> T) rethrows -> T {
        let d = Thread.current.threadDictionary
        let saved = d[overrideKey]
        d[overrideKey] = max(1, n)
        defer { d[overrideKey] = saved }
        return try body()
    }

    public static var defaultThreads: Int {
        if let s = getenvString("RAM_THREADS"), let n = Int(s), n > 0 { return n }
        return max(1, ProcessInfoLite.activeProcessorCount)
    }

    /// Runs body(i) for i in 0..<count, in chunks over up to `threads` threads.
    @inlinable
    public static func forEach(_ count: Int, minPerThread: Int = 1, _ body: (Int) -> Void) {
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
}

#if canImport(Glibc)
    import Glibc
#endif

@usableFromInline
func getenvString(_ name: String) -> String? {
    guard let p = getenv(name) else { return nil }
    return String(cString: p)
}

@usableFromInline
enum ProcessInfoLite {
    static var activeProcessorCount: Int {
        #if canImport(Glibc)
            return Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #else
            return 1
        #endif
    }
}
