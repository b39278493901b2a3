import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A (C, H, W) float32 feature map that is read and written a rectangle at a time, held in
/// memory or spilled to an anonymous temporary file (created in the temporary directory and
/// unlinked at once, so nothing is left behind even if the process dies). The streamed forward
/// pass keeps every full-size map of the network in one of these; the tile it works on lives
/// in an ordinary `Tensor`.
///
/// In memory the layout is (C, H, W). In a file the map is cut into blocks of `block`×`block`
/// pixels (smaller at the right and bottom edges), stored one after the other, each as
/// (rows, C, columns): a tile of the block grid is one write, and any rectangle is one read
/// per block it touches, whatever the channel count.
///
/// Rectangles may be read and written from several threads at once as long as no pixel is
/// written while another thread reads or writes it.
public final class FeatureStore: @unchecked Sendable {
    public let channels: Int
    public let height: Int
    public let width: Int
    /// Side of the file's blocks (the tile size of the stages that write the map).
    public let block: Int
    private let memory: UnsafeMutablePointer<Float>?
    private let fd: Int32

    /// Whether the map lives in a temporary file.
    public var isSpilled: Bool { memory == nil }
    public var byteCount: Int { channels * height * width * MemoryLayout<Float>.size }

    public init(channels: Int, height: Int, width: Int, spill: Bool, block: Int = 256) throws {
        precondition(block > 0)
        self.channels = channels
        self.height = height
        self.width = width
        self.block = block
        let count = channels * height * width
        if !spill {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(1, count))
            p.initialize(repeating: 0, count: max(1, count))
            memory = p
            fd = -1
            return
        }
        memory = nil
        var template = Array((NSTemporaryDirectory() + "/ram-features-XXXXXX").utf8CString)
        let d = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        if d < 0 {
            throw FeatureStoreError("cannot create a temporary file for feature maps in \(NSTemporaryDirectory()): \(String(cString: strerror(errno)))")
        }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        // Reserve the blocks now, so a full disk is an error here and not a failed write later.
        let status = posix_fallocate(d, 0, off_t(max(1, count) * MemoryLayout<Float>.size))
        if status != 0 {
            close(d)
            throw FeatureStoreError("cannot reserve \(count * 4 / 1_048_576) MB in \(NSTemporaryDirectory()) for feature maps: \(String(cString: strerror(status)))")
        }
        fd = d
    }

    deinit {
        if let memory { memory.deallocate() }
        if fd >= 0 { close(fd) }
    }

    /// Copies the rectangle (y, x, height, width) of every channel into `tile`, reshaped to
    /// (C, height, width).
    public func read(y: Int, x: Int, height h: Int, width w: Int, into tile: inout Tensor) {
        precondition(y >= 0 && x >= 0 && y + h <= height && x + w <= width, "rectangle outside the map")
        tile.reshape(channels: channels, height: h, width: w)
        tile.data.withUnsafeMutableBufferPointer { t in
            let dst = t.baseAddress!
            if let memory {
                for c in 0..<channels {
                    for r in 0..<h {
                        (dst + (c * h + r) * w).update(from: memory + (c * height + y + r) * width + x, count: w)
                    }
                }
                return
            }
            forEachBlock(y: y, x: x, height: h, width: w) { b in
                // The block's rows [r0, r1) of every channel are one contiguous run.
                let run = UnsafeMutablePointer<Float>.allocate(capacity: b.rows.count * channels * b.bw)
                defer { run.deallocate() }
                transfer(write: false, run, offset: b.offset + b.rows.lowerBound * channels * b.bw,
                         count: b.rows.count * channels * b.bw)
                for (i, r) in b.rows.enumerated() {
                    for c in 0..<channels {
                        let src = run + (i * channels + c) * b.bw + b.cols.lowerBound
                        (dst + (c * h + b.y0 + r - y) * w + b.x0 + b.cols.lowerBound - x).update(from: src, count: b.cols.count)
                    }
                }
            }
        }
    }

    /// Writes the rectangle (from.y, from.x, height, width) of `tile` (C, _, _) to (y, x).
    public func write(_ tile: Tensor, fromY fy: Int, fromX fx: Int, height h: Int, width w: Int, toY y: Int, toX x: Int) {
        precondition(tile.channels == channels, "tile has \(tile.channels) channels, the map \(channels)")
        precondition(fy >= 0 && fx >= 0 && fy + h <= tile.height && fx + w <= tile.width, "rectangle outside the tile")
        precondition(y >= 0 && x >= 0 && y + h <= height && x + w <= width, "rectangle outside the map")
        let tw = tile.width, th = tile.height
        tile.data.withUnsafeBufferPointer { t in
            let src = t.baseAddress!
            // (c, row, col) of the map inside the rectangle → the tile's element.
            func at(_ c: Int, _ row: Int, _ col: Int) -> UnsafePointer<Float> {
                src + (c * th + fy + row - y) * tw + fx + col - x
            }
            if let memory {
                for c in 0..<channels {
                    for r in 0..<h { (memory + (c * height + y + r) * width + x).update(from: at(c, y + r, x), count: w) }
                }
                return
            }
            forEachBlock(y: y, x: x, height: h, width: w) { b in
                if b.cols.count == b.bw {
                    // Whole block rows: gather them as (rows, C, bw) and write once.
                    let run = UnsafeMutablePointer<Float>.allocate(capacity: b.rows.count * channels * b.bw)
                    defer { run.deallocate() }
                    for (i, r) in b.rows.enumerated() {
                        for c in 0..<channels { (run + (i * channels + c) * b.bw).update(from: at(c, b.y0 + r, b.x0), count: b.bw) }
                    }
                    transfer(write: true, run, offset: b.offset + b.rows.lowerBound * channels * b.bw,
                             count: b.rows.count * channels * b.bw)
                } else {
                    for r in b.rows {
                        for c in 0..<channels {
                            transfer(write: true, UnsafeMutablePointer(mutating: at(c, b.y0 + r, b.x0 + b.cols.lowerBound)),
                                     offset: b.offset + (r * channels + c) * b.bw + b.cols.lowerBound, count: b.cols.count)
                        }
                    }
                }
            }
        }
    }

    /// One block's part of a rectangle: its origin and size, its offset in the file (floats),
    /// and the rows and columns of the rectangle inside it (block coordinates).
    private struct BlockPart {
        let y0: Int, x0: Int, bw: Int, offset: Int
        let rows: Range<Int>, cols: Range<Int>
    }

    private func forEachBlock(y: Int, x: Int, height h: Int, width w: Int, _ body: (BlockPart) -> Void) {
        if h == 0 || w == 0 { return }
        for by in (y / block)...((y + h - 1) / block) {
            let y0 = by * block, bh = min(block, height - y0)
            for bx in (x / block)...((x + w - 1) / block) {
                let x0 = bx * block, bw = min(block, width - x0)
                // Blocks before this one: all of the rows of blocks above (bh·width per row
                // of blocks, the last row shorter), then full-width blocks to the left.
                let offset = channels * (y0 * width + bh * x0)
                let rows = max(y, y0) - y0..<min(y + h, y0 + bh) - y0
                let cols = max(x, x0) - x0..<min(x + w, x0 + bw) - x0
                body(BlockPart(y0: y0, x0: x0, bw: bw, offset: offset, rows: rows, cols: cols))
            }
        }
    }

    private func transfer(write: Bool, _ p: UnsafeMutablePointer<Float>, offset: Int, count: Int) {
        if count == 0 { return }
        var done = 0
        let bytes = count * MemoryLayout<Float>.size
        let raw = UnsafeMutableRawPointer(p)
        while done < bytes {
            let at = off_t(offset * MemoryLayout<Float>.size + done)
            let n = write ? pwrite(fd, raw + done, bytes - done, at) : pread(fd, raw + done, bytes - done, at)
            if n <= 0 {
                if n < 0 && errno == EINTR { continue }
                // The blocks were reserved up front, so only an I/O error gets here: nothing
                // sensible can continue with a half-written feature map.
                fatalError("ram: feature map \(write ? "write" : "read") failed: \(n < 0 ? String(cString: strerror(errno)) : "short transfer")")
            }
            done += n
        }
    }
}

public struct FeatureStoreError: ExitStatusError {
    public let description: String
    public var exitStatus: ExitStatus { .software }
    init(_ d: String) { description = d }
}
