import ArgumentParser
import Foundation
import RAMModel
import TensorCore

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Time the forward pass.")

    @Option(help: "Comma-separated square sizes.") var sizes: String = "256,512"
    @Option(help: "Timed runs per size (after one warm-up).") var runs: Int = 3
    @Flag(help: "Random weights in the paper configuration instead of a file.") var paper = false
    @OptionGroup var weights: WeightsOptions
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        try runMain {
            let w: RAMWeights = paper ? try RAMWeights.random(.paper) : try weights.load().weights
            let net = RAMNetwork(weights: w)
            let ws = Workspace()
            var results: [[String: Any]] = []
            for s in sizes.split(separator: ",").compactMap({ Int($0) }) {
                var x = Tensor(channels: 3, height: s, width: s)
                for i in 0..<x.count { x.data[i] = Float(i % 251) / 251 }
                _ = net.forward(x, workspace: ws)
                var times: [Double] = []
                Profile.reset()
                Profile.enabled = true
                for _ in 0..<runs {
                    let t0 = Date()
                    _ = net.forward(x, workspace: ws)
                    times.append(Date().timeIntervalSince(t0))
                }
                Profile.enabled = false
                let stages = Profile.snapshot.map { ($0.0, $0.1 / Double(runs)) }
                let best = times.min()!, median = times.sorted()[times.count / 2]
                results.append(["size": s, "best_s": best, "median_s": median, "runs": runs])
                if !json {
                    print(String(format: "%dx%d: %.3f s best, %.3f s median over %d runs (%@)", s, s, best, median, runs, "\(w.configuration)"))
                    for (stage, t) in stages { print(String(format: "    %-48@ %7.1f ms/run", stage.rawValue, t * 1000)) }
                }
            }
            if json { print(String(decoding: try JSONSerialization.data(withJSONObject: results, options: [.sortedKeys]), as: UTF8.self)) }
        }
    }
}
