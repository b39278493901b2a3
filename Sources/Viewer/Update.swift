import Imaging
import RAMModel
import TensorCore
import TerminalUI

/// The viewer's one state transition (bubbletea's Update): applies `message` to `state` and
/// returns what should happen outside. Pure: no I/O, no clock, no threads; results of jobs
/// that are no longer current are dropped here.
public func update(_ state: inout ViewerState, _ message: Message) -> [Effect] {
    switch message {
    case .start:
        return start(&state)
    case .inputScored(let scores, let version):
        guard version == state.input.version else { return [] }
        state.inputScores = scores
        return []
    case .imageRead:
        return []  // `Gallery.update` reads the list's images
    case .key(let key):
        return handleKey(&state, key)
    case .mouse(let event):
        return handleMouse(&state, event)
    case .resize(let size):
        state.size = size
        return []
    case .tick(let now):
        flickerTick(&state, now: now)
        return []
    case .restoreProgress, .restoreFinished:
        return restoreResult(&state, message)
    case .featuresStarted, .featuresReady:
        return featureResult(&state, message)
    case .gridCellReady, .gridFinished:
        return gridResult(&state, message)
    case .degraded(let id, let image, let degradation):
        return degraded(&state, id, image, degradation)
    case .saved(let path, let width, let height, let summary):
        state.status = "saved \(path) (\(width)×\(height): \(summary))"
        return []
    case .saveFailed(let reason):
        state.status = "could not save: \(reason)"
        return []
    case .jobCancelled, .jobFailed:
        jobEnded(&state, message)
        return []
    }
}

// MARK: - Messages by family

/// The first message: scores the input, starts the restoration.
private func start(_ state: inout ViewerState) -> [Effect] {
    var effects: [Effect] = []
    if let reference = state.reference, state.inputScores == nil {
        effects.append(.scoreInput(image: state.input.value, reference: reference.value, inputVersion: state.input.version))
    }
    return effects + startRestore(&state)
}

/// The clock: flips the flicker compare style every `CompareSettings.flickerPeriod`.
private func flickerTick(_ state: inout ViewerState, now: Double) {
    guard state.mode == .compare, state.compare.style == .flicker, !state.compare.flickerPaused else { return }
    if let last = state.compare.lastFlip {
        if now - last >= CompareSettings.flickerPeriod {
            state.compare.showingB.toggle()
            state.compare.lastFlip = now
        }
    } else {
        state.compare.lastFlip = now
    }
}

/// Tiles and results of the restorations: by A, by B (`--weights` twice), and the per-tile
/// one behind |restored − per-tile|. Results of jobs that are not current are dropped.
private func restoreResult(_ state: inout ViewerState, _ message: Message) -> [Effect] {
    switch message {
    case .restoreProgress(let id, let tile) where state.jobs.isCurrent(id, .restoreB):
        state.paint(tile, into: \.restoredPreviewB)
        state.jobs.restoreB?.advance(tile)

    case .restoreProgress(let id, let tile) where state.jobs.isCurrent(id, .restore):
        if tile.stage == .exact, state.jobs.restore?.stage == .firstPaint {
            // The first paint is complete: keep it to compare with the exact result.
            state.firstPaint = state.restored
        }
        state.paint(tile, into: \.restoredPreview)
        state.restoredTiles.append(tile.rect)
        state.jobs.restore?.advance(tile)

    case .restoreFinished(let id, let image, let scores, let seconds, let outcome) where state.jobs.isCurrent(id, .restoreB):
        state.restoredB = Versioned(clipped(image), version: state.nextVersion())
        state.restoredBComplete = true
        state.restoredBScores = scores
        state.jobs.restoreB?.finish(seconds: seconds)
        state.status = "restored by B in \(Format.seconds(seconds))" + Format.guardNote(outcome)

    case .restoreFinished(let id, let image, _, let seconds, _) where state.jobs.isCurrent(id, .perTile):
        state.perTile = Versioned(clipped(image), version: state.nextVersion())
        state.jobs.perTile?.finish(seconds: seconds)
        state.status = "per-tile restoration done in \(Format.seconds(seconds))"

    case .restoreFinished(let id, let image, let scores, let seconds, let outcome) where state.jobs.isCurrent(id, .restore):
        // Clipped to [0, 1] like the PNG `ram restore` writes and the scores see.
        state.restored = Versioned(clipped(image), version: state.nextVersion())
        state.restoredComplete = true
        state.restoredScores = scores
        state.jobs.restore?.finish(seconds: seconds)
        state.status = "restored in \(Format.seconds(seconds))" + Format.guardNote(outcome)

    default:
        break
    }
    return []
}

