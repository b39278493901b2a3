/// What the process is given: environment variables and the number of cores.
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
