import Imaging
import TerminalUI
import Testing

@testable import Viewer

/// A second model (`--compare B.safetensors`): restored by A and by B, compared as any pair,
/// an error map between them, both scored in the panel.
struct TwoModelTests {
    static func state() -> ViewerState {
        var info = Fixtures.info
        info.secondModelName = "other.safetensors"
        var s = ViewerState(
            info: info, input: ViewTests.quadrants(), reference: ViewTests.quadrants(dim: 0.5), blocks: Fixtures.blocks,
            size: TerminalSize(cols: 110, rows: 30))
        _ = update(&s, .start)
        return s
    }

    @Test func startRestoresWithBothModelsAndRoutesTheirResults() {
        var info = Fixtures.info
        info.secondModelName = "other.safetensors"
        var s = ViewerState(
            info: info, input: ViewTests.quadrants(), reference: ViewTests.quadrants(dim: 0.5), blocks: Fixtures.blocks,
            size: TerminalSize(cols: 110, rows: 30))
        let effects = update(&s, .start)
        let a = s.jobs.restore!.id, b = s.jobs.restoreB!.id
        #expect(effects.contains(.restore(a, image: s.input.value, reference: s.reference!.value)))
        #expect(effects.contains(.restoreWithB(b, image: s.input.value, reference: s.reference!.value)))
        _ = update(&s, .restoreFinished(b, Fixtures.constant(0.2, 0.2, 0.2), Scores(psnr: 12, ssim: 0.3), seconds: 1))
        #expect(s.restoredBComplete && s.restoredB!.value == Fixtures.constant(0.2, 0.2, 0.2))
        #expect(!s.restoredComplete)
        _ = update(&s, .restoreFinished(a, Fixtures.constant(0.5, 0.5, 0.5), Scores(psnr: 9.5, ssim: 0.25), seconds: 1))
        #expect(s.restoredComplete)
        let text = Screen.render(s, cache: RenderCache(colorMode: .trueColor)).lines().joined(separator: "\n")
        #expect(text.contains("restored  9.50 dB"))
        #expect(text.contains("by B      12.00 dB"))
    }

    @Test func compareAnyPairAndTheErrorBetweenThem() {
        var s = Self.state()
        _ = update(&s, .restoreFinished(s.jobs.restoreB!.id, Fixtures.constant(0.2, 0.2, 0.2), nil, seconds: 1))
        _ = update(
            &s, .restoreFinished(s.jobs.restore!.id, Fixtures.constant(0.5, 0.5, 0.5), nil, seconds: 1))
        #expect(s.availableRoles == [.input, .restored, .restoredB, .reference])
        _ = update(&s, .key(.char("b")))
        #expect(s.compare.b == .restoredB)
        let text = Screen.render(s, cache: RenderCache(colorMode: .trueColor)).lines()[1]
        #expect(text.contains("B: restored by B"), "\(text)")
        _ = update(&s, .key(.char("3")))
        s.errorMap.kind = .restoredVsRestoredB
        s.errorMap.amplification = 1
        let pair = s.errorPair!
        #expect(pair.a.value == s.restored!.value && pair.b.value == s.restoredB!.value)
        let buf = Screen.render(s, cache: RenderCache(colorMode: .trueColor))
        #expect(buf.lines()[1].hasPrefix("|restored − restored by B| · ×1"))
    }
}
