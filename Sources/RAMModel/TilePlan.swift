import Foundation
import TensorCore

/// A rectangle of whole image pixels (tiles, crops). The viewer's fractional counterpart is
/// TerminalUI's `ImageRegion`.
public struct PixelRect: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var x, y, width, height: Int
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x; self.y = y; self.width = width; self.height = height
    }
    public var description: String { "\(width)x\(height)+\(x)+\(y)" }
}

public struct TilingError: ExitStatusError, Equatable {
    public var description: String
    public var exitStatus: ExitStatus { .usage }
}

/// How a restoration is cut into tiles: their side and overlap (per-tile statistics, the
/// viewer's first paint) and how many are in flight (every tiled or streamed pass). The one
/// value `Restorer` and `TiledRestorer` share.
public struct Tiling: Hashable, Sendable {
    public var tileSize: Int
    public var overlap: Int
    /// Tiles in flight, at least 1; with several, each runs BLAS and the kernels on one thread.
    public var workers: Int

    public init(tileSize: Int = Restorer.defaultTileSize, overlap: Int = Restorer.defaultOverlap, workers: Int = 1) {
        self.tileSize = tileSize
        self.overlap = overlap
        self.workers = max(1, workers)
    }

    /// Where the tiles of an image of this size go.
    public func plan(width: Int, height: Int) throws -> TilePlan {
        try TilePlan(width: width, height: height, tileSize: tileSize, overlap: overlap)
    }
}

/// Where the tiles go: a pure function of (image size, tile size, overlap).
///
/// Along each axis tiles start every `tile − overlap` pixels; the last tile snaps to the
/// border so every tile lies inside the image and has the full tile size (unless the image
/// is smaller than a tile, then the tile is the image). Neighbouring tiles therefore overlap
/// by at least `overlap` pixels; `blendWeights` fades each tile out over its overlaps.
public struct TilePlan: Equatable, Sendable {
    public let imageWidth, imageHeight: Int
    public let tileSize, overlap: Int
    public let tiles: [PixelRect]

    public init(width: Int, height: Int, tileSize: Int, overlap: Int) throws {
        guard width > 0, height > 0 else { throw TilingError(description: "image is \(width)x\(height); nothing to tile") }
        guard tileSize >= 8 else { throw TilingError(description: "tile size \(tileSize) is too small; use at least 8") }
        guard overlap >= 0, overlap < tileSize else {
            throw TilingError(description: "overlap \(overlap) must be at least 0 and smaller than the tile size \(tileSize)")
        }
        imageWidth = width; imageHeight = height
        self.tileSize = tileSize; self.overlap = overlap
        let xs = TilePlan.starts(length: width, tile: tileSize, overlap: overlap)
        let ys = TilePlan.starts(length: height, tile: tileSize, overlap: overlap)
        var t: [PixelRect] = []
        for y in ys { for x in xs {
            t.append(PixelRect(x: x, y: y, width: min(tileSize, width), height: min(tileSize, height)))
        } }
        tiles = t
    }

    /// Start offsets along one axis.
    static func starts(length: Int, tile: Int, overlap: Int) -> [Int] {
        if length <= tile { return [0] }
        let stride = tile - overlap
        var s: [Int] = []
        var p = 0
        while p + tile < length { s.append(p); p += stride }
        s.append(length - tile)
        return s
    }

    /// One tile's blending weights (height × width, row-major): the product of two 1-D ramps
    /// that rise as a raised cosine over the pixels this tile shares with a neighbour on that
    /// side and are 1 elsewhere (at image borders there is no neighbour, so no fade).
    /// Normalising by the per-pixel sum (`weightSum`) makes them sum to 1 everywhere.
    public func blendWeights(_ i: Int) -> [Float] {
        let r = tiles[i]
        let wx = ramp(start: r.x, length: r.width, others: tiles.map { ($0.x, $0.width) }, total: imageWidth)
        let wy = ramp(start: r.y, length: r.height, others: tiles.map { ($0.y, $0.height) }, total: imageHeight)
        var w = [Float](repeating: 0, count: r.width * r.height)
        for y in 0..<r.height { for x in 0..<r.width { w[y * r.width + x] = wy[y] * wx[x] } }
        return w
    }

    private func ramp(start: Int, length: Int, others: [(Int, Int)], total: Int) -> [Float] {
        // Overlap with the nearest neighbour before and after along this axis.
        var before = 0, after = 0
        for (s, l) in others where s != start {
            if s < start && s + l > start { before = max(before, s + l - start) }
            if s > start && s < start + length { after = max(after, start + length - s) }
        }
        var w = [Float](repeating: 1, count: length)
        // Floor 1e-3 so every pixel keeps a positive total weight.
        for i in 0..<min(before, length) {
            w[i] = max(1e-3, Float(0.5 - 0.5 * cos(Double.pi * (Double(i) + 0.5) / Double(before))))
        }
        for i in 0..<min(after, length) {
            let j = length - 1 - i
            w[j] = min(w[j], max(1e-3, Float(0.5 - 0.5 * cos(Double.pi * (Double(i) + 0.5) / Double(after)))))
        }
        return w
    }

    /// Σ over tiles of their blend weights at every image pixel (height × width).
    public func weightSum() -> [Float] {
        var s = [Float](repeating: 0, count: imageWidth * imageHeight)
        for i in tiles.indices {
            let r = tiles[i], w = blendWeights(i)
            for y in 0..<r.height { for x in 0..<r.width { s[(r.y + y) * imageWidth + r.x + x] += w[y * r.width + x] } }
        }
        return s
    }
}
