import Testing

@testable import TerminalUI

@Suite struct RectTests {
    @Test func intersectionAndContains() {
        let a = Rect(x: 0, y: 0, width: 10, height: 5)
        let b = Rect(x: 8, y: 3, width: 5, height: 5)
        #expect(a.intersection(b) == Rect(x: 8, y: 3, width: 2, height: 2))
        #expect(a.intersection(Rect(x: 20, y: 0, width: 1, height: 1)).isEmpty)
        #expect(a.contains(x: 9, y: 4))
        #expect(!a.contains(x: 10, y: 4))
    }

    @Test func splitsAndCentering() {
        let r = Rect(x: 1, y: 2, width: 10, height: 6)
        #expect(r.splitBottom(1).bottom == Rect(x: 1, y: 7, width: 10, height: 1))
        #expect(r.splitTop(2).rest == Rect(x: 1, y: 4, width: 10, height: 4))
        #expect(r.centered(width: 4, height: 2) == Rect(x: 4, y: 4, width: 4, height: 2))
        #expect(r.inset(dx: 6, dy: 0).width == 0)
    }
}
