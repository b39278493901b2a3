import Imaging
import RAMModel
import TensorCore
import TerminalUI
import Testing

@testable import Viewer

/// Several images (`ram view A B dir/`): `Gallery.update` message by message.
struct GalleryTests {
    static let paths = ["dir/a.png", "dir/b.jpg", "dir/c.png"]

    /// Three images, the first (16×12, no reference) shown and started.
    static func gallery(cols: Int = 120, rows: Int = 40) -> Gallery {
        var first = Fixtures.state(reference: false, cols: cols, rows: rows)
        first.info.inputName = "a.png"
        first.info.referenceName = nil
        var g = Gallery(first, paths: paths, index: 0)
        _ = g.update(.start)
        return g
    }

    static func image(_ name: String, blue: Float, reference: Bool = false) -> GalleryImage {
        GalleryImage(
            input: Fixtures.gradient(width: 20, height: 10, blue: blue), reference: reference ? Fixtures.constant(0.5, 0.5, 0.5, width: 20, height: 10) : nil,
            inputName: name)
    }

    /// Presses `key` and answers the read it asks for with `image`.
    @discardableResult
    static func go(_ g: inout Gallery, _ key: Key = .char("."), read image: GalleryImage) -> [Effect] {
        let effects = g.update(.key(key))
        guard case .loadImage(let id, _)? = effects.first else {
            Issue.record("no read: \(effects)")
            return effects
        }
        return g.update(.imageRead(id, .success(image)))
    }

    static func header(_ state: ViewerState) -> String {
        Screen.render(state, cache: RenderCache(colorMode: .trueColor)).lines()[0]
    }

    @Test func theNextKeyReadsTheImageThenShowsItWithItsPosition() {
        var g = Self.gallery()
        #expect(Self.header(g.current).hasSuffix(" 1/3 a.png "))
        let effects = g.update(.key(.char(".")))
        guard case .loadImage(let id, let path)? = effects.first, effects.count == 1 else {
            Issue.record("no read: \(effects)")
            return
        }
        #expect(path == "dir/b.jpg")
        // Until it is read the first image stays on screen.
        #expect(g.index == 0 && g.current.info.inputName == "a.png" && g.current.status == "reading 2/3 b.jpg…")
        let started = g.update(.imageRead(id, .success(Self.image("b.jpg", blue: 0.75))))
        #expect(g.index == 1 && g.current.info.inputName == "b.jpg")
        #expect(g.current.info.position?.index == 1 && g.current.info.position?.count == 3)
        #expect(Self.header(g.current).hasSuffix(" 2/3 b.jpg "))
        #expect(g.current.input.value.width == 20 && g.current.viewport.cursorX == 10)
        // Its images have versions of their own (the render cache tells images apart by them).
        #expect(g.current.input.version != g.entries[0].parked!.input.version)
        guard let job = g.current.jobs.restore else {
            Issue.record("image 2 is not being restored")
            return
        }
        #expect(started.contains(.restore(job.id, image: g.current.input.value, reference: nil)))
        // PgDn steps too; PgUp and , go back.
        #expect(g.update(.key(.pageDown)).contains { if case .loadImage(_, "dir/c.png") = $0 { true } else { false } })
    }

    @Test func goingBackIsInstantAndKeepsWhatWasComputed() {
        var g = Self.gallery()
        let a = g.current.jobs.restore!.id
        _ = g.update(.restoreFinished(a, Fixtures.constant(0.4, 0.4, 0.4), nil, seconds: 1))
        let restored = g.current.restored!
        g.current.viewport.cursorX = 3
        Self.go(&g, read: Self.image("b.jpg", blue: 0.75))
        let back = g.update(.key(.pageUp))
        // No read, no new job: the state it had.
        #expect(back.isEmpty, "\(back)")
        #expect(g.index == 0 && g.current.info.inputName == "a.png" && g.current.restoredComplete)
        #expect(g.current.restored == restored && g.current.restored!.value == restored.value)
        #expect(g.current.viewport.cursorX == 3)
        #expect(Self.header(g.current).hasSuffix(" 1/3 a.png "))
        // And forward again to b, read once.
        #expect(g.update(.key(.char("."))).isEmpty)
        #expect(g.current.info.inputName == "b.jpg")
    }

