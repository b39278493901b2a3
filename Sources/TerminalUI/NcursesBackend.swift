import CNcursesw
import Glibc

/// The real terminal. ncurses owns only the terminal mode and the input: raw (or cbreak)
/// input without echo, keypad decoding of escape sequences into key codes, ESCDELAY, and
/// SIGWINCH → KEY_RESIZE. All drawing is our own escape stream written to fd 1 (see
/// `Renderer`); no ncurses drawing function is ever called, so ncurses' model of the screen
/// stays blank and it never repaints over us — except on its first refresh and after a
/// resize, which is why both are forced here before we draw (a `clear()` or resize repaint
/// wipes every cell we drew; measured under tmux 3.3a).
///
/// The terminal must come back usable whatever happens: `leave()` is idempotent; SIGINT,
/// SIGTERM and SIGHUP restore it and exit with 128 + signo; crashes (SIGSEGV, SIGILL from a
/// Swift trap, SIGABRT, …) restore it and then let the previous handler (the Swift
/// backtracer, or the default) run; and an `atexit` hook covers `exit()` from anywhere.
/// This is the only file that imports CNcursesw.
public final class NcursesBackend: TerminalBackend {
    public enum InputMode: Sendable {
        /// Every key, including Ctrl-C/Ctrl-Z/Ctrl-\, arrives as an event (ratatui, bubbletea).
        case raw
        /// Ctrl-C raises SIGINT (the handler restores the terminal and exits 130).
        case cbreak
    }

    public let inputMode: InputMode
    /// Mouse reports (button-event tracking, SGR 1006 coordinates) while the terminal is held.
    public let mouse: Bool
    public private(set) var terminfoHasRGB: Bool?
    public private(set) var terminfoColors: Int?
    private var screen: OpaquePointer?
    /// Whether this instance holds the terminal (the process-wide state is in `CursesState`).
    private var entered = false

    public init(inputMode: InputMode = .raw, mouse: Bool = false) {
        self.inputMode = inputMode
        self.mouse = mouse
        assert(CursesKeyCode.up == KEY_UP && CursesKeyCode.pageDown == KEY_NPAGE && CursesKeyCode.resize == KEY_RESIZE)
    }

    deinit { leave() }

    public var size: TerminalSize {
        if CursesState.active { return TerminalSize(cols: Int(cn_cols()), rows: Int(cn_lines())) }
        var rows: Int32 = 0
        var cols: Int32 = 0
        if cn_winsize(1, &rows, &cols) == 0 { return TerminalSize(cols: Int(cols), rows: Int(rows)) }
        return TerminalSize(cols: 80, rows: 24)
    }

    public func enter() throws {
        guard !entered else { return }
        guard !CursesState.active else { throw TerminalError("another NcursesBackend already holds the terminal") }
        guard isatty(0) != 0, isatty(1) != 0 else {
            throw TerminalError(
                "the viewer needs a terminal: stdin and stdout must be a tty (use the CLI subcommands in scripts)")
        }
        if screen == nil {
            // Without a UTF-8 locale ncurses' input side and our status text misbehave.
            setlocale(LC_ALL, "")
            // newterm, unlike initscr, returns nil instead of exiting on an unknown TERM.
            guard let s = newterm(nil, stdout, stdin) else {
                let term = getenv("TERM").map { String(cString: $0) } ?? "(unset)"
                throw TerminalError("cannot initialise the terminal: TERM=\(term) is not in the terminfo database")
            }
            screen = s
            terminfoHasRGB = tigetflag("RGB") > 0
            terminfoColors = Int(tigetnum("colors"))
            // Escape alone is a key in the viewer; ncurses' default wait for a sequence is 1 s.
            if getenv("ESCDELAY") == nil { set_escdelay(25) }
        }
        switch inputMode {
        case .raw: raw()
        case .cbreak: cbreak()
        }
        noecho()
        keypad(cn_stdscr(), true)
        leaveok(cn_stdscr(), true)
        curs_set(0)
        // The first refresh clears the screen (and after endwin, re-enters program mode);
        // it must happen before our first frame or it would wipe it.
        refresh()
        writeAll(StaticString("\u{1B}[?25l"))
        if mouse {
            // Button-event tracking (presses, releases, drags) with SGR 1006 coordinates,
            // which tmux and xterm send whatever terminfo says. ncurses' own mouse support is
            // left off: it merged or dropped events that arrive in one burst (a press and its
            // drag), measured under TERM=xterm-256color. `readEvent` parses the reports.
            writeAll(StaticString("\u{1B}[?1002h\u{1B}[?1006h"))
            CursesState.mouse = true
        }
        CursesState.active = true
        entered = true
        installSignalHandlers()
    }

    public func leave() {
        guard entered else { return }
        entered = false
        guard CursesState.active else { return }
        restoreTerminal()
        removeSignalHandlers()
    }

