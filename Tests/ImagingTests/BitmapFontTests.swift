import Testing

@testable import Imaging

struct BitmapFontTests {
    @Test func drawsGlyphRowsAtTheirPixels() {
        var img = RGBImage(width: 14, height: 9)
        BitmapFont.draw("T|", into: &img, x: 1, y: 1)
        // T: the top row is five pixels wide, then the stem in the middle column.
        #expect((1...5).allSatisfy { img[0, 1, $0] == 1 } && img[0, 1, 0] == 0 && img[0, 1, 6] == 0)
        #expect(img[0, 4, 3] == 1 && img[0, 4, 2] == 0)
        // |: the next cell, 6 pixels on, middle column, all seven rows.
        #expect((1...7).allSatisfy { img[1, $0, 9] == 1 })
        #expect(BitmapFont.width("T|", scale: 2) == 24)
    }

    @Test func everyPrintableASCIICharacterAndTheViewerSymbolsHaveAGlyph() {
        for v in 32...126 { #expect(BitmapFont.has(Character(Unicode.Scalar(UInt8(v)))), "\(v)") }
        for c in "×−–·…Δγβασ′≤°→∞é" { #expect(BitmapFont.has(c), "\(c)") }
        // Distinct glyphs for characters that look different.
        #expect(BitmapFont.glyphs["O"] != BitmapFont.glyphs["0"] && BitmapFont.glyphs["l"] != BitmapFont.glyphs["1"])
    }

    @Test func wrapsAtSpacesAndCutsLongWords() {
        #expect(BitmapFont.wrap("one two three", columns: 7) == ["one two", "three"])
        #expect(BitmapFont.wrap("abcdefghij", columns: 4) == ["abcd", "efgh", "ij"])
    }
}