    @Test func resultsOfABackgroundImageLandInItsOwnState() {
        var g = Self.gallery()
        let a = g.current.jobs.restore!.id
        Self.go(&g, read: Self.image("b.jpg", blue: 0.75))
        let b = g.current.jobs.restore!.id
        let shown = g.current.restored!
        // A tile of a's restoration arrives while b is shown: pasted into a, not painted on b.
        _ = g.update(.restoreProgress(a, Fixtures.tileProgress(index: 0, x: 0, y: 0, w: 8, h: 8, value: 0.9, done: 1, total: 6)))
        #expect(g.current.restored == shown && g.current.restoredTiles.isEmpty)
        // The status line says a is still computing.
        #expect(g.current.info.position?.busy == [0])
        #expect(Screen.render(g.current, cache: RenderCache(colorMode: .trueColor)).lines()[39].contains("busy: 1/3"))
        let parked = g.entries[0].parked!
        #expect(parked.restored!.value[0, 0, 0] == 0.9 && parked.restoredTiles.count == 1 && parked.jobs.restore!.done == 1)
        _ = g.update(.restoreFinished(a, Fixtures.constant(0.2, 0.2, 0.2), nil, seconds: 2))
        #expect(!g.current.restoredComplete && g.current.status != "restored in 2.0 s")
        #expect(g.entries[0].parked!.restoredComplete && g.entries[0].parked!.restored!.value[1, 5, 5] == 0.2)
        #expect(g.current.info.position?.busy == [])
        // b's own results still go to b.
        _ = g.update(.restoreFinished(b, Fixtures.constant(0.7, 0.7, 0.7, width: 20, height: 10), nil, seconds: 1))
        #expect(g.current.restoredComplete && g.current.restored!.value[0, 0, 0] == 0.7)
        _ = g.update(.key(.char(",")))
        #expect(g.current.info.inputName == "a.png" && g.current.restoredComplete && g.current.restored!.value[0, 0, 0] == 0.2)
        // Versions stay unique across images (the encoded-image cache is keyed by them).
        #expect(g.current.restored!.version != g.entries[1].parked!.restored!.version)
    }

    @Test func tapsAndScoresOfABackgroundImageLandInIt() {
        var first = Fixtures.state(reference: true)
        first.info.inputName = "a.png"
        var g = Gallery(first, paths: Self.paths, index: 0)
        let start = g.update(.start)
        guard case .scoreInput(_, _, let versionA)? = start.first else {
            Issue.record("no scores: \(start)")
            return
        }
        let features = g.update(.key(.char("2")))
        guard case .computeFeatures(let fa, _, let block, _)? = features.first else {
            Issue.record("no feature pass: \(features)")
            return
        }
        let entered = Self.go(&g, read: Self.image("b.jpg", blue: 0.75, reference: true))
        // b starts its own feature pass (the view is shared) and its own scores.
        #expect(entered.contains { if case .computeFeatures = $0 { true } else { false } })
        #expect(entered.contains { if case .scoreInput(_, _, let v) = $0 { v == g.current.input.version } else { false } })
        let data = FeatureData(block: block, taps: [.gamma: Fixtures.ramp(channels: 1, height: 12, width: 16)], imageScale: 1)
        _ = g.update(.featuresReady(fa, data))
        _ = g.update(.inputScored(Scores(psnr: 11, ssim: 0.3), inputVersion: versionA))
        #expect(g.current.featureData.isEmpty && g.current.inputScores == nil)
        #expect(g.entries[0].parked!.featureData.count == 1 && g.entries[0].parked!.inputScores?.psnr == 11)
        // Back on a in the feature view: the taps are there, no new pass.
        let back = g.update(.key(.char(",")))
        #expect(!back.contains { if case .computeFeatures = $0 { true } else { false } }, "\(back)")
        #expect(g.current.currentFeatures?.value.block == block)
    }

