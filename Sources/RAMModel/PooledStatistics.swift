import Foundation
import TensorCore

/// Where a forward pass takes each block's statistics (channel attention's matrix, GatedDA's
/// mean and std) from.
public enum StatisticsSource: Sendable {
    /// From the tensor being restored: the network's own semantics.
    case own
    /// From a table, per block (a tile restored with statistics measured elsewhere).
    case fixed(BlockStatisticsTable)
    /// Pooled with the other members of a `StatisticsPool` run in lockstep; this pass is
    /// member `member`.
    case pooled(StatisticsPool, member: Int)
}

/// Statistics for every block, by block name.
public struct BlockStatisticsTable: Sendable {
    var blocks: [String: BlockStatistics]
}

/// Statistics pooled over several images restored at once, one thread each: at every block
/// each member adds its sums and waits until all have, then all continue with the statistics
/// of the union (summed in member order, so the result does not depend on timing). This is
/// how a first paint gets statistics close to the whole image's from a few full-resolution
/// crops: scaled-down copies would not do, as the attention's statistics depend on scale.
public final class StatisticsPool: @unchecked Sendable {
    public let members: Int
    private let condition = NSCondition()
    private var sums: [String: [BlockStatisticsSums?]] = [:]
    private var results: [String: BlockStatistics] = [:]

    public init(members: Int) {
        precondition(members >= 1)
        self.members = members
    }

    func pool(_ block: BlockWeights, member: Int, _ s: BlockStatisticsSums) -> BlockStatistics {
        condition.lock()
        defer { condition.unlock() }
        var list = sums[block.name] ?? [BlockStatisticsSums?](repeating: nil, count: members)
        list[member] = s
        sums[block.name] = list
        if list.allSatisfy({ $0 != nil }) {
            var total = block.emptySums()
            for s in list { total.add(s!) }
            results[block.name] = block.statistics(total)
            condition.broadcast()
        }
        while results[block.name] == nil { condition.wait() }
        return results[block.name]!
    }

    /// Every block's pooled statistics (complete once all members have finished).
    public var table: BlockStatisticsTable {
        condition.lock()
        defer { condition.unlock() }
        return BlockStatisticsTable(blocks: results)
    }

    /// Runs the members' forward passes (one thread each, under `context.worker()` contexts)
    /// and returns the pooled statistics of every block.
    public static func measure(_ network: RAMNetwork, crops: [Tensor], context: ExecutionContext = .default)
        -> BlockStatisticsTable
    {
        let pool = StatisticsPool(members: crops.count)
        let contexts = crops.map { _ in context.worker() }
        // One thread per member, not a dispatch pool: every member must be running for the
        // others to get past a block.
        let finished = DispatchSemaphore(value: 0)
        Gemm.withThreads(1) {
            for (i, crop) in crops.enumerated() {
                let ctx = contexts[i]
                let thread = Thread {
                    _ = network.forward(crop, context: ctx, statistics: .pooled(pool, member: i))
                    finished.signal()
                }
                thread.stackSize = 8 << 20
                thread.start()
            }
            for _ in crops { finished.wait() }
        }
        context.merge(workers: contexts)
        return pool.table
    }

    /// `count` squares of side `side` (at most the image's shorter side) spread over the image:
    /// a centred grid of up to 2×2, so the crops see different parts of the scene.
    public static func cropRects(height h: Int, width w: Int, side: Int, count: Int = 4) -> [PixelRect] {
        let s = min(side, h, w)
        let rows = h >= 2 * s ? 2 : 1, cols = w >= 2 * s ? 2 : 1
        var rects: [PixelRect] = []
        for r in 0..<rows {
            for c in 0..<cols {
                let y = rows == 1 ? (h - s) / 2 : (r == 0 ? (h / 2 - s) / 2 : h / 2 + (h / 2 - s) / 2)
                let x = cols == 1 ? (w - s) / 2 : (c == 0 ? (w / 2 - s) / 2 : w / 2 + (w / 2 - s) / 2)
                rects.append(PixelRect(x: x, y: y, width: s, height: s))
            }
        }
        return Array(rects.prefix(count))
    }
}
