import Foundation
import Testing
@testable import RAMModel
@testable import TensorCore

/// Weights from the public AnyIR/RAM code's checkpoints (fixtures `public_ff.*`, written by
/// ram_training.fixtures from ram_training.convert.anyir_public, which follows that code's
/// parameter names, shapes and defaults). The expected outputs are that module's own, not
/// our reference's.
@Suite struct PublicCheckpointTests {
    static let f32Path = Fixtures.path("public_ff.weights.safetensors")
    static let bf16Path = Fixtures.path("public_ff.weights.bf16.safetensors")

    func output(_ weights: String) throws -> (Tensor, Safetensors.File) {
        let model = try RAMModelFile(path: weights)
        let io = try Safetensors.read(path: Fixtures.path("public_ff.io.safetensors"))
        let (out, _) = RAMNetwork(weights: model.weights).forward(Fixtures.tensor(io, "input"))
        return (out, io)
    }

    /// The public code saves `attn.lam` as a 0-dim tensor and keeps BatchNorm's
    /// `num_batches_tracked`; the file loads and computes the public module's output.
    @Test func zeroDimLambdaLoadsAndMatchesThePublicModule() throws {
        let file = try Safetensors.read(path: Self.f32Path)
        let lams = file.tensors.filter { $0.key.hasSuffix(".attn.lam") }
        #expect(lams.count == 9 && lams.values.allSatisfy { $0.shape == [] && $0.dtype == .f32 })
        #expect(file.tensors.keys.contains { $0.hasSuffix("num_batches_tracked") })
        let model = try RAMModelFile(path: Self.f32Path)
        #expect(model.configuration.frequencyFusion)
        // The scalar is read: lam is random in [0.2, 0.8], never the zeros a failed bind gives.
        let bound = model.weights.blocks.map { $0.mixer.lambda! }
        #expect(bound.count == 9 && bound.allSatisfy { $0 >= 0.2 && $0 <= 0.8 })
        #expect(bound[0] == lams["encoder_level1.0.attn.lam"]!.values[0])
        let (out, io) = try output(Self.f32Path)
        let err = out.maxAbsDifference(Fixtures.tensor(io, "output"))
        print("public_ff fp32: output max abs error vs the public-style module \(err)")
        #expect(err <= 1e-4)
    }

    /// BF16 weights (converted from a Lightning .ckpt) load exactly (bf16 -> f32 is exact):
    /// the output matches the public module run on the same bf16-rounded weights to 1e-4, and
    /// differs from the fp32 weights' output by at most 0.03 (measured when the fixture was
    /// made: max 0.0153, mean 0.0026, outputs of magnitude up to 1.23).
    @Test func bf16FileLoadsAndMatchesF32WithinTolerance() throws {
        let file = try Safetensors.read(path: Self.bf16Path)
        #expect(file.tensors.values.allSatisfy { $0.dtype == .bf16 })
        #expect(file.tensors["encoder_level1.0.attn.lam"]?.shape == [1])
        #expect(!file.tensors.keys.contains { $0.hasSuffix("num_batches_tracked") })
        #expect(try RAMModelFile(path: Self.bf16Path).dtype == "BF16")
        let (out16, io) = try output(Self.bf16Path)
        let exact = out16.maxAbsDifference(Fixtures.tensor(io, "output_bf16"))
        #expect(exact <= 1e-4, "bf16 weights: \(exact) from the public module on the same weights")
        let (out32, _) = try output(Self.f32Path)
        let d = out16.maxAbsDifference(out32)
        let mean = zip(out16.data, out32.data).map { abs($0 - $1) }.reduce(0, +) / Float(out16.data.count)
        print("public_ff bf16 vs fp32 weights: output max abs \(d), mean \(mean)")
        #expect(d <= 0.03 && mean <= 0.005)
        #expect(d > 0, "bf16 rounding must change something, or the file is not bf16")
    }

    /// lam of any other shape is refused and named, with the accepted shapes.
    @Test func lambdaOfAnotherShapeIsRefused() throws {
        var f = try Safetensors.read(path: Self.f32Path)
        f.tensors["latent.1.attn.lam"] = .init(dtype: .f32, shape: [2], values: [0.5, 0.5])
        let list = f.tensors.filter { $0.value.dtype != .i64 }.map { (name: $0.key, shape: $0.value.shape, values: $0.value.values) }
        let p = NSTemporaryDirectory() + "ram-test-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: p) }
        _ = FileManager.default.createFile(atPath: p, contents: try Safetensors.serialize(list, metadata: f.metadata))
        do {
            _ = try RAMModelFile(path: p)
            Issue.record("a lam of shape [2] was accepted")
        } catch {
            let msg = String(describing: error)
            #expect(msg.contains("`latent.1.attn.lam` is [2], expected [] or [1]"), "\(msg)")
            #expect(!msg.contains("\n"))
        }
    }

    /// bf16 is the top half of an f32: decoding is a 16-bit shift, encoding rounds to nearest
    /// even; a file written as BF16 reads back as the rounded values.
    @Test func bf16RoundTrip() throws {
        #expect(Safetensors.bfloat16Bits(1.0) == 0x3f80)
        #expect(Safetensors.bfloat16Bits(-2.5) == 0xc020)
        #expect(Safetensors.bfloat16Bits(1 + 1.0 / 256) == 0x3f80)          // tie -> even
        #expect(Safetensors.bfloat16Bits(1 + 3.0 / 256) == 0x3f82)          // tie -> even (up)
        #expect(Safetensors.bfloat16Bits(1 + 1.0 / 256 + 1.0 / 65536) == 0x3f81)
        #expect(Safetensors.bfloat16Bits(Float.greatestFiniteMagnitude) == 0x7f80)  // rounds to inf
        #expect(Float(bitPattern: UInt32(Safetensors.bfloat16Bits(.nan)) << 16).isNaN)
        let vals: [Float] = [0, 1, -2.5, 3.140625, 1e-3, 65504, 3e38, -7.5e-30]
        let d = try Safetensors.serialize([("x", [2, 4], vals)], dtype: .bf16)
        let e = try Safetensors.parse(d).tensors["x"]!
        #expect(e.dtype == .bf16 && e.shape == [2, 4])
        for (got, v) in zip(e.values, vals) {
            #expect(got == Float(bitPattern: UInt32(Safetensors.bfloat16Bits(v)) << 16))
            #expect(abs(got - v) <= abs(v) / 256, "\(v) -> \(got)")
        }
        // 0-dim tensors: one value.
        let s = try Safetensors.parse(try Safetensors.serialize([("s", [], [0.75])], dtype: .bf16)).tensors["s"]!
        #expect(s.shape == [] && s.values == [0.75])
    }
}
