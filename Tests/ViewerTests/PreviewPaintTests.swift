import Foundation
import Imaging
import TerminalUI
import Testing

@testable import RAMModel
@testable import Viewer

/// A finished tile is pasted into the preview the state holds, in place: the loop keeps a copy
/// of the last drawn state (to draw only on change), and that copy must not make every tile
/// copy the whole image.
struct PreviewPaintTests {
    /// 2048×1536, 256-px tiles, the loop's `drawn` copy held across every paste as `ViewerApp`
    /// holds it. Prints the mean time per tile.
    @Test func tilesArePastedWithoutCopyingThePreview() {
        let w = 2048, h = 1536, side = 256
        var s = ViewerState(
            info: Fixtures.info, input: RGBImage(width: w, height: h), reference: nil, blocks: Fixtures.blocks,
            size: TerminalSize(cols: 160, rows: 48))
        _ = update(&s, .start)
        let id = s.jobs.restore!.id
        var drawn: ViewerState? = s
        func address(_ s: ViewerState) -> UnsafePointer<Float>? { s.restored!.value.pixels.withUnsafeBufferPointer { $0.baseAddress } }
        var copies = 0
        var tiles: [TileProgress] = []
        for ty in stride(from: 0, to: h, by: side) {
            for tx in stride(from: 0, to: w, by: side) {
                tiles.append(
                    Fixtures.tileProgress(
                        index: tiles.count, x: tx, y: ty, w: side, h: side, value: 0.5, done: tiles.count + 1,
                        total: (w / side) * (h / side)))
            }
        }
        let start = Date()
        for tile in tiles {
            let before = address(s)
            _ = update(&s, .restoreProgress(id, tile))
            if address(s) != before { copies += 1 }
            #expect(drawn != s, "a pasted tile is a change to draw")
            drawn = s
        }
        let perTile = Date().timeIntervalSince(start) / Double(tiles.count) * 1000
        print(String(format: "preview paste: %.2f ms per 256-px tile on 2048×1536 (%d tiles)", perTile, tiles.count))
        #expect(copies == 0, "the preview was copied for \(copies) of \(tiles.count) tiles")
        #expect(s.restored!.value[0, h - 1, w - 1] == 0.5 && s.restoredTiles.count == tiles.count)
        _ = drawn
    }
}
