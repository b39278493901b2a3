import Foundation
import Testing
import TestSupport
@testable import RAMModel
@testable import TensorCore

/// Fixture paths (Tests/RAMModelTests/Fixtures, written by ram_training.fixtures).
enum Fixtures {
    static var directory: String { Bundle.module.path(forResource: "Fixtures", ofType: nil)! }
    static func path(_ name: String) -> String { directory + "/" + name }

    struct Case {
        let name: String, weights: String, io: String
        let taps: [String]
    }

    static var manifest: [String: Any] {
        let data = FileManager.default.contents(atPath: path("manifest.json"))!
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    static func taps(_ config: String) -> [String] {
        let configs = manifest["configs"] as! [String: Any]
        return (configs[config] as! [String: Any])["taps"] as! [String]
    }

    static func tensor(_ file: Safetensors.File, _ name: String) -> Tensor {
        let e = file.tensors[name]!
        return Tensor(channels: e.shape[0], height: e.shape[1], width: e.shape[2], data: e.values)
    }
}

/// The Swift forward pass against the PyTorch reference (the oracle), output and taps.
@Suite struct ParityTests {
    static let cases: [(weights: String, io: String, config: String)] = [
        ("tiny.weights.safetensors", "tiny.io.safetensors", "tiny"),
        ("tiny.weights.f16.safetensors", "tiny.io.f16.safetensors", "tiny"),
        ("tiny_ff.weights.safetensors", "tiny_ff.io.safetensors", "tiny_ff"),
        ("small.weights.safetensors", "small.io.safetensors", "small"),
    ]

    @Test(arguments: 0..<cases.count) func outputAndTapsMatchPyTorch(_ i: Int) throws {
        let c = Self.cases[i]
        let model = try RAMModelFile(path: Fixtures.path(c.weights))
        let io = try Safetensors.read(path: Fixtures.path(c.io))
        let input = Fixtures.tensor(io, "input")
        let expected = Fixtures.tensor(io, "output")
        let tapNames = io.tensors.keys.filter { $0.hasPrefix("tap.") }.map { String($0.dropFirst(4)) }
        let net = RAMNetwork(weights: model.weights)
        let (out, taps) = net.forward(input, taps: TapRequest(Set(tapNames)))
        let err = out.maxAbsDifference(expected)
        print("parity \(c.weights): output max abs error \(err)")
        #expect(err <= 1e-4, "output of \(c.weights) differs from PyTorch by \(err)")
        var worstTap: Float = 0
        for name in tapNames {
            let want = Fixtures.tensor(io, "tap." + name)
            guard let got = taps[name] else {
                Issue.record("tap \(name) was requested but not captured")
                continue
            }
            #expect(got.shape == want.shape, "tap \(name) shape \(got.shape) != \(want.shape)")
            if got.shape == want.shape {
                let e = got.maxAbsDifference(want)
                worstTap = max(worstTap, e)
                #expect(e <= 1e-4, "tap \(name) differs from PyTorch by \(e)")
            }
        }
        print("parity \(c.weights): \(tapNames.count) taps, worst max abs error \(worstTap)")
        #expect(taps.count == tapNames.count)
        #expect(!tapNames.isEmpty || c.io.contains("f16"))
    }

    @Test func noTapsRequestedCapturesNothing() throws {
        let model = try RAMModelFile(path: Fixtures.path("tiny.weights.safetensors"))
        let io = try Safetensors.read(path: Fixtures.path("tiny.io.safetensors"))
        let (_, taps) = RAMNetwork(weights: model.weights).forward(Fixtures.tensor(io, "input"))
        #expect(taps.isEmpty)
    }

    @Test func workspaceReuseGivesIdenticalResults() throws {
        let model = try RAMModelFile(path: Fixtures.path("tiny.weights.safetensors"))
        let io = try Safetensors.read(path: Fixtures.path("tiny.io.safetensors"))
        let input = Fixtures.tensor(io, "input")
        let net = RAMNetwork(weights: model.weights)
        let ws = Workspace()
        let a = net.forward(input, workspace: ws).output
        // A different size in between, then the first again: same bits.
        _ = net.forward(Layout.crop(input, y0: 0, x0: 0, height: 9, width: 17), workspace: ws)
        let b = net.forward(input, workspace: ws).output
        // Bit-identical: the context fixes how every sum is split, and while a pass holds
        // OpenBLAS to one thread no concurrently running test can change that.
        #expect(a.data == b.data)
        #expect(a.maxAbsDifference(Fixtures.tensor(io, "output")) <= 1e-4)
    }

    @Test func tinyAndOddInputsWork() throws {
        let model = try RAMModelFile(path: Fixtures.path("tiny.weights.safetensors"))
        let net = RAMNetwork(weights: model.weights)
        for (h, w) in [(1, 1), (2, 3), (8, 8), (5, 13)] {
            var rng = TestRandom(seed: UInt64(h * 100 + w))
            let x = Tensor(channels: 3, height: h, width: w, data: rng.array(3 * h * w).map { $0 * 0.5 + 0.5 })
            let out = net.forward(x).output
            #expect(out.shape == [3, h, w])
            #expect(out.data.allSatisfy { $0.isFinite })
        }
    }

    /// One kernel thread and two kernel threads with products split into column blocks (the
    /// default with several cores) give the same image, on an input large enough (plane ≥ 4096)
    /// to take the split path.
    @Test func threadingModesAgree() throws {
        let model = try RAMModelFile(path: Fixtures.path("small.weights.safetensors"))
        let net = RAMNetwork(weights: model.weights)
        var rng = TestRandom(seed: 5)
        let x = rng.tensor(3, 72, 96)
        let one = net.forward(x, context: ExecutionContext(threads: 1)).output
        let split = net.forward(x, context: ExecutionContext(threads: 2)).output
        #expect(one.maxAbsDifference(split) < 1e-5)
    }

    @Test func paperParameterCountMatchesReference() throws {
        let m = Fixtures.manifest
        let expected = m["paper_parameter_count"] as! Int
        #expect(try RAMWeights.parameterCount(for: .paper) == expected)
        let configs = m["configs"] as! [String: Any]
        for name in ["tiny", "tiny_ff", "small"] {
            let entry = configs[name] as! [String: Any]
            let model = try RAMModelFile(path: Fixtures.path("\(name).weights.safetensors"))
            #expect(model.weights.parameterCount == entry["parameter_count"] as! Int)
        }
    }
}