    /// A feature pass that has begun finishes for its image (it cannot be interrupted); one
    /// still queued is forgotten, and asked for again when the image is shown.
    @Test func aBegunFeaturePassFinishesForItsImage() {
        var g = Self.gallery()
        guard case .computeFeatures(let fa, _, let block, _)? = g.update(.key(.char("2"))).first else {
            Issue.record("no feature pass")
            return
        }
        _ = g.update(.featuresStarted(fa))
        Self.go(&g, read: Self.image("b.jpg", blue: 0.75))
        #expect(g.entries[0].parked!.jobs.features?.isRunning == true)
        guard let fb = g.current.jobs.features?.id else {
            Issue.record("b asked for no taps")
            return
        }
        _ = g.update(.featuresReady(fa, FeatureData(block: block, taps: [.gamma: Fixtures.ramp(channels: 1, height: 12, width: 16)])))
        #expect(g.entries[0].parked!.jobs.features?.phase == .finished(seconds: 0))
        #expect(g.current.featureData.isEmpty && g.current.jobs.features?.id == fb)
        // b's pass is still queued: leaving forgets it, coming back asks again.
        _ = g.update(.key(.char(",")))
        #expect(g.entries[1].parked!.jobs.features == nil && g.entries[1].parked!.featureRequests[fb] != nil)
        let again = g.update(.key(.char(".")))
        #expect(again.contains { if case .computeFeatures = $0 { true } else { false } }, "\(again)")
    }

    @Test func anUnreadableImageIsReportedAndPassedOver() {
        var g = Self.gallery()
        let effects = g.update(.key(.char(".")))
        guard case .loadImage(let id, _)? = effects.first else {
            Issue.record("no read: \(effects)")
            return
        }
        _ = g.update(.imageRead(id, .failure(ImageReadFailure("the file is truncated (premature end of data)"))))
        #expect(g.index == 0 && g.current.info.inputName == "a.png")
        #expect(g.current.status == "could not read 2/3 b.jpg: the file is truncated (premature end of data)")
        #expect(g.entries[1].failure != nil)
        // The next key goes past it.
        let next = g.update(.key(.char(".")))
        #expect(next.contains { if case .loadImage(_, "dir/c.png") = $0 { true } else { false } }, "\(next)")
    }

    @Test func unreadableFilesFoundAtTheStartAreReported() {
        var first = Fixtures.state(reference: false)
        first.info.inputName = "b.jpg"
        var g = Gallery(first, paths: Self.paths, index: 1, failures: [0: "not a PNG or JPEG file"])
        _ = g.update(.start)
        #expect(g.current.status == "could not read 1/3 a.png: not a PNG or JPEG file")
        #expect(Self.header(g.current).hasSuffix(" 2/3 b.jpg "))
        // Backwards from b: a is passed over, c is next (wrapping).
        #expect(g.update(.key(.char(","))).contains { if case .loadImage(_, "dir/c.png") = $0 { true } else { false } })
    }

    @Test func aReadThatArrivesAfterAnotherKeyIsDropped() {
        var g = Self.gallery()
        guard case .loadImage(let first, _)? = g.update(.key(.char("."))).first else { return }
        // A second key before b arrives: c is asked for; b's read is dropped.
        #expect(g.update(.key(.char("."))).contains { if case .loadImage(_, "dir/c.png") = $0 { true } else { false } })
        _ = g.update(.imageRead(first, .success(Self.image("b.jpg", blue: 0.75))))
        #expect(g.index == 0 && g.current.info.inputName == "a.png")
    }

