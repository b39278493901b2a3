import ArgumentParser
import Foundation
import TensorCore
import TerminalUI

/// Runs a command body, turning library errors into one-line messages and exit codes.
func runMain(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let e as ExitCode {
        throw e
    } catch let e as ValidationError {
        throw e
    } catch {
        let (message, code) = describe(error)
        FileHandle.standardError.write(Data("ram: error: \(message)\n".utf8))
        throw ExitCode(code.rawValue)
    }
}

/// The one-line message and the exit status: each error type carries its own
/// (`ExitStatusError`); anything else is an internal error.
func describe(_ error: Error) -> (String, ExitStatus) {
    if let e = error as? ExitStatusError { return (e.description, e.exitStatus) }
    return ("\(error)", .software)
}

/// A command line that asks for something impossible (exit status 64).
struct UsageError: ExitStatusError {
    let message: String
    var description: String { message }
    var exitStatus: ExitStatus { .usage }
}

/// Progress on stderr when it is a terminal (TerminalUI's `ProgressBar` glyphs); nothing otherwise.
final class StderrProgress {
    let label: String
    let enabled = isatty(2) != 0
    private var last = -1
    init(_ label: String) { self.label = label }

    func update(_ done: Int, _ total: Int) {
        guard enabled, total > 0 else { return }
        let pct = done * 100 / total
        guard pct != last else { return }
        last = pct
        let bar = ProgressBar.glyphs(fraction: Double(done) / Double(total), width: 30, empty: "·").joined()
        FileHandle.standardError.write(Data("\r\(label) \(bar) \(done)/\(total) tiles".utf8))
        if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

func printErr(_ s: String) { FileHandle.standardError.write(Data((s + "\n").utf8)) }
