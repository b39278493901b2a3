import Foundation
import TensorCore

/// The numbers that define a RAM network (see docs/NETWORK.md). Stored as JSON in the
/// weights file's `__metadata__["config"]`, with these exact keys.
public struct RAMConfiguration: Codable, Equatable, Sendable, CustomStringConvertible {
    public var dim: Int
    public var numBlocks: [Int]
    public var numRefinement: Int
    public var heads: [Int]
    public var ffnFactor: Double
    public var frequencyFusion: Bool

    enum CodingKeys: String, CodingKey {
        case dim
        case numBlocks = "num_blocks"
        case numRefinement = "num_refinement"
        case heads
        case ffnFactor = "ffn_factor"
        case frequencyFusion = "frequency_fusion"
    }

    public init(dim: Int, numBlocks: [Int], numRefinement: Int, heads: [Int] = [1, 2, 4, 8],
                ffnFactor: Double = 2.0, frequencyFusion: Bool = false) {
        self.dim = dim
        self.numBlocks = numBlocks
        self.numRefinement = numRefinement
        self.heads = heads
        self.ffnFactor = ffnFactor
        self.frequencyFusion = frequencyFusion
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        dim = try c.decode(Int.self, forKey: .dim)
        numBlocks = try c.decode([Int].self, forKey: .numBlocks)
        numRefinement = try c.decode(Int.self, forKey: .numRefinement)
        heads = try c.decodeIfPresent([Int].self, forKey: .heads) ?? [1, 2, 4, 8]
        ffnFactor = try c.decodeIfPresent(Double.self, forKey: .ffnFactor) ?? 2.0
        frequencyFusion = try c.decodeIfPresent(Bool.self, forKey: .frequencyFusion) ?? false
    }

    /// The paper's configuration: d = 28, blocks (3, 5, 5, 7), refinement 4, ffn 2.
    public static let paper = RAMConfiguration(dim: 28, numBlocks: [3, 5, 5, 7], numRefinement: 4)

    /// Checks the invariants the network needs; the message names the offending field.
    public func validate() throws {
        func fail(_ m: String) throws -> Never { throw RAMError.invalidConfiguration(m) }
        if dim <= 0 || dim % 2 != 0 { try fail("dim must be a positive even number, got \(dim)") }
        if numBlocks.count != 4 || numBlocks.contains(where: { $0 < 0 }) {
            try fail("num_blocks must be 4 non-negative integers, got \(numBlocks)")
        }
        if heads.count != 4 || heads.contains(where: { $0 <= 0 }) { try fail("heads must be 4 positive integers, got \(heads)") }
        if numRefinement < 0 { try fail("num_refinement must be ≥ 0, got \(numRefinement)") }
        if !(ffnFactor > 0) { try fail("ffn_factor must be positive, got \(ffnFactor)") }
        // (width, heads) of every block kind: attention runs on width/2 channels.
        let kinds = [(dim, heads[0]), (2 * dim, heads[1]), (4 * dim, heads[2]), (8 * dim, heads[3]), (2 * dim, heads[0])]
        for (w, h) in kinds where (w / 2) % h != 0 {
            try fail("width \(w) gives \(w / 2) attention channels, not divisible by \(h) heads")
        }
    }

    public var description: String {
        "dim \(dim), blocks \(numBlocks), refinement \(numRefinement), heads \(heads), ffn \(ffnFactor)"
            + (frequencyFusion ? ", frequency fusion" : "")
    }
}

/// A configuration or weights file that does not fit (exit status 65; a weights file that
/// does not exist is `Safetensors.Error`'s 66).
public enum RAMError: ExitStatusError, Equatable {
    case invalidConfiguration(String)
    case weights(String)

    public var exitStatus: ExitStatus { .dataError }

    public var description: String {
        switch self {
        case .invalidConfiguration(let m): "invalid configuration: \(m)"
        case .weights(let m): m
        }
    }
}
