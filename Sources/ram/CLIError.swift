import ArgumentParser
import Foundation
import Imaging
import RAMModel
import TensorCore
import TerminalUI

/// Exit statuses (sysexits.h), documented in the README.
enum Exit: Int32 {
    case ok = 0
    case usage = 64
    case dataError = 65
    case noInput = 66
    case software = 70
    case cantCreate = 73
    case interrupted = 130
}

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

func describe(_ error: Error) -> (String, Exit) {
    switch error {
    case let e as ImagingError:
        if !e.reading { return (e.description, .cantCreate) }
        if case .cannotOpen = e.kind, !FileManager.default.fileExists(atPath: e.path) { return (e.description, .noInput) }
        return (e.description, .dataError)
    case let e as RAMError:
        if case .weights(let m) = e, m.contains("does not exist") { return (m, .noInput) }
        return (e.description, .dataError)
    case let e as Safetensors.Error: return (e.description, .dataError)
    case let e as TilingError: return (e.description, .usage)
    case let e as DegradationParseError: return (e.description, .usage)
    case let e as UsageError: return (e.message, .usage)
    default: return ("\(error)", .software)
    }
}

struct UsageError: Error { let message: String }

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
