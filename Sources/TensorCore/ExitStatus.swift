/// How a failure ends a command: the status (sysexits.h) `ram` exits with, as `ram --help`
/// and the README document them.
public enum ExitStatus: Int32, Sendable {
    case ok = 0
    /// Bad option, unknown degradation, overlap ≥ tile.
    case usage = 64
    /// Corrupt or unsupported image, corrupt weights, image over the size limit.
    case dataError = 65
    /// An input file that does not exist.
    case noInput = 66
    case software = 70
    /// The output cannot be written (exists without --force, is an input, directory missing or not writable).
    case cantCreate = 73
    /// C-c in the viewer, or the INT signal.
    case interrupted = 130
}

/// An error that knows how it ends a command: every error type the libraries and the command
/// line throw conforms, so the status is chosen where the error is defined, never from its text.
public protocol ExitStatusError: Error, CustomStringConvertible {
    var exitStatus: ExitStatus { get }
}
