// The viewer in one page (bubbletea's architecture, ratatui's rendering):
//
//   ViewerState      everything on screen; images and taps are Versioned (cheap ==)
//   Message          key, resize, tick, and results of jobs tagged with their JobID
//   update()         (state, message) -> [Effect], pure; drops results of stale jobs
//   Gallery          several images: the shown state, the others parked; routes results
//   Effect           restore, computeFeatures, computeGrid, scoreInput, cancel, redraw, quit
//   EffectRunner     runs jobs on background threads; posts Messages to a MessageQueue
//   Screen.draw      state -> CellBuffer (header, view, side panel, status line, help);
//                    RenderCache keeps encoded half-block images and coloured maps
//   ViewerApp.run    the loop below: poll input (25 ms), drain messages, update, run
//                    effects, draw when the state changed (Terminal diffs the frames)
//
// Life of a restoration: `.start` → update starts job n (the preview becomes the dimmed
// input) → Effect.restore(n) → the runner's thread calls Restorer.restore, posting
// .restoreProgress(n, tile) per tile → update pastes the tile into the preview (a new
// version, so the next frame re-encodes it) → .restoreFinished(n, image, scores). A key
// that cancels or restarts marks job n cancelled in the state first, so anything it
// still posts is dropped.

import Foundation
import Imaging
import RAMModel
import TerminalUI

/// What the viewer opens: the images, what to call them, and the restorer to run.
public struct ViewerConfiguration {
    public var input: RGBImage
    public var reference: RGBImage?
    public var info: SessionInfo
    public var blocks: [BlockInfo]
    public var restorer: Restorer
    /// `--color`; nil detects (COLORTERM, terminfo RGB, TERM).
    public var colorOverride: ColorMode?
    /// When set, each key's key-to-frame latency is appended to this file.
    public var latencyLog: String?
    /// Where `w` writes the view (`--out-dir`; default: the current directory).
    public var outputDirectory = "."
    /// The degradation applied on the fly, when the reference is the clean image it was
    /// applied to (`d`/`D` change it).
    public var onTheFly: OnTheFlyDegradation?
    /// The second model (`--compare`): its restorer; its name is in `info.secondModelName`.
    public var restorerB: Restorer?
    /// Mouse reports on (`--no-mouse` turns them off).
    public var mouse = true
    /// Several images (`ram view A B dir/`): `input` is one of them; the others are read when
    /// reached. Nil: one image.
    public var list: ImageList?

    public init(
        input: RGBImage, reference: RGBImage?, info: SessionInfo, blocks: [BlockInfo], restorer: Restorer,
        colorOverride: ColorMode? = nil, latencyLog: String? = nil
    ) {
        self.input = input
        self.reference = reference
        self.info = info
        self.blocks = blocks
        self.restorer = restorer
        self.colorOverride = colorOverride
        self.latencyLog = latencyLog
    }
}

/// The files `ram view A B dir/` opened and how to read one.
public struct ImageList: Sendable {
    public var paths: [String]
    /// The one `ViewerConfiguration.input` is.
    public var index: Int
    /// Files already found unreadable, by index (reported at the start, passed over).
    public var failures: [Int: String]
    public var read: @Sendable (String) throws -> GalleryImage

    public init(paths: [String], index: Int, failures: [Int: String] = [:], read: @escaping @Sendable (String) throws -> GalleryImage) {
        self.paths = paths
        self.index = index
        self.failures = failures
        self.read = read
    }
}

/// The loop (bubbletea's Program): owns the state; reads input with a short timeout, drains
/// the messages jobs posted, runs `update`, hands effects to the runner, and draws a frame
/// only when the state changed. The terminal is given back on every way out: a normal
/// return or a thrown error here (defer), Ctrl-C (a key in raw mode, so it quits like q),
/// SIGTERM/SIGHUP and crashes (the backend's handlers).
public enum ViewerApp {
    /// How long one input poll waits: the bound on how late a finished tile appears.
    public static let pollMilliseconds = 25

