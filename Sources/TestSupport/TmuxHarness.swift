import Foundation
import TerminalUI

/// Runs a command in a private tmux server and looks at what it draws: the end-to-end
/// harness for anything that writes to a terminal (tested with tmux 3.3a).
///
/// - a private socket (`-L ram-test-<pid>-<n>`) and `-f /dev/null`, so the user's tmux
///   server and configuration are never touched;
/// - `default-terminal tmux-direct` (when the terminfo entry exists) and `escape-time 0`
///   are set in the same invocation that creates the first pane, because they only apply
///   to panes created afterwards; `remain-on-exit` keeps the pane after the command exits
///   so its exit status and the terminal modes it left behind can be inspected;
/// - the pane gets `LANG=C.UTF-8` and `ESCDELAY=25`;
/// - `capture()` parses `capture-pane -p -e` with `VirtualScreen`, which keeps the SGR
///   state across line breaks as tmux's capture requires.
///
/// Shared by the TerminalUI and Viewer end-to-end tests. Tests that use it are skipped, with a message, where tmux is not installed.
public final class TmuxHarness {
    public static let tmuxPath: String? = ["/usr/bin/tmux", "/usr/local/bin/tmux", "/opt/homebrew/bin/tmux"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }
    public static var isAvailable: Bool { tmuxPath != nil }
    public static let hasTmuxDirect =
        FileManager.default.fileExists(atPath: "/usr/share/terminfo/t/tmux-direct")
        || FileManager.default.fileExists(atPath: "/lib/terminfo/t/tmux-direct")

    private static let counter = Counter()
    public let socket: String
    public let size: TerminalSize
    public private(set) var isRunning = true
    /// What the last `waitForExit` poll saw (for failure messages).
    public private(set) var lastExitProbe = ""

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Starts `command` (run by `sh -c`) in a detached cols × rows session named `app`.
    public init(command: String, cols: Int = 120, rows: Int = 40, environment: [String: String] = [:]) throws {
        guard Self.isAvailable else { throw Failure(description: "tmux is not installed") }
        socket = "ram-test-\(getpid())-\(Self.counter.next())"
        size = TerminalSize(cols: cols, rows: rows)
        var args = ["start-server", ";"]
        if Self.hasTmuxDirect { args += ["set", "-g", "default-terminal", "tmux-direct", ";"] }
        args += ["set", "-g", "escape-time", "0", ";", "set", "-g", "remain-on-exit", "on", ";"]
        args += ["new-session", "-d", "-s", "app", "-x", "\(cols)", "-y", "\(rows)", "-e", "LANG=C.UTF-8", "-e", "ESCDELAY=25"]
        for (k, v) in environment.sorted(by: { $0.key < $1.key }) { args += ["-e", "\(k)=\(v)"] }
        args.append(command)
        let r = try tmux(args)
        guard r.status == 0 else { throw Failure(description: "tmux new-session failed (\(r.status)): \(r.output)") }
    }

    deinit { kill() }

    /// Sends tmux key names: "Right", "Escape", "F1", "C-l", "q", …
    public func sendKeys(_ keys: String...) throws {
        _ = try tmux(["send-keys", "-t", "app"] + keys)
    }

    public func sendLiteral(_ text: String) throws {
        _ = try tmux(["send-keys", "-t", "app", "-l", text])
    }

    public func resize(cols: Int, rows: Int) throws {
        _ = try tmux(["resize-window", "-t", "app", "-x", "\(cols)", "-y", "\(rows)"])
    }

