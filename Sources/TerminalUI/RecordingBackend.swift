/// An in-memory terminal for tests: a fixed size, a script of input events, and a record
/// of everything written. The bytes are also replayed on a `VirtualScreen`, so a test can
/// assert on what the user would see (`screen`) rather than on escape sequences, the way
/// bubbletea's headless tests compare final output.
public final class RecordingBackend: TerminalBackend {
    public private(set) var size: TerminalSize
    /// Every `write`, in order.
    public private(set) var writes: [[UInt8]] = []
    /// What the terminal shows after all writes so far.
    public private(set) var virtualScreen: VirtualScreen
    public private(set) var isEntered = false
    public private(set) var enterCount = 0
    public private(set) var leaveCount = 0
    /// Events handed out by `readEvent`, first first.
    public var pendingEvents: [InputEvent]
    public var terminfoHasRGB: Bool?

    public init(cols: Int, rows: Int, events: [InputEvent] = [], terminfoHasRGB: Bool? = nil) {
        size = TerminalSize(cols: cols, rows: rows)
        virtualScreen = VirtualScreen(width: cols, height: rows)
        pendingEvents = events
        self.terminfoHasRGB = terminfoHasRGB
    }

    /// All bytes written, concatenated.
    public var bytes: [UInt8] { writes.flatMap { $0 } }
    /// The bytes of the most recent write (one frame, when driven by `Terminal.draw`).
    public var lastWrite: [UInt8] { writes.last ?? [] }
    /// The visible screen after the last frame.
    public var screen: CellBuffer { virtualScreen.buffer }

    public func write(_ bytes: [UInt8]) {
        writes.append(bytes)
        virtualScreen.feed(bytes)
    }

    /// Pops the next scripted event; nil when the script is exhausted (like a timeout).
    public func readEvent(timeoutMs: Int) -> InputEvent? {
        guard !pendingEvents.isEmpty else { return nil }
        let event = pendingEvents.removeFirst()
        if case let .resize(cols, rows) = event { resize(cols: cols, rows: rows) }
        return event
    }

    /// Changes the size as a window resize would: the screen is cleared (as tmux does when
    /// it reflows), so a renderer that does not repaint in full shows holes.
    public func resize(cols: Int, rows: Int) {
        size = TerminalSize(cols: cols, rows: rows)
        virtualScreen = VirtualScreen(width: cols, height: rows)
    }

    public func enter() throws {
        isEntered = true
        enterCount += 1
    }

    public func leave() {
        guard isEntered else { return }
        isEntered = false
        leaveCount += 1
    }
}