/// Feature passes: one began, or its taps arrived.
private func featureResult(_ state: inout ViewerState, _ message: Message) -> [Effect] {
    switch message {
    case .featuresStarted(let id):
        guard state.jobs.isCurrent(id, .features) else { return [] }
        state.jobs.features?.started = true
        state.jobs.features?.waitingFor = nil

    case .featuresReady(let id, let data):
        // Taps of a superseded or cancelled pass are kept when they belong to this input: the
        // pass cannot be interrupted, and throwing its result away would only redo it later.
        guard let inputVersion = state.featureRequests.removeValue(forKey: id), inputVersion == state.input.version
        else { return [] }
        state.featureData.removeAll { $0.value.block == data.block }
        state.featureData.append(Versioned(data, version: state.nextVersion()))
        if state.featureData.count > ViewerState.featureCacheSize { state.featureData.removeFirst() }
        if state.jobs.isCurrent(id, .features) {
            state.jobs.features?.done = 1
            state.jobs.features?.phase = .finished(seconds: 0)
        } else if let job = state.jobs.features, job.isRunning, !job.started,
            job.waitingFor == "the taps of \(data.block)"
        {
            state.jobs.features?.waitingFor = nil  // next in line: starts now
        }

    default:
        break
    }
    return []
}

/// Columns of the degradation grid.
private func gridResult(_ state: inout ViewerState, _ message: Message) -> [Effect] {
    switch message {
    case .gridCellReady(let id, let index, let cell):
        guard state.jobs.isCurrent(id, .grid), state.grid.indices.contains(index) else { return [] }
        state.grid[index] = Versioned(cell, version: state.nextVersion())
        state.jobs.grid?.done = state.grid.filter { $0?.value.isComplete == true }.count

    case .gridFinished(let id, let seconds):
        guard state.jobs.isCurrent(id, .grid) else { return [] }
        state.jobs.grid?.phase = .finished(seconds: seconds)
        state.status = "degradation grid done in \(Format.seconds(seconds))"

    default:
        break
    }
    return []
}

/// `d`/`D` finished: the new input replaces the old one, and everything derived from it
/// starts again.
private func degraded(_ state: inout ViewerState, _ id: JobID, _ image: RGBImage, _ degradation: Degradation) -> [Effect] {
    guard id == state.degradeJob, var fly = state.onTheFly else { return [] }
    state.degradeJob = nil
    fly.degradation = degradation
    state.onTheFly = fly
    state.input = Versioned(image, version: state.nextVersion())
    state.info.inputName = "\(fly.baseName) + \(degradation)"
    state.inputScores = nil
    // Taps belong to the old input (featureRequests carry its version, so late ones drop).
    state.featureData = []
    var effects = cancelAll(&state)
    if let reference = state.reference {
        effects.append(.scoreInput(image: image, reference: reference.value, inputVersion: state.input.version))
    }
    effects += startRestore(&state)
    effects += ensureFeatures(&state)
    state.status = "degraded with \(degradation): restoring again…"
    return effects
}

/// A job stopped early: cancelled, or failed.
private func jobEnded(_ state: inout ViewerState, _ message: Message) {
    let kinds = [JobKind.restore, .restoreB, .features, .grid]
    switch message {
    case .jobCancelled(let id):
        for kind in kinds where state.jobs[kind]?.id == id && state.jobs[kind]?.isRunning == true {
            state.jobs[kind]?.phase = .cancelled
        }
    case .jobFailed(let id, let reason):
        for kind in kinds where state.jobs[kind]?.id == id {
            state.jobs[kind]?.phase = .failed(reason)
            state.status = "\(kind.rawValue) failed: \(reason)"
        }
    default:
        break
    }
}

// MARK: - Keys

