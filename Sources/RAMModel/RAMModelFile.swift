import Foundation
import TensorCore

/// A weights file as loaded: configuration (from `__metadata__["config"]`), the bound
/// weight tree, the model card (free JSON, kept as text) and the do-no-harm guard
/// (`__metadata__["guard"]`, `ChangeGuard`), when the file carries one.
public struct RAMModelFile: Sendable {
    public let path: String
    public let weights: RAMWeights
    public let card: String?
    public let changeGuard: ChangeGuard?
    public let dtype: String

    public var configuration: RAMConfiguration { weights.configuration }

    /// Throws `Safetensors.Error` when the file cannot be read as safetensors, `RAMError` when
    /// its metadata or tensors do not make a network.
    public init(path: String) throws {
        let file = try Safetensors.read(path: path)
        self.path = path
        if let format = file.metadata["format"], format != "ram" {
            throw RAMError.weights("\(path): metadata format is \"\(format)\", expected \"ram\"")
        }
        guard let cfgText = file.metadata["config"] else {
            throw RAMError.weights("\(path): no \"config\" in the safetensors metadata; convert checkpoints with python3 -m ram_training.convert")
        }
        let cfg: RAMConfiguration
        do { cfg = try JSONDecoder().decode(RAMConfiguration.self, from: Data(cfgText.utf8)) } catch {
            throw RAMError.weights("\(path): metadata \"config\" is not a valid configuration (\(error))")
        }
        do { weights = try RAMWeights(configuration: cfg, tensors: file.tensors) } catch let e as RAMError {
            throw RAMError.weights("\(path): \(e.description)")
        }
        card = file.metadata["card"]
        if let text = file.metadata["guard"] {
            let g: ChangeGuard
            do { g = try JSONDecoder().decode(ChangeGuard.self, from: Data(text.utf8)) } catch {
                throw RAMError.weights("\(path): metadata \"guard\" is not {\"change_rms\": …, \"power\": …} (\(error))")
            }
            changeGuard = try g.validated(source: path)
        } else {
            changeGuard = nil
        }
        let dtypes = Set(file.tensors.values.filter { $0.dtype != .i64 }.map { $0.dtype.rawValue })
        dtype = dtypes.sorted().joined(separator: "+")
    }
}
