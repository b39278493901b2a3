import ArgumentParser
import Foundation
import RAMModel

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show a weights file's configuration, parameter count and model card.")

    @Argument(help: "Weights (.safetensors); default: the shipped model.") var weights: String?
    @Flag(help: "Describe the paper's configuration (d=28, blocks 3,5,5,7, refinement 4) instead of a file.") var paper = false
    @Flag(help: "List the feature-tap names.") var taps = false

    func run() throws {
        try runMain {
            if paper {
                let w = try RAMWeights.random(.paper)
                print("configuration: \(RAMConfiguration.paper)")
                print("parameters:    \(group(w.parameterCount)) (\(String(format: "%.2f", Double(w.parameterCount) / 1e6)) M)")
                if taps { RAMNetwork(weights: w).tapNames.forEach { print($0) } }
                return
            }
            let path = try ShippedAssets.resolve(weights)
            let m = try RAMModelFile(path: path)
            print("file:          \(path)")
            print("configuration: \(m.configuration)")
            print("parameters:    \(group(m.weights.parameterCount)) (\(String(format: "%.2f", Double(m.weights.parameterCount) / 1e6)) M)")
            print("dtype:         \(m.dtype)")
            if let g = m.changeGuard {
                print(String(format: "guard:         pulls the output towards the input when the predicted change is small: kept share m^%g/(m^%g + (%.2f/255)^%g), m = RMS change; --no-guard turns it off",
                             g.power, g.power, g.changeRMS * 255, g.power))
            } else {
                print("guard:         none (the network's output as it is)")
            }
            if let card = m.card {
                print("card:")
                if let data = card.data(using: .utf8), let obj = try? JSONSerialization.jsonObject(with: data),
                   let pretty = try? JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys]) {
                    print(String(decoding: pretty, as: UTF8.self))
                } else { print(card) }
            }
            if taps { RAMNetwork(weights: m.weights).tapNames.forEach { print($0) } }
        }
    }
}

/// 5736339 -> "5 736 339".
func group(_ n: Int) -> String {
    let s = String(n)
    var out = ""
    for (i, ch) in s.enumerated() {
        if i > 0 && (s.count - i) % 3 == 0 { out += " " }
        out.append(ch)
    }
    return out
}
