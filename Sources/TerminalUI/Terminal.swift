import TensorCore

/// The terminal's size in cells.
public struct TerminalSize: Hashable, Sendable, CustomStringConvertible {
    public var cols: Int
    public var rows: Int

    public init(cols: Int, rows: Int) {
        self.cols = cols
        self.rows = rows
    }

    public var description: String { "\(cols)x\(rows)" }
}

/// Errors a backend reports when it cannot take over the terminal (a usage error: the
/// command was run where no terminal can be driven).
public struct TerminalError: ExitStatusError {
    public var description: String
    public var exitStatus: ExitStatus { .usage }
    public init(_ description: String) { self.description = description }
}

/// What the renderer needs from a terminal: its size, a byte sink, input, and the mode
/// switch. `NcursesBackend` is the real one; `RecordingBackend` is the in-memory one for
/// tests, so everything above this protocol is tested without a terminal.
public protocol TerminalBackend: AnyObject {
    var size: TerminalSize { get }
    /// Writes escape bytes produced by the renderer, all of them, in order.
    func write(_ bytes: [UInt8])
    /// The next input event, waiting at most `timeoutMs` (0: poll, negative: block).
    func readEvent(timeoutMs: Int) -> InputEvent?
    /// Takes over the terminal (alternate screen, raw input, hidden cursor).
    func enter() throws
    /// Gives the terminal back as it was. Safe to call more than once.
    func leave()
    /// The terminfo `RGB` capability when the backend can read it (nil: unknown).
    var terminfoHasRGB: Bool? { get }
    /// The terminfo `colors` number (-1 when absent, nil when the backend cannot read it).
    var terminfoColors: Int? { get }
}

extension TerminalBackend {
    public var terminfoHasRGB: Bool? { nil }
    public var terminfoColors: Int? { nil }
}

/// Holds a backend and the frame last written to it; `draw` renders the next frame as a diff
/// against that one (ratatui's Terminal). The screen is repainted in full after a resize, on
/// `invalidate()` (Ctrl-L), and on the first frame.
public final class Terminal {
    public let backend: TerminalBackend
    public var colorMode: ColorMode
    /// The frame the terminal is believed to show; nil forces a full repaint.
    public private(set) var previous: CellBuffer?
    /// Bytes written by the most recent `draw` (a cheap performance readout for status lines).
    public private(set) var lastFrameBytes = 0

    public init(backend: TerminalBackend, colorMode: ColorMode) {
        self.backend = backend
        self.colorMode = colorMode
    }

    /// Detects the colour mode from `environment` and the backend's terminfo (see
    /// `ColorMode.detect`); `override` wins when given. Call after `backend.enter()` so the
    /// terminfo flag is known.
    public convenience init(backend: TerminalBackend, environment: [String: String], override: ColorMode? = nil) {
        self.init(
            backend: backend,
            colorMode: ColorMode.detect(
                environment: environment, terminfoRGB: backend.terminfoHasRGB, terminfoColors: backend.terminfoColors,
                override: override))
    }

    public var size: TerminalSize { backend.size }

    /// Takes over the terminal; the next frame is a full repaint (entering clears the screen,
    /// also when coming back from a `leave()`, e.g. after running a shell command).
    public func enter() throws {
        try backend.enter()
        invalidate()
    }

    /// Gives the terminal back; idempotent.
    public func leave() {
        backend.leave()
    }

    /// Builds the next frame at the terminal's current size, writes the difference from the
    /// previous one and remembers it. Returns the frame.
    @discardableResult
    public func draw(_ body: (inout CellBuffer) -> Void) -> CellBuffer {
        let size = backend.size
        var buffer = CellBuffer(width: max(size.cols, 0), height: max(size.rows, 0))
        body(&buffer)
        let bytes = Renderer.diff(previous: previous, next: buffer, mode: colorMode)
        if !bytes.isEmpty { backend.write(bytes) }
        lastFrameBytes = bytes.count
        previous = buffer
        return buffer
    }

    /// Forgets what the screen shows, so the next `draw` repaints everything (Ctrl-L, or after
    /// something else wrote to the terminal).
    public func invalidate() {
        previous = nil
    }

    /// Reads input; a resize also invalidates, since the terminal may have reflowed or
    /// cleared what it showed.
    public func readEvent(timeoutMs: Int) -> InputEvent? {
        let event = backend.readEvent(timeoutMs: timeoutMs)
        if case .resize = event { invalidate() }
        return event
    }
}