    @Test func onlyTheLastImageLeftKeepsItsJobsRunning() {
        var g = Self.gallery()
        let a = g.current.jobs.restore!.id
        let toB = Self.go(&g, read: Self.image("b.jpg", blue: 0.75))
        #expect(!toB.contains(.cancel(a)), "a keeps restoring in the background")
        let b = g.current.jobs.restore!.id
        let toC = Self.go(&g, read: Self.image("c.png", blue: 0.1))
        #expect(toC.contains(.cancel(a)) && !toC.contains(.cancel(b)), "\(toC)")
        #expect(g.entries[0].paused == [.restore] && g.entries[0].parked?.jobs.restore?.phase == .cancelled)
        // Back to a (c → a wraps): its restoration starts again.
        let back = g.update(.key(.char(".")))
        #expect(g.current.info.inputName == "a.png")
        #expect(back.contains { if case .restore = $0 { true } else { false } }, "\(back)")
        #expect(g.current.jobs.restore!.isRunning && g.current.status.contains("restoring again"))
        // c was left last and keeps running; b, left before it, is stopped now.
        #expect(back.contains(.cancel(b)) && g.entries[1].paused == [.restore])
    }

    @Test func statesBeyondTheLimitAreDroppedAndReadAgain() {
        var g = Self.gallery()
        g.keptImages = 2
        let a = g.current.jobs.restore!.id
        Self.go(&g, read: Self.image("b.jpg", blue: 0.75))
        #expect(g.entries[0].parked != nil)
        let toC = Self.go(&g, read: Self.image("c.png", blue: 0.1))
        // Kept: c (shown) and b (left last); a is dropped and its job cancelled.
        #expect(g.entries[0].parked == nil && g.entries[1].parked != nil && toC.contains(.cancel(a)))
        #expect(g.update(.key(.char("."))).contains { if case .loadImage(_, "dir/a.png") = $0 { true } else { false } })
        // The byte budget counts too: with room for none, every left image is dropped.
        var h = Self.gallery()
        h.memoryBudget = h.current.approximateBytes - 1
        Self.go(&h, read: Self.image("b.jpg", blue: 0.75))
        #expect(h.entries[0].parked == nil)
    }

    @Test func withOneImageTheKeySaysSo() {
        var g = Gallery(Fixtures.state())
        _ = g.update(.start)
        #expect(g.update(.key(.char("."))).isEmpty)
        #expect(g.current.status.hasPrefix("one image open"))
        #expect(!Self.header(g.current).contains("1/1"))
    }

    @Test func theImageKeysMeanTheSameInEveryView() {
        for mode in ViewMode.allCases {
            #expect(KeyBindings.action(for: .char("."), in: mode) == .nextImage(1))
            #expect(KeyBindings.action(for: .pageDown, in: mode) == .nextImage(1))
            #expect(KeyBindings.action(for: .char(","), in: mode) == .nextImage(-1))
            #expect(KeyBindings.action(for: .pageUp, in: mode) == .nextImage(-1))
        }
    }

    @Test func aLongNameKeepsThePositionInTheHeader() {
        var first = Fixtures.state(reference: false, cols: 80, rows: 24)
        first.info.inputName = "IMG_20261206_231455_portrait_mode_hdr_night.jpg + noise:25"
        var g = Gallery(first, paths: Self.paths, index: 0)
        _ = g.update(.start)
        let header = Self.header(g.current)
        #expect(header.contains(" 1/3 …") && header.hasSuffix("night.jpg + noise:25 "), "\(header)")
    }

    /// Scores computed for an input that was replaced (`d` re-degrades) are dropped.
    @Test func scoresOfAReplacedInputAreDropped() {
        var s = Fixtures.state()
        _ = update(&s, .start)
        let old = s.input.version
        s.input = Versioned(Fixtures.constant(0.1, 0.1, 0.1), version: s.nextVersion())
        _ = update(&s, .inputScored(Scores(psnr: 20, ssim: 0.5), inputVersion: old))
        #expect(s.inputScores == nil)
        _ = update(&s, .inputScored(Scores(psnr: 21, ssim: 0.5), inputVersion: s.input.version))
        #expect(s.inputScores?.psnr == 21)
    }
}