private func handleKey(_ state: inout ViewerState, _ key: Key) -> [Effect] {
    let action = KeyBindings.action(for: key, in: state.mode)
    if state.showHelp {
        // Any key closes the help (q too); only C-c, an interrupt, still ends the program.
        state.showHelp = false
        if action == .interrupt { return apply(&state, .interrupt) }
        return []
    }
    // The status line answers the last key (or reports a job that finished since): a key
    // clears what an earlier key or job left there.
    state.status = ""
    guard let action else {
        state.status = "no binding for \(Format.key(key)) — ? shows the keys"
        return []
    }
    return apply(&state, action)
}

/// Applies one action (exposed for tests that do not care which key it was), by family.
public func apply(_ state: inout ViewerState, _ action: Action) -> [Effect] {
    switch action {
    case .quit, .interrupt, .togglePanel, .saveView, .nextDegradation, .degradationStrength, .toggleHelp, .cancelJobs,
        .restoreAgain, .redraw:
        return applySession(&state, action)
    case .show, .nextView, .nextImage, .pan, .zoomIn, .zoomOut, .zoomFit, .zoomCycle:
        return applyNavigation(&state, action)
    case .cycleCompareStyle, .cycleA, .cycleB, .swapAB, .moveDivider, .flipNow:
        applyCompare(&state, action)
        return []
    case .nextBlock, .nextBranch, .nextChannel, .cycleSelection, .cycleNormalization, .toggleBlend, .blendOpacity:
        return applyFeatures(&state, action)
    case .cycleColormap:
        cycleColormap(&state)
        return []
    case .cycleErrorKind, .amplify, .errorOpacity:
        return applyError(&state, action)
    }
}

/// Quitting, help, the panel, saving, jobs and the degradation keys.
private func applySession(_ state: inout ViewerState, _ action: Action) -> [Effect] {
    switch action {
    case .quit:
        state.quitRequested = true
        return cancelAll(&state) + [.quit]
    case .interrupt:
        state.quitRequested = true
        state.exitStatus = 130
        return cancelAll(&state) + [.quit]
    case .togglePanel:
        let shown = state.layout?.panel != nil
        state.panelVisible = !shown
        state.status = shown ? "panel off (p shows it)" : "panel on (p hides it)"
        return []
    case .saveView:
        return saveView(&state)
    case .nextDegradation, .degradationStrength:
        guard let fly = state.onTheFly, let clean = state.reference?.value else {
            state.status = "d D change a degradation the viewer applied (--degrade, or the demo)"
            return []
        }
        let next = action == .nextDegradation ? fly.nextKind : fly.nextStrength
        let id = state.nextVersion()
        state.degradeJob = id
        state.status = "degrading the clean image with \(next)…"
        return [.degrade(id, clean: clean, next, seed: fly.seed)]
    case .toggleHelp:
        state.showHelp.toggle()
        return []
    case .cancelJobs:
        let running = state.jobs.running
        guard !running.isEmpty else {
            state.status = "nothing to cancel"
            return []
        }
        state.status =
            "cancelled "
            + running.map { job in
                job.kind == .restore ? "restore (\(job.progressText))" : job.kind.rawValue
            }.joined(separator: ", ")
        return cancelAll(&state)
    case .restoreAgain:
        if state.mode == .grid { return startGrid(&state) }
        // Taps depend on the input and the weights only: the ones computed stay.
        return startRestore(&state) + ensureFeatures(&state)
    case .redraw:
        return [.redraw]
    default:
        return []
    }
}

/// Switching views (and images), panning and zooming.
private func applyNavigation(_ state: inout ViewerState, _ action: Action) -> [Effect] {
    switch action {
    case .show(let mode):
        return show(&state, mode)
    case .nextView(let d):
        let all = ViewMode.allCases
        return show(&state, all[(state.mode.rawValue + d + all.count) % all.count])
    case .nextImage:
        // With several images `Gallery.update` takes this key first.
        state.status = "one image open (ram view A B dir/ opens several)"
        return []
    case .pan(let dx, let dy, let fast):
        pan(&state, dx: dx, dy: dy, fast: fast)
        return ensureFeatures(&state)
    case .zoomIn, .zoomOut, .zoomFit, .zoomCycle:
        zoom(&state, action)
        return ensureFeatures(&state)
    default:
        return []
    }
}

