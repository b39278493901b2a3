import Imaging
import Testing

@testable import TerminalUI

@Suite struct HalfBlockEncoderTests {
    /// Pixel colours that are exact 8-bit values, distinct per pixel.
    static func color(_ x: Int, _ y: Int) -> RGB { RGB(UInt8(10 * x + 40 * y), UInt8(200 - 10 * x), UInt8(8 * y + 1)) }

    static func image(_ w: Int, _ h: Int) -> RGBImage {
        var img = RGBImage(width: w, height: h)
        for y in 0..<h {
            for x in 0..<w {
                let c = color(x, y)
                img[0, y, x] = Float(c.r) / 255
                img[1, y, x] = Float(c.g) / 255
                img[2, y, x] = Float(c.b) / 255
            }
        }
        return img
    }

    @Test func twoByFourIsTwoByTwoCells() {
        let e = HalfBlockEncoder.encode(Self.image(2, 4), cols: 2, rows: 2, mode: .trueColor)
        #expect(e.cols == 2 && e.rows == 2)
        for row in 0..<2 {
            for col in 0..<2 {
                let cell = e[col, row]
                #expect(cell.glyph == "▀")
                #expect(cell.fg == Self.color(col, 2 * row), "cell \(col),\(row) fg")
                #expect(cell.bg == Self.color(col, 2 * row + 1), "cell \(col),\(row) bg")
                #expect(!cell.bold)
            }
        }
    }

    @Test func oddHeightPadsTheLastHalfRowWithTheDefaultBackground() {
        let fit = HalfBlockEncoder.fitSize(imageWidth: 3, imageHeight: 3, maxCols: 3, maxRows: 2)
        #expect(fit == (3, 2))
        let e = HalfBlockEncoder.encode(Self.image(3, 3), cols: fit.cols, rows: fit.rows, mode: .trueColor)
        for col in 0..<3 {
            #expect(e[col, 0] == Cell("▀", fg: Self.color(col, 0), bg: Self.color(col, 1)))
            // Row 3 of the pixel grid is padding: transparent, i.e. bg = terminal default.
            #expect(e[col, 1] == Cell("▀", fg: Self.color(col, 2), bg: nil))
        }
    }

    @Test func upperPixelOutsideUsesLowerHalfBlock() {
        // Window starting one pixel above the image: the first cell's upper pixel is outside.
        let e = HalfBlockEncoder.encode(
            Self.image(1, 3), source: ImageRegion(x: 0, y: -1, width: 1, height: 6), cols: 1, rows: 3, mode: .trueColor)
        #expect(e[0, 0] == Cell("▄", fg: Self.color(0, 0), bg: nil))
        #expect(e[0, 1] == Cell("▀", fg: Self.color(0, 1), bg: Self.color(0, 2)))
        #expect(e[0, 2] == Cell(" "))
    }

    @Test func downscaleAveragesEachHalfCell() {
        // 2×4 → 1×1 cell: upper pixel = mean of the top 2×2 block, lower = bottom block.
        let e = HalfBlockEncoder.encode(Self.image(2, 4), cols: 1, rows: 1, mode: .trueColor)
        func mean(_ cs: [RGB]) -> RGB {
            func m(_ k: KeyPath<RGB, UInt8>) -> UInt8 {
                UInt8((Double(cs.map { Int($0[keyPath: k]) }.reduce(0, +)) / Double(cs.count)).rounded())
            }
            return RGB(m(\.r), m(\.g), m(\.b))
        }
        #expect(e[0, 0].fg == mean([Self.color(0, 0), Self.color(1, 0), Self.color(0, 1), Self.color(1, 1)]))
        #expect(e[0, 0].bg == mean([Self.color(0, 2), Self.color(1, 2), Self.color(0, 3), Self.color(1, 3)]))
    }

    @Test func ansi256ModeStoresPaletteColours() {
        var img = RGBImage(width: 1, height: 2)
        img[0, 0, 0] = 1  // pure red over mid gray
        for c in 0..<3 { img[c, 1, 0] = 0.5 }
        let e = HalfBlockEncoder.encode(img, cols: 1, rows: 1, mode: .ansi256)
        #expect(e[0, 0].fg == .red)
        #expect(e[0, 0].bg == XtermPalette.rgb(index: 244))
    }

    @Test func fitSizeKeepsAspect() {
        // 1024×768 in 200×60: height-limited, 120 pixel rows → 160 columns.
        #expect(HalfBlockEncoder.fitSize(imageWidth: 1024, imageHeight: 768, maxCols: 200, maxRows: 60) == (160, 60))
        // Width-limited: 400×100 in 100×100 → 100×25 pixels → 13 rows (odd).
        #expect(HalfBlockEncoder.fitSize(imageWidth: 400, imageHeight: 100, maxCols: 100, maxRows: 100) == (100, 13))
        #expect(
            HalfBlockEncoder.fitSize(imageWidth: 10, imageHeight: 10, maxCols: 100, maxRows: 100, allowUpscale: false) == (10, 5))
        #expect(HalfBlockEncoder.fitSize(imageWidth: 10, imageHeight: 10, maxCols: 0, maxRows: 5) == (0, 0))
    }

    @Test func fittingRectCoversTheBox() {
        let r = ImageRegion.fitting(imageWidth: 3, imageHeight: 3, cols: 3, rows: 2)
        #expect(r == ImageRegion(x: 0, y: 0, width: 3, height: 4))
    }

    @Test func nanPixelsDoNotTrap() {
        var img = RGBImage(width: 1, height: 2)
        img[0, 0, 0] = .nan
        img[1, 1, 0] = .infinity
        let e = HalfBlockEncoder.encode(img, cols: 1, rows: 1, mode: .trueColor)
        #expect(e[0, 0].fg == .black)
        #expect(e[0, 0].bg == RGB(0, 255, 0))
    }

    @Test func blitIntoBuffer() {
        let e = HalfBlockEncoder.encode(Self.image(2, 4), cols: 2, rows: 2, mode: .trueColor)
        var b = CellBuffer.sentinel(width: 4, height: 3)
        b.blit(e, at: 1, 1)
        #expect(b.lines() == ["····", "·▀▀·", "·▀▀·"])
        #expect(b[2, 2] == e[1, 1])
    }
}

/// 256 colours: the encoder dithers, so a colour between palette entries keeps its mean.
struct DitherTests {
    @Test func aColourBetweenPaletteEntriesKeepsItsMeanIn256Colours() {
        var img = RGBImage(width: 32, height: 32)
        let want: [Float] = [60 / 255, 120 / 255, 180 / 255]
        for c in 0..<3 { for i in 0..<img.plane { img.pixels[c * img.plane + i] = want[c] } }
        let cells = HalfBlockEncoder.encode(img, cols: 32, rows: 16, mode: .ansi256)
        var sum = [Double](repeating: 0, count: 3)
        var n = 0.0
        for cell in cells.cells {
            for color in [cell.fg, cell.bg].compactMap({ $0 }) {
                #expect(XtermPalette.quantize(color) == color, "cells hold palette colours")
                sum[0] += Double(color.r)
                sum[1] += Double(color.g)
                sum[2] += Double(color.b)
                n += 1
            }
        }
        for c in 0..<3 {
            #expect(abs(sum[c] / n - Double(want[c]) * 255) < 6, "channel \(c): mean \(sum[c] / n)")
        }
    }
}