    /// Returns the exit status the program should end with: 0 after q, 130 after C-c.
    @discardableResult
    public static func run(_ config: ViewerConfiguration, backend: TerminalBackend? = nil) throws -> Int32 {
        let backend = backend ?? NcursesBackend(mouse: config.mouse)
        try backend.enter()
        let terminal = Terminal(
            backend: backend, environment: ProcessInfo.processInfo.environment, override: config.colorOverride)
        terminal.invalidate()
        defer { terminal.leave() }

        let queue = MessageQueue()
        let runner = EffectRunner(restorer: config.restorer, restorerB: config.restorerB, post: { queue.post($0) })
        runner.readImage = config.list?.read
        defer { runner.cancelAll() }
        let cache = RenderCache(colorMode: terminal.colorMode)
        var latency = LatencyLog(path: config.latencyLog)
        defer { latency.finish() }

        var state = ViewerState(
            info: config.info, input: config.input, reference: config.reference, blocks: config.blocks,
            size: terminal.size)
        state.saveDirectory = config.outputDirectory
        state.onTheFly = config.onTheFly
        var gallery = config.list.map { Gallery(state, paths: $0.paths, index: $0.index, failures: $0.failures) } ?? Gallery(state)
        var pending = gallery.update(.start)
        var drawn: ViewerState?
        var keyTimes: [(Key, Double)] = []
        let clock = Clock()

        while true {
            // Effects: quit and redraw are the loop's; the rest are jobs.
            var quit = false
            for effect in pending {
                switch effect {
                case .quit: quit = true
                case .redraw:
                    terminal.invalidate()
                    drawn = nil
                default: runner.run(effect)
                }
            }
            pending = []
            if quit { return gallery.current.exitStatus }

            if drawn != gallery.current || drawn == nil {
                let state = gallery.current
                terminal.draw { Screen.draw(state, into: &$0, cache: cache) }
                drawn = state
                let now = clock.now
                for (key, t) in keyTimes {
                    latency.record(key, milliseconds: (now - t) * 1000, frameBytes: terminal.lastFrameBytes)
                }
                keyTimes.removeAll()
            }

            // Input: wait a little for the first event, then take whatever else is queued so
            // a burst of keys (key repeat) costs one frame.
            var messages: [Message] = []
            var event = terminal.readEvent(timeoutMs: pollMilliseconds)
            while let e = event {
                switch e {
                case .key(let k):
                    messages.append(.key(k))
                    keyTimes.append((k, clock.now))
                case .mouse(let m):
                    messages.append(.mouse(m))
                case .resize(let cols, let rows):
                    messages.append(.resize(TerminalSize(cols: cols, rows: rows)))
                    drawn = nil
                }
                event = terminal.readEvent(timeoutMs: 0)
            }
            messages += queue.drain()
            messages.append(.tick(clock.now))
            for m in messages { pending += gallery.update(m) }
            // The backend's size is the truth (a resize can arrive between polls).
            let size = terminal.size
            if size != gallery.current.size { gallery.current.size = size }
            if !keyTimes.isEmpty && drawn == gallery.current {
                // Keys that changed nothing still count as a frame (the screen is current).
                let now = clock.now
                for (key, t) in keyTimes { latency.record(key, milliseconds: (now - t) * 1000, frameBytes: 0) }
                keyTimes.removeAll()
            }
        }
    }
}

/// Monotonic seconds since creation.
struct Clock {
    private let start = DispatchTime.now().uptimeNanoseconds
    var now: Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
}

/// Key-to-frame latency: from the moment the loop read a key to the moment the frame that
/// reflects it was written to the terminal. Appended to a file when asked for
/// (`RAM_VIEW_LATENCY_LOG`), with a summary line at the end.
struct LatencyLog {
    let path: String?
    private(set) var samples: [Double] = []
    private var lines: [String] = []

    init(path: String?) { self.path = path }

    mutating func record(_ key: Key, milliseconds ms: Double, frameBytes: Int) {
        guard path != nil else { return }
        samples.append(ms)
        lines.append(String(format: "key %@ %.2f ms %d bytes", Format.key(key), ms, frameBytes))
        if lines.count >= 16 { flush() }
    }

    mutating func flush() {
        guard let path, !lines.isEmpty else { return }
        let text = lines.joined(separator: "\n") + "\n"
        lines.removeAll()
        if let h = FileHandle(forWritingAtPath: path) {
            h.seekToEndOfFile()
            h.write(Data(text.utf8))
            h.closeFile()
        } else {
            _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        }
    }

    mutating func finish() {
        guard path != nil, !samples.isEmpty else { return }
        let s = samples.sorted()
        func pct(_ p: Double) -> Double { s[min(s.count - 1, Int(p * Double(s.count - 1)))] }
        lines.append(String(format: "summary n=%d median %.2f ms p95 %.2f ms max %.2f ms", s.count, pct(0.5), pct(0.95), s.last!))
        flush()
    }
}
