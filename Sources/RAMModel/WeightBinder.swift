import TensorCore

/// Binds checkpoint tensors to the weight tree. Each component asks for its tensors by
/// checkpoint key and expected shape (so names and shapes are declared once, next to the
/// Swift field they fill); the binder records every missing and wrong-shaped key, and
/// afterwards every key nobody asked for, so the loader can report them all at once.
final class WeightBinder {
    private let tensors: [String: Safetensors.Entry]
    /// When set, `take` returns deterministic random values of the asked shape instead of
    /// reading tensors (for benchmarks and parameter counts without a file).
    private var random: SeededRandom?
    private var used = Set<String>()
    private(set) var missing: [String] = []
    private(set) var wrongShape: [String] = []
    private(set) var parameterCount = 0

    init(_ tensors: [String: Safetensors.Entry]) { self.tensors = tensors }

    init(randomSeed: UInt64) {
        tensors = [:]
        random = SeededRandom(seed: randomSeed)
    }

    /// Fan-in scaled uniform values; BatchNorm variances stay positive.
    private func randomValues(_ key: String, _ shape: [Int]) -> [Float] {
        let n = shape.reduce(1, *)
        let fanIn = shape.count == 4 ? shape[1] * shape[2] * shape[3] : 1
        let scale = key.hasSuffix("running_var") ? 0 : (shape.count == 4 ? 1 / Float(fanIn).squareRoot() : 0.1)
        let base: Float = key.hasSuffix("running_var") || key.hasSuffix("norm1.body.weight") || key.hasSuffix("norm2.body.weight")
            || key.hasSuffix("norm.weight") || key.hasSuffix("temperature") ? 1 : 0
        var out = [Float](repeating: 0, count: n)
        for i in 0..<n { out[i] = base + scale * random!.signedUnit() }
        return out
    }

    /// The values of `key`, which must have exactly `shape`. Returns zeros when it doesn't
    /// (the problem is recorded and the load fails at the end).
    func take(_ key: String, _ shape: [Int], parameter: Bool = true) -> [Float] {
        let n = shape.reduce(1, *)
        if parameter { parameterCount += n }
        if random != nil { return randomValues(key, shape) }
        guard let e = tensors[key] else {
            missing.append(key)
            return [Float](repeating: 0, count: n)
        }
        used.insert(key)
        guard e.shape == shape else {
            wrongShape.append("`\(key)` is \(e.shape), expected \(shape)")
            return [Float](repeating: 0, count: n)
        }
        return e.values
    }

    /// A single value stored as a 0-dim tensor (shape [], as the public AnyIR code saves
    /// `nn.Parameter(torch.tensor(x))`) or as shape [1] (docs/NETWORK.md); both are accepted.
    func takeScalar(_ key: String) -> Float {
        parameterCount += 1
        if random != nil { return randomValues(key, [1])[0] }
        guard let e = tensors[key] else {
            missing.append(key)
            return 0
        }
        used.insert(key)
        guard e.shape == [] || e.shape == [1], e.values.count == 1 else {
            wrongShape.append("`\(key)` is \(e.shape), expected [] or [1]")
            return 0
        }
        return e.values[0]
    }

    /// BatchNorm's `num_batches_tracked` is bookkeeping: accepted when present, never required.
    func ignore(_ key: String) { if tensors[key] != nil { used.insert(key) } }

    var unexpected: [String] { tensors.keys.filter { !used.contains($0) }.sorted() }

    /// One line listing every problem, or nil when the file matches the configuration.
    func problems() -> String? {
        var parts: [String] = []
        func list(_ title: String, _ items: [String], quote: Bool) {
            guard !items.isEmpty else { return }
            let shown = items.prefix(8).map { quote ? "`\($0)`" : $0 }.joined(separator: ", ")
            parts.append("\(items.count) \(title): \(shown)" + (items.count > 8 ? ", and \(items.count - 8) more" : ""))
        }
        list("missing", missing, quote: true)
        list("with the wrong shape", wrongShape, quote: false)
        list("unexpected", unexpected, quote: true)
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }
}
