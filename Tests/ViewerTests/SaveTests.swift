import Foundation
import Imaging
import RAMModel
import TensorCore
import TerminalUI
import Testing

@testable import Imaging
@testable import Viewer

/// `w`: the view at the image's resolution, with a legend strip that says in text what it
/// shows, as numbered PNGs.
struct SaveTests {
    static func scratch() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ram-save-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Runs the effect the way the runner does (composition + numbered write).
    static func run(_ effects: [Effect]) throws -> (path: String, image: RGBImage)? {
        guard case .save(let request)? = effects.first else { return nil }
        let image = request.render()
        let path = try ViewExport.writeNumbered(image, directory: request.directory, stem: request.stem)
        return (path, try PNGCodec.read(path: path))
    }

    /// Reads the legend's text back from the pixels (the font's glyphs matched cell by cell):
    /// every text line, joined by spaces (lines wrap at spaces). With `scale`, the colour bar
    /// and its tick labels (placed under the ticks, not on the text grid) are skipped.
    static func legendText(_ img: RGBImage, pictureHeight: Int, scale: Bool) -> String {
        let t = ViewExport.textScale(img.width)
        var reverse: [[UInt8]: Character] = [:]
        for (c, rows) in BitmapFont.glyphs.sorted(by: { $0.key.isASCII && !$1.key.isASCII }) where reverse[rows] == nil {
            reverse[rows] = c
        }
        func line(at y: Int) -> String {
            var text = ""
            var x = 4 * t
            while x + 5 * t <= img.width {
                let rows = (0..<7).map { r -> UInt8 in
                    var bits: UInt8 = 0
                    for col in 0..<5 where img[1, y + r * t, x + col * t] > 0.5 { bits |= 0x10 >> UInt8(col) }
                    return bits
                }
                text.append(reverse[rows] ?? "#")
                x += BitmapFont.advance * t
            }
            return text.trimmingCharacters(in: .whitespaces)
        }
        var y = pictureHeight + 4 * t
        var lines: [String] = []
        if scale { y += 12 * t + 2 * t + BitmapFont.lineHeight * t }
        while y + 7 * t <= img.height {
            lines.append(line(at: y))
            y += BitmapFont.lineHeight * t
        }
        return lines.filter { !$0.isEmpty }.joined(separator: " ")
    }

    /// The tick labels under the colour bar, as one string.
    static func tickText(_ img: RGBImage, pictureHeight: Int) -> String {
        // Ink columns of the label row, grouped into runs separated by wide gaps.
        let t = ViewExport.textScale(img.width)
        let y0 = pictureHeight + 4 * t + 14 * t
        var inkColumns: [Int] = []
        for x in 0..<img.width where (0..<7 * t).contains(where: { img[1, y0 + $0, x] > 0.5 }) { inkColumns.append(x) }
        return inkColumns.isEmpty ? "" : "\(inkColumns.first!)…\(inkColumns.last!)"
    }

