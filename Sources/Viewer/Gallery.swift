import Imaging

/// "3/20": where the shown image is in the list `ram view A B dir/` opened.
public struct ListPosition: Hashable, Sendable {
    /// From 0.
    public var index: Int
    public var count: Int
    /// Other images whose jobs are running in the background (indices), for the status line.
    public var busy: [Int] = []

    public init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    public var text: String { "\(index + 1)/\(count)" }

    /// "busy: 2/20" when other images are computing, else nil.
    public var busyText: String? {
        busy.isEmpty ? nil : "busy: " + busy.map { "\($0 + 1)/\(count)" }.joined(separator: " ")
    }
}

/// One image of the list, read and named, as the viewer opens it (`Effect.loadImage` posts it).
public struct GalleryImage: Sendable {
    public var input: RGBImage
    public var reference: RGBImage?
    /// "photo.jpg", "photo.jpg + noise:25".
    public var inputName: String
    public var referenceName: String?
    /// Set when the viewer degraded the image itself (`--degrade`): `d`/`D` change it.
    public var onTheFly: OnTheFlyDegradation?
    /// How the restorer restores an image of this size, and the steps it reports.
    public var restorePlan: String?
    public var restoreSteps: Int?

    public init(
        input: RGBImage, reference: RGBImage? = nil, inputName: String, referenceName: String? = nil,
        onTheFly: OnTheFlyDegradation? = nil, restorePlan: String? = nil, restoreSteps: Int? = nil
    ) {
        self.input = input
        self.reference = reference
        self.inputName = inputName
        self.referenceName = referenceName
        self.onTheFly = onTheFly
        self.restorePlan = restorePlan
        self.restoreSteps = restoreSteps
    }
}

/// Why an image of the list could not be read (one line, for the status line).
public struct ImageReadFailure: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }

    /// The error's one line without a leading "cannot read PATH: " (the status line names the file).
    public init(_ error: Error, path: String) {
        var message = "\(error)"
        let prefix = "cannot read \(path): "
        if message.hasPrefix(prefix) { message.removeFirst(prefix.count) }
        self.message = message
    }
    public var description: String { message }
}

/// The images of `ram view A B dir/`: the one shown (`current`, a whole `ViewerState` that
/// `update` drives as with a single image) and, for the others, the state they had when they
/// were last shown, so going back is instant for whatever was computed. Images are read when
/// first reached (`Effect.loadImage`); one that cannot be read leaves a status line and is
/// passed over from then on.
///
/// Results of background jobs carry their job id (or, for the input's scores, the input's
/// version); `update` hands each to the image whose state owns that id, parked or shown, so a
/// tile of image 2 arriving while image 5 is shown is pasted into image 2's preview.
///
/// What is kept: the shown image, plus at most `keptImages` − 1 others, most recently shown
/// first, while their images, previews, grid cells and taps (`ViewerState.approximateBytes`)
/// fit in `memoryBudget`; a state beyond that is dropped (its jobs cancelled) and read again
/// when reached. Jobs of the most recently left `backgroundJobImages` images keep running; an
/// older image's running jobs are cancelled and start again when it is shown.
///
/// Shared by all images (they follow the user): the view, compare/feature/error settings,
/// the panel, the status line, the output directory, and the id counter (ids are unique
/// across images). Per image: everything else, the viewport included.
public struct Gallery: Equatable {
    public struct Entry: Equatable {
        public var path: String
        /// The file's name, for the status line before it is read.
        public var name: String
        /// The image's state while another is shown (nil: shown, not read yet, or dropped).
        public var parked: ViewerState?
        /// Why the file could not be read (passed over from then on).
        public var failure: String?
        /// Jobs cancelled when the image went to the background, started again when shown.
        public var paused: Set<JobKind> = []
        /// When the image was last shown (a counter): the most recent are kept.
        var lastShown = 0

        public init(path: String, name: String) {
            self.path = path
            self.name = name
        }
    }

