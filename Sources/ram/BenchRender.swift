import ArgumentParser
import Foundation
import Imaging
import RAMModel
import TensorCore
import TerminalUI

extension Bench {
    /// `ram bench render`: encodes the sample (or a synthetic image) for a 200×60 terminal:
    /// half-block encode time, bytes of a full repaint, of a frame where a split divider moved
    /// one column, and of an unchanged frame (only changed cells are written).
    struct Render: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure the viewer's frame budget: encode time and bytes per frame for a 200x60 terminal.")

        @Flag(help: "Print JSON.") var json = false

        struct Report: Codable {
            var cols: Int
            var rows: Int
            var image: [Int]
            var encodeMilliseconds: Double
            var composeMilliseconds: Double
            var fullRepaintBytes: Int
            var dividerMovedBytes: Int
            var unchangedBytes: Int
            enum CodingKeys: String, CodingKey {
                case cols, rows, image
                case encodeMilliseconds = "encode_ms", composeMilliseconds = "frame_compose_ms"
                case fullRepaintBytes = "full_repaint_bytes", dividerMovedBytes = "divider_moved_bytes"
                case unchangedBytes = "unchanged_bytes"
            }

            var text: String {
                """
                terminal \(cols)x\(rows), image \(image[0])x\(image[1]), truecolor half blocks
                \(String(format: "  encode (area resample + cells, cached per view): %.2f ms median of 10", encodeMilliseconds))
                \(String(format: "  compose a frame from cached cells:               %.2f ms", composeMilliseconds))
                  bytes written: full repaint \(fullRepaintBytes), split moved one column \(dividerMovedBytes), unchanged frame \(unchangedBytes)
                """
            }
        }

        func run() throws {
            try runMain {
                let report = try Render.measure()
                if json { try printJSON(report) } else { print(report.text) }
            }
        }

        static func measure() throws -> Report {
            let cols = 200, rows = 59  // one status row
            var image: RGBImage
            if let dir = ShippedAssets.samplesDirectory(),
               let f = try? FileManager.default.contentsOfDirectory(atPath: dir).first(where: { $0.hasSuffix(".png") }) {
                image = try ImageFile.read(path: dir + "/" + f)
            } else {
                image = RGBImage(width: 1024, height: 768)
                for c in 0..<3 { for y in 0..<768 { for x in 0..<1024 { image[c, y, x] = Float((x * (c + 1) + y) % 256) / 255 } } }
            }
            let other = Degradation.noise(sigma: 25).apply(to: image, seed: 1)
            var times: [Double] = []
            var encodedA = HalfBlockEncoder.encode(image, cols: cols, rows: rows, mode: .trueColor)
            var encodedB = encodedA
            for _ in 0..<10 {
                let t0 = Profiler.now()
                encodedA = HalfBlockEncoder.encode(image, cols: cols, rows: rows, mode: .trueColor)
                encodedB = HalfBlockEncoder.encode(other, cols: cols, rows: rows, mode: .trueColor)
                times.append((Profiler.now() - t0) / 2)
            }
            func frame(split: Int) -> CellBuffer {
                var b = CellBuffer(width: cols, height: rows + 1)
                b.blit(encodedA, at: 0, 0)
                var right = CellBuffer(width: cols, height: rows)
                right.blit(encodedB, at: 0, 0)
                for y in 0..<rows { for x in split..<cols { b[x, y] = right[x, y] } }
                _ = b.drawText(x: 0, y: rows, "split \(split)", fg: nil, bg: nil)
                return b
            }
            var copyTimes: [Double] = []
            var f1 = frame(split: 100)
            for _ in 0..<10 { let t0 = Profiler.now(); f1 = frame(split: 100); copyTimes.append(Profiler.now() - t0) }
            let full = Renderer.diff(previous: nil, next: f1, mode: .trueColor)
            let moved = Renderer.diff(previous: f1, next: frame(split: 101), mode: .trueColor)
            let same = Renderer.diff(previous: f1, next: f1, mode: .trueColor)
            return Report(
                cols: cols, rows: rows + 1, image: [image.width, image.height],
                encodeMilliseconds: times.sorted()[times.count / 2] * 1000,
                composeMilliseconds: copyTimes.sorted()[copyTimes.count / 2] * 1000,
                fullRepaintBytes: full.count, dividerMovedBytes: moved.count, unchangedBytes: same.count)
        }
    }
}