/// The compare view: style, the two images, the divider, the flicker.
private func applyCompare(_ state: inout ViewerState, _ action: Action) {
    switch action {
    case .cycleCompareStyle:
        let all = CompareSettings.Style.allCases
        state.compare.style = all[(state.compare.style.rawValue + 1) % all.count]
        state.compare.lastFlip = nil
        state.compare.flickerPaused = false
        state.status = "compare: \(state.compare.style.name)"
    case .cycleA:
        state.compare.a = nextRole(after: state.compare.a, state)
    case .cycleB:
        state.compare.b = nextRole(after: state.compare.b, state)
    case .swapAB:
        swap(&state.compare.a, &state.compare.b)
    case .moveDivider(let d):
        guard state.compare.style == .split else {
            state.status = "[ ] move the divider of the split style (s cycles the compare style)"
            return
        }
        state.compare.divider = min(max(state.compare.divider + d, 0.05), 0.95)
        state.status = "divider at \(Int((state.compare.divider * 100).rounded()))%"
    case .flipNow:
        guard state.compare.style == .flicker else {
            state.status = "Space pauses the flicker style (s cycles the compare style)"
            return
        }
        if state.compare.flickerPaused {
            state.compare.flickerPaused = false
            state.compare.lastFlip = nil
            state.status = "flicker resumed: every \(CompareSettings.flickerPeriod) s (Space pauses)"
        } else {
            state.compare.showingB.toggle()
            state.compare.flickerPaused = true
            state.status = "flicker paused on \(state.compare.showingB ? "B" : "A"): Space resumes"
        }
    default:
        break
    }
}

/// The feature view: block, branch, channel or aggregate, normalisation, blending.
private func applyFeatures(_ state: inout ViewerState, _ action: Action) -> [Effect] {
    switch action {
    case .nextBlock(let d):
        guard !state.blocks.isEmpty else { return [] }
        state.features.blockIndex = (state.features.blockIndex + d + state.blocks.count) % state.blocks.count
        clampChannel(&state)
        return ensureFeatures(&state)
    case .nextBranch(let d):
        let all = TapBranch.allCases
        let i = all.firstIndex(of: state.features.branch) ?? 0
        state.features.branch = all[(i + d + all.count) % all.count]
        clampChannel(&state)
        return []
    case .nextChannel(let d):
        let count = state.currentBlock?.channels(state.features.branch) ?? 1
        if case .channel(let c) = state.features.selection {
            state.features.selection = .channel((c + d + count) % count)
        } else {
            state.features.selection = .channel(d >= 0 ? 0 : count - 1)
        }
        return []
    case .cycleSelection:
        switch state.features.selection {
        case .meanAbs: state.features.selection = .max
        case .max: state.features.selection = .channel(0)
        case .channel: state.features.selection = .meanAbs
        }
        return []
    case .cycleNormalization:
        state.features.normalization = state.features.normalization == .minMax ? .robust : .minMax
        return []
    case .toggleBlend:
        state.features.blend.toggle()
        return []
    case .blendOpacity(let d):
        state.features.blendOpacity = ((state.features.blendOpacity + d) * 10).rounded() / 10
        state.features.blendOpacity = min(max(state.features.blendOpacity, 0.1), 0.9)
        if !state.features.blend { state.features.blend = true }
        return []
    default:
        return []
    }
}

/// `v`: the colormap of the error view's |Δ| maps, or of the feature maps.
private func cycleColormap(_ state: inout ViewerState) {
    if state.mode == .error && state.errorMap.kind == .signed {
        state.status = "signed maps keep the diverging blueRed colormap (v changes |Δ| maps)"
        return
    }
    if state.mode == .error {
        state.errorMap.colormap = next(state.errorMap.colormap, in: [.magma, .viridis, .turbo])
    } else {
        state.features.colormap = next(state.features.colormap, in: FeatureSettings.colormaps)
    }
}

