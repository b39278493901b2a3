import ArgumentParser
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

@main
struct RAMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ram",
        abstract: "Run and inspect RAM, the all-in-one image restoration network, on the CPU.",
        discussion: """
            With no subcommand, opens the viewer on the bundled sample (a demo).
            Exit status: 0 ok, 64 usage error, 65 bad input data, 66 input missing,
            70 internal error, 73 cannot write output, 130 interrupted.
            """,
        subcommands: [
            View.self, Restore.self, Degrade.self, Eval.self, Features.self, Diff.self, Info.self, Bench.self,
        ],
        defaultSubcommand: View.self
    )

    /// ArgumentParser's own `main`, with errors in the project's one style: a single line
    /// "ram: error: …" on stderr (no usage dump; `--help` has it) and the status it assigns
    /// (64 for usage errors); help requests print the help and exit 0.
    static func main() {
        #if canImport(Glibc)
            // glibc raises its mmap threshold each time a large block is freed; from then on the
            // restoration's per-tile buffers come from per-thread arenas that keep their pages,
            // and the peak RSS of a streamed restore grows by a few hundred MB beyond what it
            // holds (2048×1536, ram-small: 1.50 GB with the default, 1.30 GB with this).
            // mallopt is declared in malloc.h, which the Glibc module does not export.
            typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
            let mmapThreshold: Int32 = -3  // M_MMAP_THRESHOLD
            if let f = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") {
                _ = unsafeBitCast(f, to: Mallopt.self)(mmapThreshold, 1 << 20)
            }
        #endif
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            let lines = message(for: error).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty && !$0.hasPrefix("Usage:") && !$0.hasPrefix("See '") }
            if !lines.isEmpty {
                var text = lines.joined(separator: "; ")
                if text.hasPrefix("Error: ") { text.removeFirst("Error: ".count) }
                FileHandle.standardError.write(Data("ram: error: \(text)\n".utf8))
            }
            Foundation.exit(code.rawValue)
        }
    }
}
