import Dispatch

/// Splits independent work (channels, rows) across threads for the kernels that do not go
/// through BLAS. `Parallel.threads` = 1 runs everything inline (used when several tiles
/// are already in flight, so tile workers and kernels don't oversubscribe the cores).
public enum Parallel {
    nonisolated(unsafe) public static var threads: Int = defaultThreads

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