/// The error view: which difference, amplification, opacity.
private func applyError(_ state: inout ViewerState, _ action: Action) -> [Effect] {
    switch action {
    case .cycleErrorKind:
        let all = ErrorSettings.Kind.allCases.filter {
            (state.hasReference || !$0.needsReference) && (state.info.secondModelName != nil || $0 != .restoredVsRestoredB)
                && (state.firstPaint != nil || $0 != .restoredVsFirstPaint)
                && (state.restoredComplete || $0 != .restoredVsPerTile)
        }
        let i = all.firstIndex(of: state.errorMap.kind) ?? 0
        state.errorMap.kind = all[(i + 1) % all.count]
        if state.errorMap.kind == .restoredVsPerTile, state.perTile == nil, state.jobs.perTile?.isRunning != true {
            // Computed on demand: a second restoration of the whole input.
            let id = state.nextVersion()
            let input = state.input.value
            state.jobs.perTile = JobStatus(id: id, kind: .perTile, detail: "\(input.width)×\(input.height)")
            state.status = "restoring with per-tile statistics to compare…"
            return [.restorePerTile(id, image: input, reference: nil)]
        }
        return []
    case .amplify(let d):
        let levels = ErrorSettings.amplifications
        let i = levels.firstIndex(of: state.errorMap.amplification) ?? 0
        state.errorMap.amplification = levels[min(max(i + d, 0), levels.count - 1)]
        return []
    case .errorOpacity(let d):
        state.errorMap.opacity = min(max(state.errorMap.opacity + d, 0), 1)
        return []
    default:
        return []
    }
}

// MARK: - Views and jobs

private func show(_ state: inout ViewerState, _ mode: ViewMode) -> [Effect] {
    state.mode = mode
    switch mode {
    case .features: return ensureFeatures(&state)
    case .grid: return state.jobs.grid == nil ? startGrid(&state) : []
    case .compare, .error: return []
    }
}

private func cancelAll(_ state: inout ViewerState) -> [Effect] {
    var effects: [Effect] = []
    for kind in [JobKind.restore, .restoreB, .features, .grid] {
        guard let job = state.jobs[kind], job.isRunning else { continue }
        state.jobs[kind]?.phase = .cancelled
        effects.append(.cancel(job.id))
    }
    return effects
}

/// Starts (or restarts) the restoration of the input; the preview starts as the dimmed input
/// and fills in tile by tile.
func startRestore(_ state: inout ViewerState) -> [Effect] {
    var effects: [Effect] = []
    if let old = state.jobs.restore, old.isRunning { effects.append(.cancel(old.id)) }
    let id = state.nextVersion()
    let input = state.input.value
    let tiles =
        state.info.restoreSteps
        ?? (try? state.info.tiling.plan(width: input.width, height: input.height).tiles.count) ?? 0
    state.jobs.restore = JobStatus(id: id, kind: .restore, total: tiles, detail: "\(input.width)×\(input.height)")
    state.restored = Versioned(dimmed(input), version: state.nextVersion())
    state.restoredComplete = false
    state.restoredTiles = []
    state.firstPaint = nil
    state.perTile = nil
    if let old = state.jobs.perTile, old.isRunning { effects.append(.cancel(old.id)) }
    state.jobs.perTile = nil
    state.restoredScores = nil
    state.status = state.info.restorePlan.map { "restoring (\($0))…" } ?? "restoring \(tiles) tile\(tiles == 1 ? "" : "s")…"
    effects.append(.restore(id, image: input, reference: state.reference?.value))
    if state.info.secondModelName != nil {
        // The second model restores the same input beside the first (`--compare`).
        if let old = state.jobs.restoreB, old.isRunning { effects.append(.cancel(old.id)) }
        let idB = state.nextVersion()
        state.jobs.restoreB = JobStatus(id: idB, kind: .restoreB, total: tiles, detail: "\(input.width)×\(input.height)")
        state.restoredB = Versioned(dimmed(input), version: state.nextVersion())
        state.restoredBComplete = false
        state.restoredBScores = nil
        effects.append(.restoreWithB(idB, image: input, reference: state.reference?.value))
    }
    return effects
}

/// Starts computing the taps of the block the feature view shows, unless they are known or
/// being computed; supersedes a job for another block (or another region of a large image).
func ensureFeatures(_ state: inout ViewerState) -> [Effect] {
    guard state.mode == .features, let block = state.currentBlock else { return [] }
    let wanted = featureRegion(state)
    func covers(_ region: PixelRect?) -> Bool {
        guard let wanted else { return region == nil }
        guard let r = region else { return false }
        let v = wanted.visible
        return r.x <= v.x && r.y <= v.y && r.x + r.width >= v.x + v.width && r.y + r.height >= v.y + v.height
    }
    if let data = state.currentFeatures, covers(data.value.region) { return [] }
    if let job = state.jobs.features, job.isRunning, job.detail == block.name, covers(state.featureJobRegion) { return [] }
    var effects: [Effect] = []
    if let old = state.jobs.features, old.isRunning { effects.append(.cancel(old.id)) }
    let id = state.nextVersion()
    // One pass runs at a time and cannot be interrupted: a new one waits for the running one.
    var waitingFor: String?
    if let old = state.jobs.features, old.isRunning {
        waitingFor = old.started ? "the taps of \(old.detail)" : old.waitingFor
    }
    state.jobs.features = JobStatus(id: id, kind: .features, total: 1, detail: block.name)
    state.jobs.features?.started = false
    state.jobs.features?.waitingFor = waitingFor
    state.featureJobRegion = wanted?.request
    state.featureRequests[id] = state.input.version
    effects.append(.computeFeatures(id, image: state.input.value, block: block.name, region: wanted?.request))
    return effects
}

