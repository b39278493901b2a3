import Imaging
import RAMModel
import TensorCore
import TerminalUI
import Testing

@testable import Viewer

/// `update` message by message: no terminal, no threads, no clock.
struct UpdateTests {
    @Test func startScoresTheInputAndStartsARestoreJob() {
        var s = Fixtures.state()
        let effects = update(&s, .start)
        guard let job = s.jobs.restore else {
            Issue.record("no restore job")
            return
        }
        #expect(
            effects == [
                .scoreInput(image: s.input.value, reference: s.reference!.value, inputVersion: s.input.version),
                .restore(job.id, image: s.input.value, reference: s.reference!.value),
            ])
        #expect(job.isRunning)
        // 16×12 with 8-pixel tiles and overlap 2: starts at x 0, 6, 8 and y 0, 4 → 3 × 2 tiles.
        #expect(job.total == 6 && job.done == 0)
        // The preview is the dimmed input (gray), not yet restored.
        #expect(s.restored != nil && !s.restoredComplete)
        let p = s.restored!.value
        #expect(p[0, 5, 5] == p[1, 5, 5] && p[1, 5, 5] == p[2, 5, 5])
        #expect(s.status.contains("restoring 6 tiles"))
    }

    /// A restorer that paints first: the label and the panel say which result is showing, and
    /// the plan from the session info is in the status line.
    @Test func theStageOfARestorationIsShown() {
        var s = Fixtures.state()
        s.info.restorePlan = "streamed in 96/96/64/48-pixel tiles"
        s.info.restoreSteps = 40
        _ = update(&s, .start)
        let id = s.jobs.restore!.id
        #expect(s.jobs.restore!.total == 40 && s.status == "restoring (streamed in 96/96/64/48-pixel tiles)…")
        var tile = Fixtures.tileProgress(index: 0, x: 0, y: 0, w: 8, h: 8, value: 0.9, done: 1, total: 6)
        tile.stage = .firstPaint
        _ = update(&s, .restoreProgress(id, tile))
        #expect(CompareView.label(.restored, s) == "restored (first paint 1/6)")
        #expect(s.firstPaint == nil)
        let firstPaint = s.restored!.value
        var exact = Fixtures.tileProgress(index: 0, x: 0, y: 0, w: 8, h: 8, value: 0.2, done: 1, total: 6)
        exact.stage = .exact
        _ = update(&s, .restoreProgress(id, exact))
        #expect(CompareView.label(.restored, s) == "restored (1/6)")
        // The complete first paint is kept for |restored − first paint|, which the error kinds
        // now offer.
        #expect(s.firstPaint?.value == firstPaint && s.restored!.value[0, 0, 0] == 0.2)
        var kinds: [ErrorSettings.Kind] = []
        _ = update(&s, .key(.char("3")))  // the error view
        for _ in ErrorSettings.Kind.allCases {
            _ = update(&s, .key(.char("e")))
            kinds.append(s.errorMap.kind)
        }
        #expect(kinds.contains(.restoredVsFirstPaint))
        #expect(s.errorPair != nil || s.errorMap.kind != .restoredVsFirstPaint)
        // A new restoration forgets it.
        _ = update(&s, .key(.char("r")))
        #expect(s.firstPaint == nil)
    }

    /// |restored − per-tile| starts a per-tile restoration of the input when first asked for,
    /// and compares it with the finished restoration.
    @Test func perTileErrorMapIsComputedOnDemand() {
        var s = Fixtures.state()
        _ = update(&s, .start)
        let id = s.jobs.restore!.id
        _ = update(&s, .restoreFinished(id, Fixtures.constant(0.5, 0.5, 0.5), nil, seconds: 1))
        _ = update(&s, .key(.char("3")))
        var started: [Effect] = []
        for _ in ErrorSettings.Kind.allCases where s.errorMap.kind != .restoredVsPerTile {
            started = update(&s, .key(.char("e")))
        }
        #expect(s.errorMap.kind == .restoredVsPerTile)
        guard let job = s.jobs.perTile, case .restorePerTile(let pid, _, _) = started.first else {
            Issue.record("no per-tile restoration started: \(started)")
            return
        }
        #expect(pid == job.id && s.errorPair == nil)
        // Its result is the other side of the map; the restored image is untouched.
        _ = update(&s, .restoreFinished(pid, Fixtures.constant(0.25, 0.5, 0.5), nil, seconds: 2))
        #expect(s.perTile != nil && s.restored!.value[0, 0, 0] == 0.5)
        #expect(s.errorPair.map { $0.b.value[0, 0, 0] } == 0.25)
        // Cycling past it and back does not start another.
        for _ in ErrorSettings.Kind.allCases { #expect(update(&s, .key(.char("e"))).isEmpty) }
    }

    @Test func withoutAReferenceThereIsNothingToScore() {
        var s = Fixtures.state(reference: false)
        let effects = update(&s, .start)
        #expect(effects.count == 1)
        if case .restore(_, _, nil) = effects[0] {} else { Issue.record("expected a restore without reference: \(effects)") }
        #expect(s.errorMap.kind == .restoredVsInput)
    }

    @Test func tilesArePastedIntoThePreviewAsTheyArrive() {
        var s = Fixtures.state()
        _ = update(&s, .start)
        let id = s.jobs.restore!.id
        let v0 = s.restored!.version
        _ = update(
            &s, .restoreProgress(id, Fixtures.tileProgress(index: 0, x: 0, y: 0, w: 8, h: 8, value: 0.9, done: 1, total: 6)))
        let p = s.restored!.value
        #expect(p[0, 0, 0] == 0.9 && p[2, 7, 7] == 0.9)
        #expect(p[0, 0, 8] != 0.9)  // outside the tile: still the dimmed input
        #expect(s.restored!.version != v0)
        #expect(s.jobs.restore!.done == 1 && s.jobs.restore!.total == 6)
    }

    @Test func finishingReplacesThePreviewAndRecordsScores() {
        var s = Fixtures.state()
        _ = update(&s, .start)
        let id = s.jobs.restore!.id
        let out = Fixtures.constant(0.5, 0.5, 0.5)
        _ = update(&s, .restoreFinished(id, out, Scores(psnr: 30, ssim: 0.9), seconds: 1.5))
        #expect(s.restored!.value == out)
        #expect(s.restoredComplete)
        #expect(s.restoredScores == Scores(psnr: 30, ssim: 0.9))
        #expect(s.jobs.restore!.phase == .finished(seconds: 1.5))
        #expect(s.jobs.restore!.done == s.jobs.restore!.total)
        #expect(s.status == "restored in 1.50 s")
    }

    @Test func staleResultsAreDropped() {
        var s = Fixtures.state()
        _ = update(&s, .start)
        let first = s.jobs.restore!.id
        let effects = update(&s, .key(.char("r")))  // restore again: supersedes the first job
        let second = s.jobs.restore!.id
        #expect(second != first)
        #expect(effects.first == .cancel(first))
        let before = s
        _ = update(
            &s, .restoreProgress(first, Fixtures.tileProgress(index: 0, x: 0, y: 0, w: 8, h: 8, value: 1, done: 1, total: 6)))
        _ = update(&s, .restoreFinished(first, Fixtures.constant(1, 1, 1), nil, seconds: 1))
        _ = update(&s, .featuresReady(first, FeatureData(block: "encoder_level1.0", taps: [:])))
        _ = update(
            &s,
            .gridCellReady(
                first, index: 0,
                GridCell(
                    degradation: .noise(sigma: 25), degraded: s.input.value,
                    degradedPSNR: 1, degradedSSIM: 1)))
        #expect(s == before)
    }

    @Test func cancelStopsRunningJobsAndLaterTilesAreIgnored() {
        var s = Fixtures.state()
        _ = update(&s, .start)
        let id = s.jobs.restore!.id
        _ = update(
            &s, .restoreProgress(id, Fixtures.tileProgress(index: 0, x: 0, y: 0, w: 8, h: 8, value: 0.9, done: 1, total: 6)))
        let effects = update(&s, .key(.escape))
        #expect(effects == [.cancel(id)])
        #expect(s.jobs.restore!.phase == .cancelled)
        #expect(s.status == "cancelled restore (1/6)")
        let before = s
        _ = update(
            &s, .restoreProgress(id, Fixtures.tileProgress(index: 1, x: 6, y: 0, w: 8, h: 8, value: 0.1, done: 2, total: 6)))
        _ = update(&s, .jobCancelled(id))
        #expect(s == before)
        #expect(update(&s, .key(.char("c"))) == [])
        #expect(s.status == "nothing to cancel")
    }

    @Test func quitCancelsJobsAndQuits() {
        var s = Fixtures.state()
        _ = update(&s, .start)
        let id = s.jobs.restore!.id
        #expect(update(&s, .key(.char("q"))) == [.cancel(id), .quit])
        #expect(s.quitRequested)
        var t = Fixtures.state()
        #expect(update(&t, .key(.ctrl("c"))) == [.quit])
    }

    @Test func viewKeysSwitchModesAndStartTheirJobs() {
        var s = Fixtures.state()
        _ = update(&s, .start)
        // Features: computes the taps of the current block.
        var effects = update(&s, .key(.char("2")))
        #expect(s.mode == .features)
        let fid = s.jobs.features!.id
        #expect(effects == [.computeFeatures(fid, image: s.input.value, block: "encoder_level1.0")])
        // Another block supersedes the running feature job.
        effects = update(&s, .key(.char("b")))
        let fid2 = s.jobs.features!.id
        #expect(effects == [.cancel(fid), .computeFeatures(fid2, image: s.input.value, block: "encoder_level2.0")])
        #expect(s.jobs.features!.detail == "encoder_level2.0")
        // Error view needs no job; the grid starts one on first visit only.
        #expect(update(&s, .key(.char("3"))) == [])
        #expect(s.mode == .error)
        effects = update(&s, .key(.char("4")))
        let gid = s.jobs.grid!.id
        #expect(effects == [.computeGrid(gid, clean: s.reference!.value)])
        #expect(update(&s, .key(.char("1"))) == [])
        #expect(update(&s, .key(.char("4"))) == [])
        // Tab cycles, S-Tab goes back.
        _ = update(&s, .key(.tab))
        #expect(s.mode == .compare)
        _ = update(&s, .key(.backTab))
        #expect(s.mode == .grid)
    }

    @Test func featureResultsAreCachedPerBlock() {
        var s = Fixtures.state()
        _ = update(&s, .key(.char("2")))
        let id = s.jobs.features!.id
        let taps: [TapBranch: Tensor] = [.gamma: Fixtures.ramp(channels: 4, height: 12, width: 16)]
        _ = update(&s, .featuresReady(id, FeatureData(block: "encoder_level1.0", taps: taps)))
        #expect(s.currentFeatures?.value.block == "encoder_level1.0")
        #expect(s.jobs.features!.phase == .finished(seconds: 0))
        // Away and back: no new job.
        _ = update(&s, .key(.char("b")))
        #expect(s.currentFeatures == nil)
        let effects = update(&s, .key(.char("B")))
        #expect(effects.isEmpty)
        #expect(s.currentFeatures?.value.block == "encoder_level1.0")
    }

    @Test func featureKeysStepBranchChannelAggregateNormalisationColormapBlend() {
        var s = Fixtures.state()
        _ = update(&s, .key(.char("2")))
        #expect(s.features.branch == .gamma && s.features.selection == .meanAbs)
        _ = update(&s, .key(.char("g")))
        #expect(s.features.branch == .beta)
        _ = update(&s, .key(.char("g")))
        #expect(s.features.branch == .alpha)
        _ = update(&s, .key(.char("G")))
        #expect(s.features.branch == .beta)
        _ = update(&s, .key(.char("m")))
        #expect(s.features.selection == .max)
        _ = update(&s, .key(.char("m")))
        #expect(s.features.selection == .channel(0))
        _ = update(&s, .key(.char("N")))  // wraps: block width 8 → 4 channels
        #expect(s.features.selection == .channel(3))
        _ = update(&s, .key(.char("n")))
        #expect(s.features.selection == .channel(0))
        // α′ has round(8·4/3) − 8 = 3 channels: channel 3 is clamped when switching to it.
        _ = update(&s, .key(.char("N")))
        _ = update(&s, .key(.char("g")))
        #expect(s.features.branch == .alpha && s.features.selection == .channel(2))
        _ = update(&s, .key(.char("o")))
        #expect(s.features.normalization == .minMax)
        _ = update(&s, .key(.char("v")))
        #expect(s.features.colormap == .magma)
        _ = update(&s, .key(.char("v")))
        #expect(s.features.colormap == .turbo)
        _ = update(&s, .key(.char("t")))
        #expect(s.features.blend)
        _ = update(&s, .key(.char("]")))
        #expect(s.features.blendOpacity == 0.7)
    }

    @Test func errorKeysCycleKindAmplificationOpacity() {
        var s = Fixtures.state()
        _ = update(&s, .key(.char("3")))
        #expect(s.errorMap.kind == .restoredVsReference && s.errorMap.amplification == 4)
        _ = update(&s, .key(.char("e")))
        #expect(s.errorMap.kind == .restoredVsInput)
        _ = update(&s, .key(.char("e")))
        #expect(s.errorMap.kind == .signed)
        _ = update(&s, .key(.char("e")))
        #expect(s.errorMap.kind == .inputVsReference)
        _ = update(&s, .key(.char("e")))
        #expect(s.errorMap.kind == .restoredVsReference)
        _ = update(&s, .key(.char("a")))
        #expect(s.errorMap.amplification == 8)
        _ = update(&s, .key(.char("A")))
        _ = update(&s, .key(.char("A")))
        _ = update(&s, .key(.char("A")))
        _ = update(&s, .key(.char("A")))
        #expect(s.errorMap.amplification == 1)
        _ = update(&s, .key(.char("[")))
        #expect(s.errorMap.opacity == 0.75)
        // Without a reference, |restored − reference| is skipped.
        var t = Fixtures.state(reference: false)
        _ = update(&t, .key(.char("3")))
        _ = update(&t, .key(.char("e")))
        #expect(t.errorMap.kind == .signed)
        _ = update(&t, .key(.char("e")))
        #expect(t.errorMap.kind == .restoredVsInput)
    }

    @Test func compareKeys() {
        var s = Fixtures.state()
        _ = update(&s, .start)
        #expect(s.compare.style == .split && s.compare.a == .input && s.compare.b == .restored)
        _ = update(&s, .key(.char("]")))
        #expect(abs(s.compare.divider - 0.55) < 1e-9)
        for _ in 0..<20 { _ = update(&s, .key(.char("]"))) }
        #expect(s.compare.divider == 0.95)
        _ = update(&s, .key(.char("b")))
        #expect(s.compare.b == .reference)
        _ = update(&s, .key(.char("b")))
        #expect(s.compare.b == .input)
        _ = update(&s, .key(.char("a")))
        #expect(s.compare.a == .restored)
        _ = update(&s, .key(.char("x")))
        #expect(s.compare.a == .input && s.compare.b == .restored)
        _ = update(&s, .key(.char("s")))
        #expect(s.compare.style == .sideBySide)
        _ = update(&s, .key(.char("s")))
        #expect(s.compare.style == .flicker)
    }

    @Test func flickerFlipsOnTicksAndPausesOnSpace() {
        var s = Fixtures.state()
        s.compare.style = .flicker
        _ = update(&s, .tick(10))  // first tick only starts the clock
        #expect(!s.compare.showingB)
        _ = update(&s, .tick(10.3))
        #expect(!s.compare.showingB)
        _ = update(&s, .tick(10.7))
        #expect(s.compare.showingB)
        let before = s
        _ = update(&s, .tick(10.8))  // nothing due: the state must not change (no redraw)
        #expect(s == before)
        _ = update(&s, .key(.char(" ")))
        #expect(!s.compare.showingB && s.compare.flickerPaused)
        _ = update(&s, .tick(20))
        #expect(!s.compare.showingB)
        // Ticks do nothing in other views.
        var t = Fixtures.state()
        let t0 = t
        _ = update(&t, .tick(5))
        #expect(t == t0)
    }

    @Test func panMovesTheCursorByScreenStepsAndClamps() {
        var s = Fixtures.state(width: 160, height: 120)
        #expect(s.viewport.cursorX == 80 && s.viewport.cursorY == 60)
        // Fit: a 160×120 image in the 86×37 image area has scale 0.54 → 4 image px per step.
        _ = update(&s, .key(.char("l")))
        #expect(s.viewport.cursorX == 84)
        _ = update(&s, .key(.right))
        #expect(s.viewport.cursorX == 88)
        _ = update(&s, .key(.char("K")))
        #expect(s.viewport.cursorY == 28)
        for _ in 0..<10 { _ = update(&s, .key(.char("H"))) }
        #expect(s.viewport.cursorX == 0)
        // At 4× a step is one image pixel.
        _ = update(&s, .key(.char("z")))
        _ = update(&s, .key(.char("z")))
        _ = update(&s, .key(.char("z")))
        #expect(s.viewport.zoom == .scale(4))
        _ = update(&s, .key(.char("j")))
        #expect(s.viewport.cursorY == 29)
    }

    @Test func zoomSteps() {
        var s = Fixtures.state(width: 160, height: 120)  // fit scale ≈ 0.53
        _ = update(&s, .key(.char("+")))
        #expect(s.viewport.zoom == .scale(1))
        _ = update(&s, .key(.char("+")))
        #expect(s.viewport.zoom == .scale(2))
        _ = update(&s, .key(.char("-")))
        #expect(s.viewport.zoom == .scale(1))
        _ = update(&s, .key(.char("-")))
        #expect(s.viewport.zoom == .fit)
        _ = update(&s, .key(.char("-")))
        #expect(s.viewport.zoom == .scale(0.5))
        _ = update(&s, .key(.char("0")))
        #expect(s.viewport.zoom == .fit)
        _ = update(&s, .key(.char("z")))
        #expect(s.viewport.zoom == .scale(1))
        _ = update(&s, .key(.char("z")))
        _ = update(&s, .key(.char("z")))
        _ = update(&s, .key(.char("z")))
        #expect(s.viewport.zoom == .fit)
        #expect(s.status.hasPrefix("zoom fit"))
    }

    @Test func helpOpensAndAnyKeyClosesIt() {
        var s = Fixtures.state()
        _ = update(&s, .key(.char("?")))
        #expect(s.showHelp)
        let mode = s.mode
        _ = update(&s, .key(.char("2")))  // closes the help, does not switch
        #expect(!s.showHelp && s.mode == mode)
        _ = update(&s, .key(.f(1)))
        #expect(s.showHelp)
        #expect(update(&s, .key(.char("q"))) == [])  // closes the help, like any key
        #expect(update(&s, .key(.ctrl("c"))) == [.quit])  // help closed: C-c interrupts
        #expect(s.exitStatus == 130)
    }

    @Test func unknownKeysSayHowToGetHelp() {
        var s = Fixtures.state()
        #expect(update(&s, .key(.char("Y"))) == [])
        #expect(s.status == "no binding for Y — ? shows the keys")
    }

    @Test func gridCellsFillInAndFinish() {
        var s = Fixtures.state()
        _ = update(&s, .key(.char("4")))
        let id = s.jobs.grid!.id
        var cell = GridCell(degradation: .noise(sigma: 25), degraded: s.input.value, degradedPSNR: 20, degradedSSIM: 0.5)
        _ = update(&s, .gridCellReady(id, index: 0, cell))
        #expect(s.grid[0]?.value.restored == nil && s.jobs.grid!.done == 0)
        cell.restored = s.input.value
        cell.restoredPSNR = 30
        cell.restoredSSIM = 0.9
        _ = update(&s, .gridCellReady(id, index: 0, cell))
        #expect(s.grid[0]?.value.restoredPSNR == 30 && s.jobs.grid!.done == 1)
        _ = update(&s, .gridFinished(id, seconds: 2))
        #expect(s.jobs.grid!.phase == .finished(seconds: 2))
        // r in the grid view recomputes the grid, not the main restoration.
        let effects = update(&s, .key(.char("r")))
        #expect(effects == [.computeGrid(s.jobs.grid!.id, clean: s.reference!.value)])
        #expect(s.grid.allSatisfy { $0 == nil })
    }

    @Test func failuresAreReported() {
        var s = Fixtures.state()
        _ = update(&s, .start)
        _ = update(&s, .jobFailed(s.jobs.restore!.id, "out of memory"))
        #expect(s.jobs.restore!.phase == .failed("out of memory"))
        #expect(s.status == "restore failed: out of memory")
    }

    @Test func resizeChangesTheSize() {
        var s = Fixtures.state()
        _ = update(&s, .resize(TerminalSize(cols: 80, rows: 24)))
        #expect(s.size == TerminalSize(cols: 80, rows: 24))
    }
}

/// The status line says when the weights' guard took back part of the network's change.
@Suite struct GuardStatusTests {
    @Test func statusNamesTheGuardWhenItActed() {
        var s = Fixtures.state()
        _ = update(&s, .start)
        _ = update(&s, .restoreFinished(s.jobs.restore!.id, Fixtures.constant(0.5, 0.5, 0.5), nil, seconds: 1,
                                        guard: ChangeGuard.Outcome(change: 1.3 / 255, weight: 0.12)))
        #expect(s.status.contains("guard kept 12 % of a 1.3/255 change"), "\(s.status)")
        var t = Fixtures.state()
        _ = update(&t, .start)
        _ = update(&t, .restoreFinished(t.jobs.restore!.id, Fixtures.constant(0.5, 0.5, 0.5), nil, seconds: 1,
                                        guard: ChangeGuard.Outcome(change: 40 / 255, weight: 1)))
        #expect(!t.status.contains("guard"), "\(t.status)")
    }
}
