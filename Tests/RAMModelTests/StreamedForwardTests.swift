import Foundation
import Testing
import TestSupport
@testable import RAMModel
@testable import TensorCore

/// The streamed (tile-by-tile, whole-image statistics) forward pass against the one-pass
/// forward and the PyTorch fixtures.
@Suite struct StreamedForwardTests {
    static let cases: [(weights: String, io: String)] = [
        ("tiny.weights.safetensors", "tiny.io.safetensors"),
        ("tiny_ff.weights.safetensors", "tiny_ff.io.safetensors"),
        ("small.weights.safetensors", "small.io.safetensors"),
    ]

    /// Every fixture (frequency fusion with and without, sizes not multiples of 8), several
    /// tile sizes, one and two workers, maps in memory and in temporary files: the streamed
    /// output equals PyTorch's whole-image output.
    @Test(arguments: 0..<cases.count) func matchesThePyTorchWholeImageOutput(_ i: Int) throws {
        let c = Self.cases[i]
        let net = RAMNetwork(weights: try RAMModelFile(path: Fixtures.path(c.weights)).weights)
        let io = try Safetensors.read(path: Fixtures.path(c.io))
        let input = Fixtures.tensor(io, "input"), expected = Fixtures.tensor(io, "output")
        for (tile, workers, spill) in [(8, 1, false), (16, 2, true), (24, 1, true)] {
            let s = StreamedForward(network: net, tileSize: tile, spill: spill, workers: workers)
            let out = try #require(try s.forward(input))
            let err = out.maxAbsDifference(expected)
            #expect(err <= 1e-4, "\(c.weights) streamed in \(tile)-px tiles (\(workers) workers, spill \(spill)): \(err)")
        }
    }

    /// Larger than any tile and not a multiple of 8 or of the tiles, a different tile size at
    /// every level, maps in files: streamed == one pass.
    @Test func equalsOnePassOnALargerOddImage() throws {
        let net = RAMNetwork(weights: try RAMModelFile(path: Fixtures.path("tiny_ff.weights.safetensors")).weights)
        var rng = TestRandom(seed: 3)
        let x = Tensor(channels: 3, height: 83, width: 101, data: rng.array(3 * 83 * 101).map { 0.5 + 0.4 * $0 })
        let whole = net.forward(x).output
        var steps = 0, painted = 0
        let s = StreamedForward(network: net, tileSizes: [32, 16, 24, 8], spill: true, workers: 2)
        let out = try #require(try s.forward(x) { p in
            steps += 1
            if let o = p.output { painted += o.rect.width * o.rect.height }
        })
        let err = out.maxAbsDifference(whole)
        #expect(err <= 2e-5, "streamed vs one pass: \(err)")
        #expect(steps == s.steps(height: 83, width: 101))
        #expect(painted == 83 * 101)  // the last stage paints every pixel exactly once
    }

    /// An image whose halves differ strongly: per-tile statistics change the answer (each half
    /// adapts to itself), whole-image statistics do not.
    @Test func darkAndBrightHalvesNeedWholeImageStatistics() throws {
        let net = RAMNetwork(weights: try RAMModelFile(path: Fixtures.path("tiny.weights.safetensors")).weights)
        var rng = TestRandom(seed: 11)
        let h = 64, w = 64
        var x = Tensor(channels: 3, height: h, width: w)
        for c in 0..<3 { for y in 0..<h { for xx in 0..<w {
            x[c, y, xx] = (y < h / 2 ? 0.05 : 0.9) + 0.05 * rng.next()
        } } }
        let whole = net.forward(x).output
        let streamed = try #require(try StreamedForward(network: net, tileSize: 32).forward(x))
        let perTile = try #require(try TiledRestorer(network: net, tiling: Tiling(tileSize: 32, overlap: 0)).restore(x))
        let streamedError = streamed.maxAbsDifference(whole), perTileError = perTile.maxAbsDifference(whole)
        #expect(streamedError <= 2e-5)
        #expect(perTileError > 1e-2, "per-tile statistics should differ from the whole image's; got \(perTileError)")
    }

    @Test func cancellationStopsBetweenTiles() throws {
        let net = RAMNetwork(weights: try RAMModelFile(path: Fixtures.path("tiny.weights.safetensors")).weights)
        let flag = CancellationFlag()
        var seen = 0
        let r = try StreamedForward(network: net, tileSize: 16).forward(Tensor(channels: 3, height: 64, width: 64), cancel: flag) { _ in
            seen += 1
            if seen == 5 { flag.cancel() }
        }
        #expect(r == nil)
        #expect(seen == 5)
    }

    /// The attention's sufficient statistics summed over parts equal those of the whole.
    @Test func attentionSumsAddUp() {
        var rng = TestRandom(seed: 2)
        let heads = 2, ch = 3, n = 50
        let q = rng.array(heads * ch * n), k = rng.array(heads * ch * n)
        var whole = AttentionSums(heads: heads, channelsPerHead: ch)
        var a = whole, b = whole
        q.withUnsafeBufferPointer { qb in
            k.withUnsafeBufferPointer { kb in
                whole.accumulate(q: qb.baseAddress!, k: kb.baseAddress!, stride: n, from: 0, count: n, context: .default)
                a.accumulate(q: qb.baseAddress!, k: kb.baseAddress!, stride: n, from: 0, count: 17, context: .default)
                b.accumulate(q: qb.baseAddress!, k: kb.baseAddress!, stride: n, from: 17, count: n - 17, context: .default)
            }
        }
        a.add(b)
        for i in whole.qk.indices { #expect(abs(whole.qk[i] - a.qk[i]) < 1e-5) }
        // And the matrices equal ChannelAttention's: apply with v = identity rows recovers A.
        let t: [Float] = [0.7, 1.3]
        let m = whole.matrices(temperature: t)
        var qc = q, kc = k
        // A one-hot v (pixel j of row j is 1) makes out[i][j] = A[i][j].
        var vn = [Float](repeating: 0, count: heads * ch * n), outn = vn
        for h in 0..<heads { for i in 0..<ch { vn[(h * ch + i) * n + i] = 1 } }
        qc.withUnsafeMutableBufferPointer { qb in
            kc.withUnsafeMutableBufferPointer { kb in
                ChannelAttention.apply(q: qb.baseAddress!, k: kb.baseAddress!, v: vn, heads: heads, channelsPerHead: ch,
                                       n: n, temperature: t, out: &outn, context: .default)
            }
        }
        for h in 0..<heads { for i in 0..<ch { for j in 0..<ch {
            #expect(abs(outn[(h * ch + i) * n + j] - m[h][i * ch + j]) < 1e-5)
        } } }
    }
}