    public func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { writeAll($0) }
    }

    public func readEvent(timeoutMs: Int) -> InputEvent? {
        guard entered, CursesState.active else { return nil }
        let win = cn_stdscr()
        wtimeout(win, timeoutMs < 0 ? -1 : Int32(min(timeoutMs, Int(Int32.max))))
        var ch: wint_t = 0
        let r = wget_wch(win, &ch)
        if r == ERR { return nil }
        if r == KEY_CODE_YES {
            if Int32(ch) == KEY_RESIZE {
                // ncurses has resized stdscr and would repaint it (blank) on the next
                // wget_wch; let it do so now, before the app's full repaint.
                refresh()
                return .resize(cols: Int(cn_cols()), rows: Int(cn_lines()))
            }
            // Where terminfo's kmous is the SGR prefix (xterm-256color: ESC [ <), ncurses
            // matches it as KEY_MOUSE and leaves the rest of the report in the input.
            if mouse && Int32(ch) == KEY_MOUSE {
                if case .event(let e) = sgrMouseReport(win, prefixRead: true) { return e }
                return nil
            }
            return Key.fromCurses(Int32(ch), isKeyCode: true).map(InputEvent.key)
        }
        if mouse && ch == 27 {
            switch sgrMouseReport(win, prefixRead: false) {
            case .event(let e): return e
            case .ignored: return nil
            case .notMouse: break
            }
        }
        return Key.fromCurses(Int32(bitPattern: ch), isKeyCode: false).map(InputEvent.key)
    }

    /// After an ESC (or ncurses' KEY_MOUSE for "ESC [ <"): the rest of an SGR mouse report
    /// ("[<0;12;5M"), read without waiting; anything else is pushed back so it arrives as keys.
    private enum Report {
        case event(InputEvent)
        /// A well-formed report the viewer has no use for (motion without a button).
        case ignored
        case notMouse
    }

    private func sgrMouseReport(_ win: UnsafeMutablePointer<WINDOW>?, prefixRead: Bool) -> Report {
        wtimeout(win, prefixRead ? 25 : 0)
        var read: [wint_t] = []
        var body = ""
        defer { wtimeout(win, -1) }
        while read.count < 24 {
            var c: wint_t = 0
            guard wget_wch(win, &c) == OK else { break }
            read.append(c)
            let scalar = Unicode.Scalar(UInt32(c)).map(Character.init) ?? "?"
            switch read.count + (prefixRead ? 2 : 0) {
            case 1 where scalar != "[", 2 where scalar != "<": break
            case 1, 2: continue
            default:
                body.append(scalar)
                if scalar == "M" || scalar == "m" {
                    if let e = MouseEvent.parseSGR(body) { return .event(.mouse(e)) }
                    return .ignored  // dropped, not typed
                }
                if scalar.isNumber || scalar == ";" { continue }
            }
            break
        }
        for c in read.reversed() { unget_wch(wchar_t(c)) }
        return .notMouse
    }
}

// MARK: - Restoring the terminal from anywhere

/// The C struct (its name is shared with the function `sigaction`, which confuses Swift in
/// expressions).
private typealias SignalAction = sigaction

/// Process-wide state the signal handlers read. There is one terminal per process.
private enum CursesState {
    nonisolated(unsafe) static var active = false
    nonisolated(unsafe) static var atexitInstalled = false
    nonisolated(unsafe) static var mouse = false
    /// Previous actions, indexed by signal number, restored by `leave()` and by the crash path.
    nonisolated(unsafe) static var saved = [SignalAction](repeating: SignalAction(), count: 65)
    static let terminating: [Int32] = [SIGINT, SIGTERM, SIGHUP]
    static let fatal: [Int32] = [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGABRT]
}

/// endwin + visible cursor + SGR reset. Called from signal handlers, so it allocates nothing.
private func restoreTerminal() {
    guard CursesState.active else { return }
    CursesState.active = false
    if CursesState.mouse {
        CursesState.mouse = false
        writeAll(StaticString("\u{1B}[?1006l\u{1B}[?1002l"))
    }
    curs_set(1)
    endwin()
    writeAll(StaticString("\u{1B}[0m\u{1B}[?25h"))
}

private func writeAll(_ s: StaticString) {
    s.withUTF8Buffer { writeAll(UnsafeRawBufferPointer($0)) }
}

/// write(2) until done; retries on EINTR/EAGAIN (a slow ssh link can take partial writes).
private func writeAll(_ buf: UnsafeRawBufferPointer) {
    guard var p = buf.baseAddress else { return }
    var left = buf.count
    while left > 0 {
        let n = Glibc.write(1, p, left)
        if n < 0 {
            if errno == EINTR || errno == EAGAIN { continue }
            return
        }
        p += n
        left -= n
    }
}

private func installSignalHandlers() {
    // A parent may have started us with these blocked (a test runner did); then neither
    // Ctrl-C in cbreak mode nor `kill` would ever reach the handlers.
    var unblock = sigset_t()
    sigemptyset(&unblock)
    for sig in CursesState.terminating { sigaddset(&unblock, sig) }
    pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
    for sig in CursesState.terminating {
        install(sig) { signo in
            restoreTerminal()
            _exit(128 + signo)
        }
    }
    for sig in CursesState.fatal {
        install(sig) { signo in
            // Restore, put back whoever handled this before us, and return: the faulting
            // instruction runs again (or abort() re-raises) and reaches that handler.
            restoreTerminal()
            _ = withUnsafePointer(to: &CursesState.saved[Int(signo)]) { sigaction(signo, $0, nil) }
        }
    }
    if !CursesState.atexitInstalled {
        CursesState.atexitInstalled = true
        atexit { restoreTerminal() }
    }
}

private func install(_ sig: Int32, _ handler: @convention(c) (Int32) -> Void) {
    var action = SignalAction()
    action.__sigaction_handler.sa_handler = handler
    sigemptyset(&action.sa_mask)
    action.sa_flags = SA_ONSTACK
    sigaction(sig, &action, &CursesState.saved[Int(sig)])
}

private func removeSignalHandlers() {
    for sig in CursesState.terminating + CursesState.fatal {
        _ = withUnsafePointer(to: &CursesState.saved[Int(sig)]) { sigaction(sig, $0, nil) }
    }
}