    /// An image being read to be shown.
    public struct Loading: Equatable {
        public var id: JobID
        public var index: Int
    }

    public var current: ViewerState
    public private(set) var index: Int
    public private(set) var entries: [Entry]
    public private(set) var loading: Loading?
    private var clock = 0

    public var keptImages = 6
    public var memoryBudget = 1 << 30
    public var backgroundJobImages = 1

    /// One image (no list): keys for the next image say so.
    public init(_ state: ViewerState) {
        current = state
        index = 0
        entries = [Entry(path: state.info.inputName, name: state.info.inputName)]
    }

    /// `paths` in order; `state` is the image at `index`, already read; `failures` are files
    /// already known to be unreadable (by index), reported by the status line at the start.
    public init(_ state: ViewerState, paths: [String], index: Int, failures: [Int: String] = [:]) {
        precondition(paths.indices.contains(index), "the shown image must be one of the paths")
        current = state
        self.index = index
        entries = paths.map { Entry(path: $0, name: Self.fileName($0)) }
        for (i, message) in failures where entries.indices.contains(i) { entries[i].failure = message }
        if paths.count > 1 { current.info.position = ListPosition(index: index, count: paths.count) }
    }

    public var count: Int { entries.count }

    /// "3/20 photo.jpg" for the image at `i`.
    public func label(_ i: Int) -> String { "\(i + 1)/\(count) \(entries[i].name)" }

    // MARK: - Update

    /// The list's reducer: next/previous-image keys and read images are handled here; every
    /// other message goes to the state of the image it belongs to (the shown one unless it
    /// is a result of a parked image's job).
    public mutating func update(_ message: Message) -> [Effect] {
        let effects = route(message)
        if count > 1 {
            let busy = entries.indices.filter { i in entries[i].parked.map { !$0.jobs.running.isEmpty } ?? false }
            if current.info.position?.busy != busy { current.info.position?.busy = busy }
        }
        return effects
    }

    private mutating func route(_ message: Message) -> [Effect] {
        switch message {
        case .start:
            let effects = Viewer.update(&current, message)
            let failed = entries.indices.filter { entries[$0].failure != nil }
            if let first = failed.first {
                current.status =
                    "could not read \(label(first)): \(entries[first].failure!)"
                    + (failed.count > 1 ? " (and \(failed.count - 1) more)" : "")
            }
            return effects
        case .key(let key) where !current.showHelp && count > 1:
            if case .nextImage(let d)? = KeyBindings.action(for: key, in: current.mode) {
                current.status = ""
                return step(d)
            }
            return Viewer.update(&current, message)
        case .imageRead(let id, let result):
            return imageRead(id, result)
        default:
            if let i = parkedOwner(of: message) { return updateParked(i, message) }
            return Viewer.update(&current, message)
        }
    }

    /// The parked image whose state owns the job (or input version) a message is about.
    func parkedOwner(of message: Message) -> Int? {
        let owns: (ViewerState) -> Bool
        if case .inputScored(_, let version) = message {
            owns = { $0.input.version == version }
        } else if let id = message.jobID {
            owns = { $0.owns(job: id) }
        } else {
            return nil
        }
        if owns(current) { return nil }
        return entries.indices.first { i in entries[i].parked.map(owns) ?? false }
    }

    /// Applies a result to a parked image's state, as if it were shown (the id counter stays
    /// shared; the status line is the shown image's).
    private mutating func updateParked(_ i: Int, _ message: Message) -> [Effect] {
        guard var state = entries[i].parked else { return [] }
        entries[i].parked = nil  // one owner of the pixels while tiles are pasted
        state.nextID = current.nextID
        let effects = Viewer.update(&state, message)
        current.nextID = state.nextID
        entries[i].parked = state
        return effects
    }

    // MARK: - Switching