/// Statistics pooled over crops, and the viewer's first paint.
@Suite(.serialized) struct PooledStatisticsTests {
    func net() throws -> RAMNetwork {
        RAMNetwork(weights: try RAMModelFile(path: Fixtures.path("tiny.weights.safetensors")).weights)
    }

    /// Two members restoring the same image pool to that image's own statistics.
    @Test func poolingAnImageWithItselfChangesNothing() throws {
        let n = try net()
        var rng = TestRandom(seed: 8)
        let x = Tensor(channels: 3, height: 40, width: 48, data: rng.array(3 * 40 * 48).map { 0.5 + 0.4 * $0 })
        let own = n.forward(x).output
        let table = StatisticsPool.measure(n, crops: [x, x])
        let fixed = n.forward(x, statistics: .fixed(table)).output
        #expect(fixed.maxAbsDifference(own) <= 2e-5)
        // And with statistics from a different image the answer changes.
        let other = StatisticsPool.measure(n, crops: [Tensor(channels: 3, height: 40, width: 48, repeating: 0.1)])
        #expect(n.forward(x, statistics: .fixed(other)).output.maxAbsDifference(own) > 1e-3)
    }

    @Test func cropsAreSpreadInsideTheImage() {
        let r = StatisticsPool.cropRects(height: 768, width: 1024, side: 256)
        #expect(r.count == 4 && Set(r).count == 4)
        #expect(r.allSatisfy { $0.x >= 0 && $0.y >= 0 && $0.x + $0.width <= 1024 && $0.y + $0.height <= 768 && $0.width == 256 })
        #expect(StatisticsPool.cropRects(height: 100, width: 300, side: 256)
                == [PixelRect(x: 25, y: 0, width: 100, height: 100), PixelRect(x: 175, y: 0, width: 100, height: 100)])
    }

    /// With a first paint, first-paint tiles come first, then the exact result, which is the
    /// same as without one.
    @Test func firstPaintComesBeforeTheExactResult() throws {
        var rng = TestRandom(seed: 12)
        let x = Tensor(channels: 3, height: 40, width: 72, data: rng.array(3 * 40 * 72).map { 0.5 + 0.3 * $0 })
        var r = Restorer(network: try net(), tiling: Tiling(tileSize: 32, overlap: 8, workers: 2))
        let exact = try #require(try r.restore(x))
        r.firstPaint = true
        var stages: [RestoreStage] = []
        let out = try #require(try r.restore(x) { stages.append($0.stage) })
        #expect(out.maxAbsDifference(exact) <= 1e-5)
        let firsts = stages.prefix { $0 == .firstPaint }.count
        #expect(firsts == 6)  // 32-px tiles over 40×72 with 8 px overlap: 2 × 3
        #expect(stages.dropFirst(firsts).allSatisfy { $0 == .exact } && stages.count > firsts)
    }
}