/// Margin of context around the visible part of a large image when its taps are computed at
/// full resolution (pixels on each side; convolutions reach across the crop's edge).
let featureMargin = 64

/// For an image larger than `EffectRunner.featureMaxSide` seen zoomed in so that its visible
/// part is not: that part (`visible`) and the region to compute at full resolution
/// (`request`: grown by `featureMargin`, origin a multiple of 8). nil: the whole image.
func featureRegion(_ state: ViewerState) -> (visible: PixelRect, request: PixelRect)? {
    let w = state.input.value.width, h = state.input.value.height
    guard max(w, h) > EffectRunner.featureMaxSide, let p = primaryPlacement(state) else { return nil }
    let s = p.source
    let vx0 = max(0, Int(s.x.rounded(.down))), vy0 = max(0, Int(s.y.rounded(.down)))
    let vx1 = min(w, Int((s.x + s.width).rounded(.up))), vy1 = min(h, Int((s.y + s.height).rounded(.up)))
    guard vx1 - vx0 <= EffectRunner.featureMaxSide, vy1 - vy0 <= EffectRunner.featureMaxSide else { return nil }
    let x0 = max(0, vx0 - featureMargin) / 8 * 8, y0 = max(0, vy0 - featureMargin) / 8 * 8
    let x1 = min(w, vx1 + featureMargin), y1 = min(h, vy1 + featureMargin)
    return (
        PixelRect(x: vx0, y: vy0, width: vx1 - vx0, height: vy1 - vy0),
        PixelRect(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
    )
}

func startGrid(_ state: inout ViewerState) -> [Effect] {
    var effects: [Effect] = []
    if let old = state.jobs.grid, old.isRunning { effects.append(.cancel(old.id)) }
    let id = state.nextVersion()
    state.jobs.grid = JobStatus(id: id, kind: .grid, total: Degradation.standardFive.count, detail: "5 degradations")
    state.grid = [Versioned<GridCell>?](repeating: nil, count: Degradation.standardFive.count)
    state.status = state.hasReference ? "degrading the reference five ways…" : "no reference: degrading the input five ways…"
    effects.append(.computeGrid(id, clean: state.gridSource))
    return effects
}

// MARK: - Mouse

/// Click: moves the cursor to the pixel under the pointer (or picks a view tab, or grabs the
/// split divider); drag: moves the divider or the cursor; wheel: zooms in or out at the
/// pointer (the pixel under it becomes the cursor, which the zoomed view follows).
private func handleMouse(_ state: inout ViewerState, _ e: MouseEvent) -> [Effect] {
    if state.showHelp {
        if case .press = e.kind { state.showHelp = false }
        return []
    }
    switch e.kind {
    case .press(1):
        state.status = ""
        if e.row == 0, let mode = tab(at: e.col, state) { return show(&state, mode) }
        if state.mode == .compare, state.compare.style == .split, let p = primaryPlacement(state),
            e.row >= p.dest.y, e.row < p.dest.maxY, abs(e.col - dividerColumn(state, p)) <= 1
        {
            state.mouseDrag = .divider
            return []
        }
        if let (x, y) = pixel(under: e, state) {
            state.viewport.cursorX = x
            state.viewport.cursorY = y
            state.mouseDrag = .cursor
        }
        return []
    case .drag(1):
        switch state.mouseDrag {
        case .divider?:
            guard let p = primaryPlacement(state), p.dest.width > 0 else { return [] }
            let f = Double(e.col - p.dest.x) / Double(p.dest.width)
            state.compare.divider = min(max(f, 0.05), 0.95)
            state.status = "divider at \(Int((state.compare.divider * 100).rounded()))%"
        case .cursor?:
            if let (x, y) = pixel(under: e, state) {
                state.viewport.cursorX = x
                state.viewport.cursorY = y
            }
        case nil:
            break
        }
        return []
    case .release:
        state.mouseDrag = nil
        return []
    case .wheelUp, .wheelDown:
        if let (x, y) = pixel(under: e, state) {
            state.viewport.cursorX = x
            state.viewport.cursorY = y
        }
        zoom(&state, e.kind == .wheelUp ? .zoomIn : .zoomOut)
        return []
    case .press, .drag:
        return []
    }
}

/// The split divider's screen column for the placement (as `CompareView` draws it).
func dividerColumn(_ state: ViewerState, _ p: ImagePlacement) -> Int {
    p.dest.x + Int((state.compare.divider * Double(p.dest.width)).rounded())
}

/// The view tab under column `col` of the header (as `Chrome.drawHeader` lays them out).
private func tab(at col: Int, _ state: ViewerState) -> ViewMode? {
    var x = 0
    for mode in ViewMode.allCases {
        let w = " \(mode.rawValue + 1) \(mode.title) ".count
        if col >= x && col < x + w { return mode }
        x += w + 1
    }
    return nil
}

/// The input pixel under a mouse position, in whichever image area of the view it falls
/// (both halves side by side; a grid column's copies map back to the input).
func pixel(under e: MouseEvent, _ state: ViewerState) -> (x: Int, y: Int)? {
    guard let layout = state.layout else { return nil }
    let w = state.input.value.width, h = state.input.value.height
    func clamped(_ p: (x: Int, y: Int), scaleX: Double = 1, scaleY: Double = 1) -> (x: Int, y: Int)? {
        let x = Int(Double(p.x) * scaleX), y = Int(Double(p.y) * scaleY)
        guard x >= 0, y >= 0, x < w, y < h else { return nil }
        return (x, y)
    }
    switch state.mode {
    case .grid:
        guard let cell = state.grid.compactMap({ $0?.value }).first else { return nil }
        let gw = cell.degraded.width, gh = cell.degraded.height
        for column in state.gridLayout(layout).columns {
            for area in [column.degraded, column.restored, column.restoredB].compactMap({ $0 }) where area.contains(x: e.col, y: e.row) {
                let p = ImagePane.placement(state, in: area, imageWidth: gw, imageHeight: gh)
                guard let q = p.pixel(atCol: e.col, row: e.row) else { return nil }
                return clamped(q, scaleX: Double(w) / Double(gw), scaleY: Double(h) / Double(gh))
            }
        }
        return nil
    case .compare where state.compare.style == .sideBySide, .features where state.models == 2:
        let areas =
            state.mode == .features
            ? ScreenLayout.featureAreas(layout.imageArea(legend: true).image, models: 2).map(\.image)
            : { let (l, r) = ScreenLayout.sideBySide(layout.imageArea(legend: false).image); return [l, r] }()
        for area in areas where area.contains(x: e.col, y: e.row) {
            guard let q = ImagePane.placement(state, in: area).pixel(atCol: e.col, row: e.row) else { return nil }
            return clamped(q)
        }
        return nil
    default:
        guard let p = primaryPlacement(state), let q = p.pixel(atCol: e.col, row: e.row) else { return nil }
        return clamped(q)
    }
}

// MARK: - Zoom and pan

/// The placement of the input in the current view's main image area (the geometry behind
/// zoom steps and pan distances).
func primaryPlacement(_ state: ViewerState, zoom: Zoom? = nil) -> ImagePlacement? {
    guard let layout = state.layout else { return nil }
    let w = state.input.value.width, h = state.input.value.height
    let area = layout.primaryImageArea(
        state.mode, compare: state.compare, imageAspect: Double(h) / Double(max(w, 1)), models: state.models)
    return ImagePlacement.place(
        imageWidth: w, imageHeight: h, in: area,
        zoom: zoom ?? state.viewport.zoom, focusX: Double(state.viewport.cursorX),
        focusY: Double(state.viewport.cursorY))
}

private func pan(_ state: inout ViewerState, dx: Int, dy: Int, fast: Bool) {
    let scale = primaryPlacement(state)?.scale ?? 1
    // Two half-cell pixels per step: one row, or two columns.
    let step = max(1, Int((2 / scale).rounded())) * (fast ? 8 : 1)
    let w = state.input.value.width, h = state.input.value.height
    state.viewport.cursorX = min(max(state.viewport.cursorX + dx * step, 0), w - 1)
    state.viewport.cursorY = min(max(state.viewport.cursorY + dy * step, 0), h - 1)
}

private func zoom(_ state: inout ViewerState, _ action: Action) {
    let fitScale = primaryPlacement(state, zoom: .fit)?.scale ?? 1
    let levels = Zoom.levels
    let current: Double
    switch state.viewport.zoom {
    case .fit: current = fitScale
    case .scale(let s): current = s
    }
    switch action {
    case .zoomIn:
        if let s = levels.first(where: { $0 > current * 1.001 }) { state.viewport.zoom = .scale(s) }
    case .zoomOut:
        let lower = levels.last(where: { $0 < current / 1.001 })
        if case .scale(let s) = state.viewport.zoom, s > fitScale * 1.001, (lower ?? 0) <= fitScale * 1.001 {
            state.viewport.zoom = .fit  // stepping out past the fit scale lands on fit first
        } else if let lower {
            state.viewport.zoom = .scale(lower)
        }
    case .zoomFit:
        state.viewport.zoom = .fit
    case .zoomCycle:
        switch state.viewport.zoom {
        case .fit: state.viewport.zoom = .scale(1)
        case .scale(let s) where s >= 1 && s < 4: state.viewport.zoom = .scale(s < 2 ? 2 : 4)
        default: state.viewport.zoom = .fit
        }
    default:
        break
    }
    state.status = "zoom \(Format.zoom(state.viewport.zoom, fitScale: fitScale))"
}

// MARK: - Helpers

private func nextRole(after role: ImageRole, _ state: ViewerState) -> ImageRole {
    let roles = state.availableRoles
    guard let i = roles.firstIndex(of: role) else { return roles.first ?? role }
    return roles[(i + 1) % roles.count]
}

private func next<T: Equatable>(_ value: T, in list: [T]) -> T {
    guard let i = list.firstIndex(of: value) else { return list[0] }
    return list[(i + 1) % list.count]
}

private func clampChannel(_ state: inout ViewerState) {
    guard case .channel(let c) = state.features.selection, let block = state.currentBlock else { return }
    let count = block.channels(state.features.branch)
    if c >= count { state.features.selection = .channel(count - 1) }
}

/// The input in dark gray: the background restored tiles are painted onto.
func dimmed(_ image: RGBImage) -> RGBImage {
    var out = RGBImage(width: image.width, height: image.height)
    let n = image.plane
    image.pixels.withUnsafeBufferPointer { p in
        out.pixels.withUnsafeMutableBufferPointer { o in
            for i in 0..<n {
                let y = 0.299 * p[i] + 0.587 * p[n + i] + 0.114 * p[2 * n + i]
                let v = 0.06 + 0.3 * y
                o[i] = v
                o[n + i] = v
                o[2 * n + i] = v
            }
        }
    }
    return out
}

/// The image with every sample clamped to [0, 1] (NaN → 0).
func clipped(_ image: RGBImage) -> RGBImage {
    var out = image
    out.pixels.withUnsafeMutableBufferPointer { p in
        for i in p.indices { p[i] = p[i] > 0 ? (p[i] < 1 ? p[i] : 1) : 0 }
    }
    return out
}

/// Copies a restored tile (3, h, w) into `image` at `rect` (clipped to the image, and its
/// values to [0, 1]).
func paste(_ tile: Tensor, at rect: PixelRect, into image: inout RGBImage) {
    let w = min(tile.width, image.width - rect.x), h = min(tile.height, image.height - rect.y)
    guard w > 0, h > 0, tile.channels >= 3 else { return }
    let n = image.plane, tp = tile.plane, iw = image.width, tw = tile.width
    tile.data.withUnsafeBufferPointer { src in
        image.pixels.withUnsafeMutableBufferPointer { dst in
            for c in 0..<3 {
                for y in 0..<h {
                    let s = c * tp + y * tw
                    let d = c * n + (rect.y + y) * iw + rect.x
                    for x in 0..<w { dst[d + x] = min(max(src[s + x], 0), 1) }
                }
            }
        }
    }
}
