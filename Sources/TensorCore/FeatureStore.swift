import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A (C, H, W) float32 feature map that is read and written in row bands, held in memory or
/// spilled to an anonymous temporary file (created in the temporary directory and unlinked at
/// once, so nothing is left behind even if the process dies). The streamed forward pass keeps
/// every full-size map of the network in one of these; the band it is working on lives in an
/// ordinary `Tensor`.
///
/// Bands of different rows may be read and written from several threads at once; a row must
/// not be written while another thread reads it.
public final class FeatureStore: @unchecked Sendable {
    public let channels: Int
    public let height: Int
    public let width: Int
    private let memory: UnsafeMutablePointer<Float>?
    private let fd: Int32

    /// Whether the map lives in a temporary file.
    public var isSpilled: Bool { memory == nil }
    public var byteCount: Int { channels * height * width * MemoryLayout<Float>.size }

    public init(channels: Int, height: Int, width: Int, spill: Bool) throws {
        self.channels = channels
        self.height = height
        self.width = width
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
            for c in 0..<channels {
                let dst = t.baseAddress! + c * h * w
                if w == width {
                    transfer(write: false, dst, offset: (c * height + y) * width, count: h * w)
                } else {
                    for r in 0..<h { transfer(write: false, dst + r * w, offset: (c * height + y + r) * width + x, count: w) }
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
            for c in 0..<channels {
                let src = UnsafeMutablePointer(mutating: t.baseAddress!) + (c * th + fy) * tw + fx
                if w == width && w == tw {
                    transfer(write: true, src, offset: (c * height + y) * width, count: h * w)
                } else {
                    for r in 0..<h { transfer(write: true, src + r * tw, offset: (c * height + y + r) * width + x, count: w) }
                }
            }
        }
    }

    private func transfer(write: Bool, _ p: UnsafeMutablePointer<Float>, offset: Int, count: Int) {
        if count == 0 { return }
        if let memory {
            if write { (memory + offset).update(from: p, count: count) } else { p.update(from: memory + offset, count: count) }
            return
        }
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

public struct FeatureStoreError: Error, CustomStringConvertible {
    public let description: String
    init(_ d: String) { description = d }
}
