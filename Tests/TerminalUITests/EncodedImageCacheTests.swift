import Imaging
import Testing

@testable import TerminalUI

@Suite struct EncodedImageCacheTests {
    let img = RGBImage(width: 4, height: 4, fill: 0.5)

    @Test func hitsAndMisses() {
        let cache = EncodedImageCache(capacity: 2)
        let a = cache.encoded(img, id: "a", cols: 2, rows: 1, mode: .trueColor)
        let a2 = cache.encoded(img, id: "a", cols: 2, rows: 1, mode: .trueColor)
        #expect(a == a2)
        #expect(cache.hits == 1 && cache.misses == 1)
        _ = cache.encoded(img, id: "a", cols: 2, rows: 1, mode: .ansi256)  // mode is part of the key
        _ = cache.encoded(img, id: "a", source: ImageRegion(x: 0, y: 0, width: 2, height: 2), cols: 2, rows: 1, mode: .trueColor)
        #expect(cache.misses == 3)
        #expect(cache.count == 2)
    }

    @Test func leastRecentlyUsedIsEvicted() {
        let cache = EncodedImageCache(capacity: 2)
        _ = cache.encoded(img, id: 1, cols: 1, rows: 1, mode: .trueColor)
        _ = cache.encoded(img, id: 2, cols: 1, rows: 1, mode: .trueColor)
        _ = cache.encoded(img, id: 1, cols: 1, rows: 1, mode: .trueColor)  // 1 is now fresher
        _ = cache.encoded(img, id: 3, cols: 1, rows: 1, mode: .trueColor)  // evicts 2
        _ = cache.encoded(img, id: 1, cols: 1, rows: 1, mode: .trueColor)
        #expect(cache.hits == 2)
        _ = cache.encoded(img, id: 2, cols: 1, rows: 1, mode: .trueColor)
        #expect(cache.misses == 4)
    }

    @Test func invalidateDropsOneImage() {
        let cache = EncodedImageCache()
        _ = cache.encoded(img, id: "x", cols: 1, rows: 1, mode: .trueColor)
        _ = cache.encoded(img, id: "y", cols: 1, rows: 1, mode: .trueColor)
        cache.invalidate(id: "x")
        #expect(cache.count == 1)
        _ = cache.encoded(img, id: "y", cols: 1, rows: 1, mode: .trueColor)
        #expect(cache.hits == 1)
        cache.removeAll()
        #expect(cache.count == 0)
    }
}