    /// The next image in direction `d` (wrapping), passing over unreadable ones; from the one
    /// being read, if any, so that repeated keys keep stepping.
    private mutating func step(_ d: Int) -> [Effect] {
        let from = loading?.index ?? index
        var j = from
        repeat {
            j = (j + d + count) % count
        } while entries[j].failure != nil && j != from
        if j == index {
            if loading != nil {
                loading = nil  // back to the shown one: the read in flight is dropped
                current.status = "staying on \(label(index))"
            } else {
                current.status = "no other image of the \(count) could be read"
            }
            return []
        }
        return show(j)
    }

    /// Shows image `j`: at once when its state is kept, else after reading it.
    mutating func show(_ j: Int) -> [Effect] {
        if entries[j].parked != nil {
            loading = nil
            return switchTo(j)
        }
        let id = current.nextVersion()
        loading = Loading(id: id, index: j)
        current.status = "reading \(label(j))…"
        return [.loadImage(id, path: entries[j].path)]
    }

    private mutating func imageRead(_ id: JobID, _ result: Result<GalleryImage, ImageReadFailure>) -> [Effect] {
        guard let l = loading, l.id == id else { return [] }  // superseded by another key
        loading = nil
        switch result {
        case .failure(let failure):
            entries[l.index].failure = failure.message
            current.status = "could not read \(label(l.index)): \(failure.message)"
            return []
        case .success(let image):
            var info = current.info
            info.inputName = image.inputName
            info.referenceName = image.referenceName
            info.restorePlan = image.restorePlan
            info.restoreSteps = image.restoreSteps
            var state = ViewerState(
                info: info, input: image.input, reference: image.reference, blocks: current.blocks, size: current.size)
            // Versions unique across images: the render cache and the owner of the input's
            // scores are found by them.
            state.input = Versioned(image.input, version: current.nextVersion())
            if let reference = image.reference { state.reference = Versioned(reference, version: current.nextVersion()) }
            state.onTheFly = image.onTheFly
            var effects = park()
            enter(&state, at: l.index)
            effects += Viewer.update(&current, .start)
            effects += Viewer.apply(&current, .show(current.mode))
            return effects
        }
    }

    private mutating func switchTo(_ j: Int) -> [Effect] {
        guard var state = entries[j].parked else { return [] }
        entries[j].parked = nil
        let paused = entries[j].paused
        entries[j].paused = []
        var effects = park()
        enter(&state, at: j)
        current.status = label(j)
        if paused.contains(.restore) || paused.contains(.restoreB) {
            effects += startRestore(&current)
            current.status = "\(label(j)): restoring again (stopped while other images were shown)"
        }
        if paused.contains(.grid) { current.jobs.grid = nil }  // the grid view starts it again
        if paused.contains(.perTile) { current.jobs.perTile = nil }
        effects += Viewer.apply(&current, .show(current.mode))
        return effects
    }

    /// Makes `state` (image `j`) the shown one, with the settings that follow the user.
    private mutating func enter(_ state: inout ViewerState, at j: Int) {
        let old = current
        state.mode = old.mode
        state.compare = old.compare
        state.features = old.features
        state.errorMap = old.errorMap
        if state.errorMap.kind.needsReference && !state.hasReference { state.errorMap.kind = .restoredVsInput }
        state.size = old.size
        state.panelVisible = old.panelVisible
        state.showHelp = false
        state.mouseDrag = nil
        state.saveDirectory = old.saveDirectory
        state.status = old.status
        state.nextID = old.nextID
        state.quitRequested = old.quitRequested
        state.exitStatus = old.exitStatus
        state.info.position = ListPosition(index: j, count: count)
        state.info.position?.busy = old.info.position?.busy ?? []
        current = state
        index = j
        clock += 1
        entries[j].lastShown = clock
    }

