import Imaging
import TerminalUI
import Testing

@testable import Viewer

/// `d` cycles the on-the-fly degradation's kind, `D` its strength: the input is degraded
/// again from the clean image and restored again.
struct DegradationKeyTests {
    static func state() -> ViewerState {
        var s = ViewTests.state()
        s.onTheFly = OnTheFlyDegradation(baseName: "test.png", degradation: .noise(sigma: 25), seed: 7)
        return s
    }

    @Test func dCyclesTheKindAndRestoresAgain() {
        var s = Self.state()
        let effects = update(&s, .key(.char("d")))
        guard case .degrade(let id, let clean, let d, let seed)? = effects.first else {
            Issue.record("no degrade effect: \(effects)")
            return
        }
        #expect(clean == s.reference!.value && d == .rain(level: RainRecipe.medium) && seed == 7)
        #expect(s.status.contains("rain:medium"))
        let oldInput = s.input.version
        let degraded = Fixtures.constant(0.3, 0.3, 0.3)
        s.featureData = []
        let after = update(&s, .degraded(id, degraded, d))
        #expect(s.input.version != oldInput && s.input.value == degraded)
        #expect(s.info.inputName == "test.png + rain:medium")
        #expect(s.onTheFly?.degradation == d)
        #expect(after.contains { if case .restore = $0 { true } else { false } })
        #expect(after.contains { if case .scoreInput = $0 { true } else { false } })
        #expect(s.inputScores == nil && !s.restoredComplete)
    }

    @Test func shiftDStepsTheStrength() {
        var s = Self.state()
        let effects = update(&s, .key(.char("D")))
        guard case .degrade(_, _, let d, _)? = effects.first else {
            Issue.record("no degrade effect: \(effects)")
            return
        }
        #expect(d == .noise(sigma: 50))
    }

    @Test func withoutAnOnTheFlyDegradationTheKeySaysSo() {
        var s = ViewTests.state()
        #expect(update(&s, .key(.char("d"))).isEmpty)
        #expect(s.status.contains("--degrade"))
    }

    @Test func aStaleDegradationIsDropped() {
        var s = Self.state()
        _ = update(&s, .key(.char("d")))
        let before = s.input.version
        _ = update(&s, .degraded(12345, Fixtures.constant(0, 0, 0), .haze(beta: 1.2)))
        #expect(s.input.version == before)
    }
}

/// |input − reference|: how far the degraded input is from the clean image, as an error pair.
struct InputErrorPairTests {
    @Test func inputVersusReferenceIsAnErrorKind() {
        var s = ViewTests.state(restored: false)  // needs no restored image
        _ = update(&s, .key(.char("3")))
        for _ in 0..<3 { _ = update(&s, .key(.char("e"))) }
        #expect(s.errorMap.kind == .inputVsReference)
        s.errorMap.amplification = 1
        let buf = Screen.render(s, cache: RenderCache(colorMode: .trueColor))
        #expect(buf.lines()[1].hasPrefix("|input − reference| · ×1"))
        // Top-left: input red (1, 0, 0) against the reference (0.5, 0, 0): mean |Δ| = 1/6.
        let c = Colormap.magma.map(Float(1) / 6)
        #expect(buf[ViewTests.imageLeft, ViewTests.mapTop].fg == RGB(c.r, c.g, c.b))
        _ = update(&s, .key(.char("e")))
        #expect(s.errorMap.kind == .restoredVsReference)
        // Without a reference it is skipped.
        var t = ViewTests.state()
        t.reference = nil
        t.errorMap.kind = .restoredVsInput
        _ = update(&t, .key(.char("3")))
        var seen: [ErrorSettings.Kind] = []
        for _ in 0..<3 {
            _ = update(&t, .key(.char("e")))
            seen.append(t.errorMap.kind)
        }
        // signed, |restored − per-tile| (the restoration is complete), back to the start.
        #expect(seen == [.signed, .restoredVsPerTile, .restoredVsInput])
    }
}
