import Foundation
import Testing
import TestSupport
@testable import RAMModel
@testable import TensorCore

@Suite struct TilingTests {
    @Test func planCoversImageAndSnapsToBorders() throws {
        let p = try TilePlan(width: 300, height: 130, tileSize: 128, overlap: 16)
        #expect(p.tiles.allSatisfy { $0.x >= 0 && $0.y >= 0 && $0.x + $0.width <= 300 && $0.y + $0.height <= 130 })
        #expect(p.tiles.allSatisfy { $0.width == 128 && $0.height == 128 })
        #expect(p.tiles.contains { $0.x + $0.width == 300 && $0.y + $0.height == 130 })
        var covered = [Bool](repeating: false, count: 300 * 130)
        for r in p.tiles { for y in r.y..<(r.y + r.height) { for x in r.x..<(r.x + r.width) { covered[y * 300 + x] = true } } }
        #expect(covered.allSatisfy { $0 })
        #expect(TilePlan.starts(length: 300, tile: 128, overlap: 16) == [0, 112, 172])
    }

    @Test func tileLargerThanImageIsOneTile() throws {
        let p = try TilePlan(width: 50, height: 20, tileSize: 256, overlap: 32)
        #expect(p.tiles == [PixelRect(x: 0, y: 0, width: 50, height: 20)])
    }

    @Test func badParametersAreRefused() {
        #expect(throws: TilingError.self) { try TilePlan(width: 100, height: 100, tileSize: 64, overlap: 64) }
        #expect(throws: TilingError.self) { try TilePlan(width: 100, height: 100, tileSize: 64, overlap: -1) }
        #expect(throws: TilingError.self) { try TilePlan(width: 0, height: 100, tileSize: 64, overlap: 8) }
        #expect(throws: TilingError.self) { try TilePlan(width: 10, height: 10, tileSize: 4, overlap: 0) }
        do { _ = try TilePlan(width: 100, height: 100, tileSize: 64, overlap: 80) } catch {
            #expect(String(describing: error).contains("overlap 80"))
        }
    }

    @Test func normalisedWeightsSumToOneAndFadeSmoothly() throws {
        let p = try TilePlan(width: 100, height: 70, tileSize: 40, overlap: 12)
        let sum = p.weightSum()
        var total = [Float](repeating: 0, count: 100 * 70)
        for i in p.tiles.indices {
            let r = p.tiles[i], w = p.blendWeights(i)
            for y in 0..<r.height { for x in 0..<r.width {
                let q = (r.y + y) * 100 + r.x + x
                total[q] += w[y * r.width + x] / sum[q]
            } }
            // Interior tile edges fade: the first column of a tile that has a left neighbour is small.
            if r.x > 0 { #expect(w[r.width / 2 * r.width] < 0.05) }
            // Image borders do not fade.
            if r.x == 0 && r.y == 0 { #expect(w[0] == 1) }
        }
        #expect(total.allSatisfy { abs($0 - 1) < 1e-5 })
    }

    func tinyNetwork() throws -> RAMNetwork {
        RAMNetwork(weights: try RAMModelFile(path: Fixtures.path("tiny.weights.safetensors")).weights)
    }

    func image(_ h: Int, _ w: Int) -> Tensor {
        var rng = TestRandom(seed: 9)
        var t = Tensor(channels: 3, height: h, width: w)
        for c in 0..<3 { for y in 0..<h { for x in 0..<w {
            t[c, y, x] = 0.5 + 0.3 * sin(Float(x) / 7 + Float(c)) * cos(Float(y) / 5) + 0.05 * rng.next()
        } } }
        return t
    }

    @Test func wholeImageTileIsExactlyUntiled() throws {
        let net = try tinyNetwork()
        let x = image(45, 61)
        let untiled = net.forward(x).output
        let tiled = try TiledRestorer(network: net, tiling: Tiling(tileSize: 64, overlap: 8)).restore(x)!
        #expect(tiled.maxAbsDifference(untiled) == 0)
    }

    @Test func realTilesBlendAndAreIndependentOfWorkerCount() throws {
        let net = try tinyNetwork()
        let x = image(70, 90)
        var seen: [Int] = []
        let one = try TiledRestorer(network: net, tiling: Tiling(tileSize: 32, overlap: 8, workers: 1)).restore(x) { seen.append($0.index) }!
        let two = try TiledRestorer(network: net, tiling: Tiling(tileSize: 32, overlap: 8, workers: 2)).restore(x)!
        // Same tiles, same blending order, every sum split the same way: the same bits.
        #expect(one.data == two.data)
        #expect(seen.sorted() == Array(0..<seen.count) && seen.count == 12)
        #expect(one.data.allSatisfy { $0.isFinite })
    }

    @Test func defaultWorkersAreOnePerCoreBounded() {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        #expect(Restorer.defaultWorkers == min(Restorer.maxDefaultWorkers, max(1, cores)))
        #expect((1...Restorer.maxDefaultWorkers).contains(Restorer.defaultWorkers))
    }

    @Test func cancellationStopsBetweenTiles() throws {
        let net = try tinyNetwork()
        let flag = CancellationFlag()
        var tiles = 0
        let r = try TiledRestorer(network: net, tiling: Tiling(tileSize: 16, overlap: 4)).restore(image(64, 64), cancel: flag) { _ in
            tiles += 1
            if tiles == 2 { flag.cancel() }
        }
        #expect(r == nil)
        #expect(tiles == 2)
    }
}