    @Test func compareSplitIsTheImageWithATextLegend() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var s = ViewTests.state()
        s.saveDirectory = dir
        let (path, img) = try #require(try Self.run(update(&s, .key(.char("w")))))
        #expect(path.hasSuffix("/ram-compare-001.png"))
        // The picture at the image's size at the top left; the strip is at least 360 px wide.
        #expect(img.width == ViewExport.minLegendWidth && img.height > 12 + 3 * BitmapFont.lineHeight)
        // A (input, red) left of the divider at 8; B (restored gray) right of it.
        #expect(img[0, 2, 2] == 1 && img[1, 2, 2] == 0)
        #expect(abs(img[0, 2, 12] - 0.5) < 0.01)
        #expect(img[1, 2, 8] > 0.8 && img[2, 2, 8] < 0.01)  // the yellow divider
        let text = Self.legendText(img, pictureHeight: 12, scale: false)
        #expect(text.contains("compare, split at 50% (yellow line): left A = input, right B ="), "\(text)")
        #expect(text.contains("restored by A (tiny.safetensors)"), "\(text)")
        #expect(text.contains("16×12 px, sRGB values 0–1"), "\(text)")
        #expect(text.contains("input: test.png + noise:25"), "\(text)")
        // Never overwrites: the next one is numbered 002.
        let again = try #require(try Self.run(update(&s, .key(.char("w")))))
        #expect(again.path.hasSuffix("/ram-compare-002.png"))
    }

    @Test func errorMapAndFeatureMapCarryTheirScaleInText() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var s = ViewTests.state()
        s.saveDirectory = dir
        _ = update(&s, .key(.char("3")))
        let (path, img) = try #require(try Self.run(update(&s, .key(.char("w")))))
        #expect(path.hasSuffix("ram-error-001.png"))
        // The colour bar: magma from dark (left) to bright (right), in the strip's first rows.
        let y = 12 + 4 + 2
        #expect(img[0, y, 4] < 0.1 && img[0, y, img.width - 6] > 0.9)
        // Tick labels under the bar, from its left end to its right end.
        let ticks = Self.tickText(img, pictureHeight: 12)
        #expect(ticks.hasPrefix("4…") && ticks.hasSuffix("…\(img.width - 6)") || ticks.hasSuffix("…\(img.width - 5)"), "\(ticks)")
        let all = Self.legendText(img, pictureHeight: 12, scale: true)
        #expect(all.contains("colour scale 0 … 0.25 (magma): mean |Δ| over RGB of 0–1"), "\(all)")
        #expect(all.contains("×4 amplified"), "\(all)")
        #expect(all.contains("error map |restored - reference|, 16×12 px"), "\(all)")
        #expect(all.contains("model A: tiny.safetensors"), "\(all)")

        ViewTests.withFeatures(&s)
        let (fpath, fimg) = try #require(try Self.run(update(&s, .key(.char("w")))))
        #expect(fpath.hasSuffix("ram-features-001.png"))
        let ftext = Self.legendText(fimg, pictureHeight: 12, scale: true)
        #expect(ftext.contains("features: encoder_level1.0 · γ gate σ(γ) · mean |x| of 4"), "\(ftext)")
        #expect(ftext.contains("gate value σ(γ), 0–1"), "\(ftext)")
    }

    @Test func twoModelFeaturesAreSavedSideBySideOnOneScale() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var s = TwoModelTests.state()
        s.saveDirectory = dir
        _ = update(&s, .key(.char("2")))
        let a = Fixtures.ramp(channels: 4, height: 12, width: 16)
        var b = a
        for i in b.data.indices { b.data[i] += 10 }  // B's values lie above all of A's
        var data = FeatureData(block: "encoder_level1.0", taps: [.beta: a])
        data.tapsB = [.beta: b]
        _ = update(&s, .featuresReady(s.jobs.features!.id, data))
        s.features.branch = .beta
        s.features.normalization = .minMax
        let (_, img) = try #require(try Self.run(update(&s, .key(.char("w")))))
        let gap = max(2, 16 / 64)
        // One scale over both: A's map is all in the dark half, B's in the bright half.
        let viridisLow = Colormap.viridis.mapFloat(0), viridisHigh = Colormap.viridis.mapFloat(1)
        #expect(abs(img[0, 0, 0] - viridisLow.r) < 0.02 && abs(img[1, 0, 0] - viridisLow.g) < 0.02)
        #expect(abs(img[1, 11, 16 + gap + 15] - viridisHigh.g) < 0.02)
        #expect(img[1, 11, 15] < 0.5 && img[1, 0, 16 + gap] > 0.6, "A bottom-right dark, B top-left bright")
        let text = Self.legendText(img, pictureHeight: 12, scale: true)
        #expect(text.contains("left: model A (tiny.safetensors)"), "\(text)")
        #expect(text.contains("right: model B (other.safetensors)"), "\(text)")
        #expect(text.contains("one colour scale over both maps"), "\(text)")
    }

    @Test func gridRowsPerModelAndScoresInTheLegend() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var s = TwoModelTests.state()
        s.saveDirectory = dir
        _ = update(&s, .key(.char("4")))
        let id = s.jobs.grid!.id
        var cell = TwoModelTests.gridCellAwaitingB()
        _ = update(&s, .gridCellReady(id, index: 0, cell))
        #expect(s.jobs.grid!.done == 0, "B's row is still missing")
        cell.restoredB = Fixtures.constant(0.9, 0.9, 0.9)
        cell.restoredBPSNR = 27.5
        cell.restoredBSSIM = 0.75
        _ = update(&s, .gridCellReady(id, index: 0, cell))
        #expect(s.jobs.grid!.done == 1)
        let (_, img) = try #require(try Self.run(update(&s, .key(.char("w")))))
        let gap = 2, h = 12
        #expect(abs(img[0, 0, 0] - 0.2) < 0.01 && abs(img[0, h + gap, 0] - 0.5) < 0.01 && abs(img[0, 2 * (h + gap), 0] - 0.9) < 0.01)
        let text = Self.legendText(img, pictureHeight: 3 * h + 2 * gap, scale: false)
        #expect(text.contains("noise:25: degraded 20.00 dB / 0.5000 · A 28.00 dB / 0.8000 · B 27.50 dB / 0.7500"), "\(text)")
        #expect(text.contains("bottom: by B (other.safetensors)"), "\(text)")
    }

    @Test func nothingFinishedNothingSaved() {
        var s = ViewTests.state(restored: false)
        #expect(update(&s, .key(.char("w"))).isEmpty)
        #expect(s.status.contains("not finished"))
    }
}

/// Writes the saved pictures of the fixture states to $RAM_SAVE_SAMPLES (for looking at them).
struct SaveSamples {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["RAM_SAVE_SAMPLES"] != nil))
    func writeSamples() throws {
        let dir = ProcessInfo.processInfo.environment["RAM_SAVE_SAMPLES"]!
        var s = ViewTests.state()
        s.saveDirectory = dir
        _ = try SaveTests.run(update(&s, .key(.char("w"))))
        _ = update(&s, .key(.char("3")))
        _ = try SaveTests.run(update(&s, .key(.char("w"))))
        ViewTests.withFeatures(&s)
        _ = try SaveTests.run(update(&s, .key(.char("w"))))
    }
}
