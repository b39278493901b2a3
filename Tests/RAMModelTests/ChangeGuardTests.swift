import Foundation
import Testing
import TestSupport
@testable import RAMModel
@testable import TensorCore

/// The do-no-harm guard: its formula, its metadata, and that every plan applies it.
@Suite struct ChangeGuardTests {
    @Test func weightIsHalfAtTheThresholdAndMonotone() {
        let g = ChangeGuard(changeRMS: 2.0 / 255, power: 4)
        #expect(abs(g.weight(change: 2.0 / 255) - 0.5) < 1e-12)
        // m = 2t: 16 / 17; m = t / 2: 1 / 17.
        #expect(abs(g.weight(change: 4.0 / 255) - 16.0 / 17) < 1e-12)
        #expect(abs(g.weight(change: 1.0 / 255) - 1.0 / 17) < 1e-12)
        #expect(g.weight(change: 0) == 0)
        let ws = stride(from: 0.0, through: 0.2, by: 0.001).map { g.weight(change: $0) }
        #expect(zip(ws, ws.dropFirst()).allSatisfy { $0 <= $1 })
    }

    @Test func applyKeepsTheWeightedClampedChange() {
        // Input 0.5 everywhere; output 0.5 + 0.01 except one sample above 1 (clamped to 1).
        var x = Tensor(channels: 3, height: 4, width: 5, repeating: 0.5)
        x.data[7] = 0.9
        var f = Tensor(channels: 3, height: 4, width: 5, repeating: 0.51)
        f.data[7] = 1.4
        let g = ChangeGuard(changeRMS: 0.02, power: 2)
        // r = 0.01 on 59 samples and 0.1 on one.
        let m = ((59 * 0.0001 + 0.01) / 60).squareRoot()
        let w = m * m / (m * m + 0.0004)
        let outcome = g.apply(input: x, output: &f)
        #expect(abs(outcome.change - m) < 1e-6 && abs(outcome.weight - w) < 1e-6)
        #expect(abs(f.data[0] - Float(0.5 + w * 0.01)) < 1e-6)
        #expect(abs(f.data[7] - Float(0.9 + w * 0.1)) < 1e-6)
        #expect(f.data.allSatisfy { $0 >= 0 && $0 <= 1 })
    }

    @Test func everyPlanAppliesItToTheWholeImage() throws {
        let model = try RAMModelFile(path: Fixtures.path("tiny.weights.safetensors"))
        var rng = TestRandom(seed: 5)
        let x = Tensor(channels: 3, height: 37, width: 45, data: rng.array(3 * 37 * 45).map { 0.5 + 0.4 * $0 })
        let g = ChangeGuard(changeRMS: 0.3, power: 4)
        // One pass, streamed in 16-pixel tiles, per-tile statistics.
        for (statistics, streamTile) in [(Restorer.Statistics.wholeImage, nil), (.wholeImage, 16), (.perTile, nil)] {
            var r = Restorer(network: RAMNetwork(weights: model.weights), statistics: statistics,
                             tiling: Tiling(tileSize: 24, overlap: 8, workers: 1), streamTile: streamTile)
            #expect(r.plan(height: 37, width: 45) == (streamTile != nil ? .streamed(tiles: [16, 16, 16, 16], spill: false)
                                                      : statistics == .perTile ? r.plan(height: 37, width: 45) : .onePass))
            let raw = try r.restore(x)!
            r.changeGuard = g
            let guarded = try r.restore(x)!
            var expected = raw
            let outcome = g.apply(input: x, output: &expected)
            #expect(outcome.weight > 0.01 && outcome.weight < 0.99, "\(outcome)")
            #expect(zip(guarded.data, expected.data).allSatisfy { abs($0 - $1) < 1e-6 })
        }
    }

    func withGuard(_ text: String) throws -> String {
        let f = try Safetensors.read(path: Fixtures.path("tiny.weights.safetensors"))
        var list: [(name: String, shape: [Int], values: [Float])] = []
        for (k, e) in f.tensors where e.dtype != .i64 { list.append((k, e.shape, e.values)) }
        var meta = f.metadata
        meta["guard"] = text
        let p = NSTemporaryDirectory() + "ram-test-\(UUID().uuidString).safetensors"
        _ = FileManager.default.createFile(atPath: p, contents: try Safetensors.serialize(list, metadata: meta))
        return p
    }

    @Test func metadataGivesTheGuardOrAOneLineError() throws {
        #expect(try RAMModelFile(path: Fixtures.path("tiny.weights.safetensors")).changeGuard == nil)
        let ok = try withGuard(#"{"change_rms": 0.0078431, "power": 4}"#)
        #expect(try RAMModelFile(path: ok).changeGuard == ChangeGuard(changeRMS: 0.0078431, power: 4))
        for bad in [#"{"change_rms": 0.01, "power": 0}"#, #"{"change_rms": 2, "power": 4}"#, #"{"power": 4}"#, "4"] {
            let p = try withGuard(bad)
            do {
                _ = try RAMModelFile(path: p)
                Issue.record("accepted guard \(bad)")
            } catch {
                let text = String(describing: error)
                #expect(text.contains("\"guard\"") && !text.contains("\n"), "\(text)")
            }
        }
    }
}
