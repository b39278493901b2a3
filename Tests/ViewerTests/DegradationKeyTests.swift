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