    /// Parks the shown image and enforces the bounds on kept states and background jobs.
    private mutating func park() -> [Effect] {
        var state = current
        // A feature pass still queued may be dropped from the runner's queue by a newer request
        // (of another image): forget the job, so that coming back asks again (its taps still
        // land if it does run: `featureRequests` holds them). A pass that has begun finishes.
        if let job = state.jobs.features, job.isRunning, !job.started { state.jobs.features = nil }
        clock += 1
        entries[index].lastShown = clock
        entries[index].parked = state
        return bound()
    }

    /// Keeps the most recently shown parked states within `keptImages` and `memoryBudget` and
    /// lets the jobs of at most `backgroundJobImages` of them run.
    private mutating func bound() -> [Effect] {
        var effects: [Effect] = []
        let parked = entries.indices.filter { entries[$0].parked != nil }
            .sorted { entries[$0].lastShown > entries[$1].lastShown }
        var kept = 1, bytes = 0, running = 0
        for i in parked {
            guard var state = entries[i].parked else { continue }
            let size = state.approximateBytes
            if kept < keptImages && bytes + size <= memoryBudget {
                kept += 1
                bytes += size
                if !Self.runningKinds(state).isEmpty {
                    running += 1
                    if running > backgroundJobImages {
                        let kinds = Self.runningKinds(state)
                        effects += Self.cancelRunning(&state)
                        entries[i].paused.formUnion(kinds)
                        entries[i].parked = state
                    }
                }
            } else {
                effects += Self.cancelRunning(&state)
                entries[i].parked = nil
                entries[i].paused = []
            }
        }
        return effects
    }

    /// The kinds of job a parked image has running and that can be stopped (a feature pass
    /// cannot: it finishes and its taps are kept).
    static func runningKinds(_ state: ViewerState) -> Set<JobKind> {
        Set(state.jobs.running.map(\.kind).filter { $0 != .features })
    }

    static func cancelRunning(_ state: inout ViewerState) -> [Effect] {
        var effects: [Effect] = []
        for kind in runningKinds(state) {
            guard let job = state.jobs[kind] else { continue }
            state.jobs[kind]?.phase = .cancelled
            effects.append(.cancel(job.id))
        }
        return effects
    }

    static func fileName(_ path: String) -> String {
        var p = Substring(path)
        while p.count > 1 && p.hasSuffix("/") { p = p.dropLast() }
        return p.split(separator: "/").last.map(String.init) ?? path
    }
}

extension Message {
    /// The job whose result this is (nil for input, the clock and other events). Exhaustive on
    /// purpose: a new result must say which job, so that `Gallery` can route it to its image.
    var jobID: JobID? {
        switch self {
        case .restoreProgress(let id, _), .restoreFinished(let id, _, _, _, _), .featuresStarted(let id),
            .featuresReady(let id, _), .gridCellReady(let id, _, _), .gridFinished(let id, _), .degraded(let id, _, _),
            .jobCancelled(let id), .jobFailed(let id, _), .imageRead(let id, _):
            return id
        case .start, .key, .mouse, .resize, .tick, .inputScored, .saved, .saveFailed:
            return nil
        }
    }
}

extension ViewerState {
    /// Whether a job id is one of this image's: a job of any kind, a feature request, a
    /// re-degradation.
    public func owns(job id: JobID) -> Bool {
        jobs.all.contains { $0.id == id } || featureRequests[id] != nil || degradeJob == id
    }

    /// Bytes held by the images, previews, grid cells and taps (what keeping the state costs).
    public var approximateBytes: Int {
        var seen = Set<Int>()
        var floats = 0
        for image in [input, reference, restored, restoredB, firstPaint, perTile] {
            guard let image, seen.insert(image.version).inserted else { continue }
            floats += image.value.pixels.count
        }
        for cell in grid.compactMap({ $0?.value }) {
            floats += cell.degraded.pixels.count + (cell.restored?.pixels.count ?? 0)
        }
        for data in featureData {
            floats += data.value.taps.values.reduce(0) { $0 + $1.data.count }
        }
        return floats * MemoryLayout<Float>.size
    }
}
