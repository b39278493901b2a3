import Foundation
import Imaging
import TensorCore
import TerminalUI

@testable import RAMModel
@testable import Viewer

/// Small deterministic states and images for the Viewer tests.
enum Fixtures {
    /// A w × h image whose red rises left to right, green top to bottom, blue constant.
    static func gradient(width w: Int = 16, height h: Int = 12, blue: Float = 0.25) -> RGBImage {
        var img = RGBImage(width: w, height: h)
        for y in 0..<h {
            for x in 0..<w {
                img[0, y, x] = Float(x) / Float(max(1, w - 1))
                img[1, y, x] = Float(y) / Float(max(1, h - 1))
                img[2, y, x] = blue
            }
        }
        return img
    }

    static func constant(_ r: Float, _ g: Float, _ b: Float, width w: Int = 16, height h: Int = 12) -> RGBImage {
        var img = RGBImage(width: w, height: h)
        for i in 0..<img.plane {
            img.pixels[i] = r
            img.pixels[img.plane + i] = g
            img.pixels[2 * img.plane + i] = b
        }
        return img
    }

    static let blocks = [
        BlockInfo(name: "encoder_level1.0", width: 8), BlockInfo(name: "encoder_level2.0", width: 16),
        BlockInfo(name: "latent.0", width: 64), BlockInfo(name: "refinement.0", width: 16),
    ]

    static let info = SessionInfo(
        inputName: "test.png + noise:25", referenceName: "test.png (clean)", modelName: "tiny.safetensors",
        modelSummary: "dim 8 · blocks 1,1,1,2 · 0.17 M params", tiling: Tiling(tileSize: 8, overlap: 2))

    static func state(width w: Int = 16, height h: Int = 12, reference: Bool = true, cols: Int = 120, rows: Int = 40)
        -> ViewerState
    {
        let input = gradient(width: w, height: h, blue: 0.25)
        let ref = reference ? gradient(width: w, height: h, blue: 0.5) : nil
        return ViewerState(info: info, input: input, reference: ref, blocks: blocks, size: TerminalSize(cols: cols, rows: rows))
    }

    /// A (C, H, W) tensor with value c + (y·W + x)/100 at (c, y, x).
    static func ramp(channels c: Int, height h: Int, width w: Int) -> Tensor {
        var t = Tensor(channels: c, height: h, width: w)
        for k in 0..<c { for y in 0..<h { for x in 0..<w { t[k, y, x] = Float(k) + Float(y * w + x) / 100 } } }
        return t
    }

    static func tileProgress(index: Int, x: Int, y: Int, w: Int, h: Int, value: Float, done: Int, total: Int) -> TileProgress {
        TileProgress(
            index: index, rect: PixelRect(x: x, y: y, width: w, height: h),
            restored: Tensor(channels: 3, height: h, width: w, repeating: value), done: done, total: total)
    }

    /// The package root, from this file's path (Tests/ViewerTests/Fixtures.swift).
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let tinyWeights = packageRoot.appendingPathComponent("Tests/RAMModelTests/Fixtures/tiny.weights.safetensors").path
}
