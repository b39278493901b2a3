import TensorCore

/// Scratch tensors for one forward pass, reused across calls (and across tiles) so the
/// hot path does not allocate per layer: every buffer keeps its capacity through
/// `Tensor.reshape`, grows to the largest shape it ever holds, then stays. One workspace
/// per worker thread; not shared.
public final class Workspace {
    // Main stream and U-Net skips.
    var x = Tensor(channels: 0, height: 0, width: 0)
    var e1 = Tensor(channels: 0, height: 0, width: 0)
    var e2 = Tensor(channels: 0, height: 0, width: 0)
    var e3 = Tensor(channels: 0, height: 0, width: 0)
    var padded = Tensor(channels: 0, height: 0, width: 0)
    var t1 = Tensor(channels: 0, height: 0, width: 0)
    var t2 = Tensor(channels: 0, height: 0, width: 0)
    // Block internals.
    var ln = Tensor(channels: 0, height: 0, width: 0)
    var xAtt = Tensor(channels: 0, height: 0, width: 0)
    var xGate = Tensor(channels: 0, height: 0, width: 0)
    var qkv1 = Tensor(channels: 0, height: 0, width: 0)
    var qkv = Tensor(channels: 0, height: 0, width: 0)
    var outAtt = Tensor(channels: 0, height: 0, width: 0)
    var outGate = Tensor(channels: 0, height: 0, width: 0)
    var fused = Tensor(channels: 0, height: 0, width: 0)
    var ffn1 = Tensor(channels: 0, height: 0, width: 0)
    var ffnGate = Tensor(channels: 0, height: 0, width: 0)
    // GatedDA internals.
    var bn = Tensor(channels: 0, height: 0, width: 0)
    var expanded = Tensor(channels: 0, height: 0, width: 0)
    var gate = Tensor(channels: 0, height: 0, width: 0)
    var conv3Scratch: [Float] = []

    public init() {}

    /// Floats currently held (for memory reports).
    public var footprint: Int {
        [x, e1, e2, e3, padded, t1, t2, ln, xAtt, xGate, qkv1, qkv, outAtt, outGate, fused, ffn1,
         ffnGate, bn, expanded, gate].reduce(conv3Scratch.capacity) { $0 + $1.data.capacity }
    }
}
