import Imaging

/// Keeps the last few encoded images so a frame that only moves the split, changes the
/// status line or flips A/B copies cells instead of resampling (drawing a frame only copies
/// cells). Keyed by what determines the cells: the caller's image identity,
/// the source rectangle, the cell size and the colour mode. Least recently used goes first.
///
/// The image id is the caller's: anything Hashable that changes when the pixels change
/// (for example a job id plus a tile generation counter). Not thread-safe; owned by the loop.
public final class EncodedImageCache {
    public struct Key: Hashable {
        public var image: AnyHashable
        public var source: ImageRegion?
        public var cols: Int
        public var rows: Int
        public var mode: ColorMode
    }

    public let capacity: Int
    public private(set) var hits = 0
    public private(set) var misses = 0
    private var entries: [Key: EncodedImage] = [:]
    /// Most recently used last.
    private var order: [Key] = []

    public init(capacity: Int = 16) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    public var count: Int { entries.count }

    /// The cells for `image` under `id`, encoding only on a miss.
    public func encoded(
        _ image: RGBImage, id: AnyHashable, source: ImageRegion? = nil, cols: Int, rows: Int, mode: ColorMode
    ) -> EncodedImage {
        let key = Key(image: id, source: source, cols: cols, rows: rows, mode: mode)
        if let hit = entries[key] {
            hits += 1
            touch(key)
            return hit
        }
        misses += 1
        let value = HalfBlockEncoder.encode(image, source: source, cols: cols, rows: rows, mode: mode)
        entries[key] = value
        order.append(key)
        if order.count > capacity { entries[order.removeFirst()] = nil }
        return value
    }

    /// Drops every entry for one image id (its pixels changed).
    public func invalidate(id: AnyHashable) {
        order.removeAll { $0.image == id }
        entries = entries.filter { $0.key.image != id }
    }

    public func removeAll() {
        entries.removeAll()
        order.removeAll()
    }

    private func touch(_ key: Key) {
        if let i = order.firstIndex(of: key) { order.remove(at: i) }
        order.append(key)
    }
}
