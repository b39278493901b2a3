import Testing

@testable import TerminalUI

@Suite struct RGBTests {
    @Test func quantizeRoundsAndClamps() {
        #expect(RGB.quantize(0) == 0)
        #expect(RGB.quantize(1) == 255)
        #expect(RGB.quantize(0.5) == 128)  // 127.5 rounds up
        #expect(RGB.quantize(-0.2) == 0)
        #expect(RGB.quantize(7) == 255)
        #expect(RGB.quantize(.nan) == 0)
        #expect(RGB.quantize(.infinity) == 255)
        #expect(RGB(red: 1, green: 0.5, blue: 0) == RGB(255, 128, 0))
    }

    @Test func hexRoundTrip() {
        let c = RGB(hex: 0x12_34_56)
        #expect(c == RGB(0x12, 0x34, 0x56))
        #expect(c.hex == 0x123456)
    }

    @Test func mixInterpolates() {
        #expect(RGB.black.mix(.white, 0.5) == RGB(128, 128, 128))
        #expect(RGB.black.mix(.white, 2) == .white)
        #expect(RGB.red.distanceSquared(to: .black) == 255 * 255)
    }
}
