import Foundation
import Testing
@testable import RAMModel
@testable import TensorCore

/// Malformed weights give one-line errors that name the problem.
@Suite struct WeightsLoaderTests {
    let tinyPath = Fixtures.path("tiny.weights.safetensors")

    func tinyFile() throws -> Safetensors.File { try Safetensors.read(path: tinyPath) }

    func write(_ data: Data) -> String {
        let p = NSTemporaryDirectory() + "ram-test-\(UUID().uuidString).safetensors"
        _ = FileManager.default.createFile(atPath: p, contents: data)
        return p
    }

    func reserialize(_ f: Safetensors.File, drop: String? = nil, reshape: (String, [Int])? = nil) throws -> String {
        var list: [(name: String, shape: [Int], values: [Float])] = []
        for (k, e) in f.tensors where k != drop && e.dtype != .i64 {
            if let r = reshape, r.0 == k { list.append((k, r.1, e.values)) } else { list.append((k, e.shape, e.values)) }
        }
        return write(try Safetensors.serialize(list, metadata: f.metadata))
    }

    func loadError(_ path: String) -> String {
        do {
            _ = try RAMModelFile(path: path)
            return ""
        } catch { return String(describing: error) }
    }

    @Test func missingTensorIsNamed() throws {
        let p = try reserialize(try tinyFile(), drop: "latent.1.attn.gatedcnn.W_depth.weight")
        let msg = loadError(p)
        #expect(msg.contains("missing") && msg.contains("`latent.1.attn.gatedcnn.W_depth.weight`"))
        #expect(!msg.contains("\n"))
    }

    @Test func wrongShapeIsNamed() throws {
        let f = try tinyFile()
        let key = "encoder_level1.0.ffn.project_out.weight"
        let shape = f.tensors[key]!.shape
        let p = try reserialize(f, reshape: (key, [shape[1], shape[0], 1, 1]))
        let msg = loadError(p)
        #expect(msg.contains("wrong shape") && msg.contains(key))
    }

    @Test func unexpectedTensorIsNamed() throws {
        var f = try tinyFile()
        f.tensors["extra.weight"] = .init(dtype: .f32, shape: [2], values: [1, 2])
        let msg = loadError(try reserialize(f))
        #expect(msg.contains("unexpected") && msg.contains("`extra.weight`"))
    }

    @Test func truncatedDataIsNamed() throws {
        let data = FileManager.default.contents(atPath: tinyPath)!
        let msg = loadError(write(data.prefix(data.count - 1000)))
        #expect(msg.contains("truncated"))
        #expect(!msg.contains("\n"))
    }

    /// A weights file that does not exist is a missing input (exit status 66), a damaged one bad data (65).
    @Test func exitStatusOfWeightsErrors() throws {
        let missing = #expect(throws: Safetensors.Error.self) { try RAMModelFile(path: "/nonexistent/w.safetensors") }
        #expect(missing?.exitStatus == .noInput)
        let data = FileManager.default.contents(atPath: tinyPath)!
        let damaged = #expect(throws: Safetensors.Error.self) { try RAMModelFile(path: write(data.prefix(data.count - 1000))) }
        #expect(damaged?.exitStatus == .dataError)
    }

    @Test func corruptHeaders() throws {
        let data = FileManager.default.contents(atPath: tinyPath)!
        // Header length far past the end of the file.
        var bad = data
        bad[0] = 0xff; bad[1] = 0xff; bad[2] = 0xff
        #expect(loadError(write(bad)).contains("header"))
        // JSON garbage.
        var garbled = data
        for i in 8..<40 { garbled[i] = 0x7b }
        #expect(loadError(write(garbled)).contains("JSON"))
        // Too short to hold a length.
        #expect(loadError(write(Data([1, 2, 3]))).contains("too short"))
        // Not a file.
        #expect(loadError("/nonexistent/w.safetensors").contains("does not exist"))
    }

    @Test func dtypeSpanMismatchAndOverlap() throws {
        func file(_ header: String, dataBytes: Int) -> Data {
            var h = Data(header.utf8)
            while h.count % 8 != 0 { h.append(0x20) }
            var d = Data()
            var n = UInt64(h.count)
            for _ in 0..<8 { d.append(UInt8(n & 0xff)); n >>= 8 }
            d.append(h)
            d.append(Data(count: dataBytes))
            return d
        }
        let mismatch = file(#"{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}"#, dataBytes: 16)
        #expect(throws: Safetensors.Error.self) { try Safetensors.parse(mismatch) }
        do { _ = try Safetensors.parse(mismatch) } catch { #expect(String(describing: error).contains("`a`")) }
        let overlap = file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, dataBytes: 16)
        do { _ = try Safetensors.parse(overlap); Issue.record("overlap accepted") } catch {
            #expect(String(describing: error).contains("overlap"))
        }
        let dtype = file(#"{"a":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}}"#, dataBytes: 8)
        do { _ = try Safetensors.parse(dtype); Issue.record("bad dtype accepted") } catch {
            #expect(String(describing: error).contains("dtype"))
        }
    }

    @Test func roundTripF32AndF16() throws {
        let vals: [Float] = [0, 1, -2.5, 65504, 1e-3]
        for dt in [Safetensors.DType.f32, .f16] {
            let d = try Safetensors.serialize([("x", [5], vals)], dtype: dt, metadata: ["format": "ram"])
            let f = try Safetensors.parse(d)
            #expect(f.metadata["format"] == "ram")
            let got = f.tensors["x"]!.values
            for (a, b) in zip(got, vals) { #expect(abs(a - b) <= (dt == .f32 ? 0 : abs(b) * 1e-3)) }
        }
    }

    @Test func configurationValidation() {
        var c = RAMConfiguration.paper
        c.heads = [1, 2, 4, 9]
        #expect(throws: RAMError.self) { try c.validate() }
        #expect(throws: Never.self) { try RAMConfiguration.paper.validate() }
    }
}