    /// A tmux format evaluated for the pane, e.g. "#{pane_dead_status}", "#{alternate_on}".
    public func display(_ format: String) throws -> String {
        try tmux(["display-message", "-p", "-t", "app", format]).output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The pane's text, one string per row (trailing blanks trimmed by tmux).
    public func captureText() throws -> [String] {
        try tmux(["capture-pane", "-p", "-t", "app"]).output.components(separatedBy: "\n").dropLast().map { $0 }
    }

    /// The pane as cells with colours, from `capture-pane -p -e`.
    public func capture() throws -> CellBuffer {
        let pane = try display("#{pane_width} #{pane_height}").split(separator: " ").compactMap { Int($0) }
        let (w, h) = pane.count == 2 ? (pane[0], pane[1]) : (size.cols, size.rows)
        var screen = VirtualScreen(width: w, height: h)
        screen.feed(try tmux(["capture-pane", "-p", "-e", "-t", "app"]).outputBytes)
        return screen.buffer
    }

    /// Polls the plain capture until `text` appears (true) or `timeout` seconds pass (false).
    /// Draw the marker last in a frame, so that finding it means the frame is complete.
    @discardableResult
    public func waitFor(_ text: String, timeout: Double = 10) throws -> Bool {
        try waitUntil(timeout: timeout) { try self.captureText().contains { $0.contains(text) } }
    }

    /// Polls until the pane's command has exited. Returns its exit status ("3"), "signal N"
    /// when a signal killed it, "unknown" when tmux marked the pane dead but never reported a
    /// status, and nil if it is still running at the timeout.
    ///
    /// tmux marks a pane dead at EOF on the pty and records the status when it reaps the
    /// child; under load tmux 3.3a sometimes never records it (2 of 40 parallel runs of a
    /// plain `tmux … "sleep 0.2; exit 3"` here). Where the status matters, run the command as
    /// `cmd; echo EXITED=$?; sleep 60` and `waitFor("EXITED=3")` instead.
    public func waitForExit(timeout: Double = 10) throws -> String? {
        var result: String?
        var deadSince: Date?
        _ = try waitUntil(timeout: timeout) {
            self.lastExitProbe = try self.display("#{pane_dead}|#{pane_dead_status}|#{pane_dead_signal}")
            let s = self.lastExitProbe.split(separator: "|", omittingEmptySubsequences: false)
            guard s.count == 3, s[0] == "1" else { return false }
            if !s[1].isEmpty {
                result = String(s[1])
            } else if !s[2].isEmpty {
                result = "signal \(s[2])"
            } else if let since = deadSince, Date().timeIntervalSince(since) > 2 {
                result = "unknown"
            } else if deadSince == nil {
                deadSince = Date()
            }
            return result != nil
        }
        return result
    }

    private func waitUntil(timeout: Double, _ done: () throws -> Bool) throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try done() { return true }
            usleep(50_000)
        }
        return try done()
    }

    /// Kills the private server (and with it the command). Safe to call twice.
    public func kill() {
        guard isRunning else { return }
        isRunning = false
        _ = try? tmux(["kill-server"])
    }

    public struct Run {
        public var status: Int32
        public var outputBytes: [UInt8]
        public var output: String { String(decoding: outputBytes, as: UTF8.self) }
    }

    /// Runs tmux to completion. Spawned with posix_spawn rather than Foundation's Process for
    /// two reasons measured here: Process passes on the test runner's blocked signal mask
    /// (the tmux server then ignored kill-server and the pane ignored SIGTERM), and reading a
    /// pipe to EOF hung because the forked server could keep a copy of its write end. So the
    /// child gets an empty mask and default dispositions, and writes to a temporary file.
    @discardableResult
    private func tmux(_ args: [String]) throws -> Run {
        let outPath = NSTemporaryDirectory() + "\(socket)-\(UUID().uuidString).out"
        defer { unlink(outPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var none = sigset_t()
        sigemptyset(&none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attr, &none)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var env = ProcessInfo.processInfo.environment
        env["TMUX"] = nil  // allow running the tests from inside a tmux session
        let argv = ([Self.tmuxPath!, "-L", socket, "-f", "/dev/null"] + args).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, Self.tmuxPath!, &actions, &attr, argv, envp)
        guard rc == 0 else { throw Failure(description: "cannot run tmux: \(String(cString: strerror(rc)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let output = (try? Data(contentsOf: URL(fileURLWithPath: outPath))) ?? Data()
        let exited = status & 0x7F == 0
        return Run(status: exited ? (status >> 8) & 0xFF : 128 + (status & 0x7F), outputBytes: [UInt8](output))
    }

    private final class Counter: @unchecked Sendable {
        private var n = 0
        private let lock = NSLock()
        func next() -> Int {
            lock.lock()
            defer { lock.unlock() }
            n += 1
            return n
        }
    }
}
