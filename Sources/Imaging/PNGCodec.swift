import CPNGClassic

/// PNG files <-> `RGBImage`. The only Swift file that talks to libpng (through the C shim
/// `CPNGClassic`, which keeps libpng's setjmp/longjmp out of Swift).
///
/// Reading accepts every PNG flavour and returns RGB planes in [0, 1] (sample / 255 or
/// / 65535, no gamma conversion), alpha when the file has any (alpha channel or tRNS), and
/// `bitDepth` 16 for 16-bit files, 8 otherwise. Writing clamps to [0, 1] and rounds to the
/// nearest code value; it writes RGBA exactly when the image has alpha.
public enum PNGCodec {
    /// The default decode limit: 100 megapixels (about 1.2 GB as Float planes).
    public static let defaultMaxPixels = 100_000_000

    /// Decodes `path`. Refuses files whose header declares more than `maxPixels` pixels before
    /// allocating anything for them.
    public static func read(path: String, maxPixels: Int = defaultMaxPixels) throws -> RGBImage {
        var raw = pngc_image()
        var message = [CChar](repeating: 0, count: 256)
        let status = pngc_read(path, UInt64(max(maxPixels, 0)), &raw, &message, message.count)
        defer { pngc_free(&raw) }
        guard status == PNGC_OK, let pixels = raw.pixels else {
            throw error(status, path: path, detail: string(message), reading: true,
                        width: Int(raw.width), height: Int(raw.height), limit: maxPixels)
        }

        let w = Int(raw.width), h = Int(raw.height), n = w * h
        let channels = Int(raw.channels)
        var planes = [Float](repeating: 0, count: 3 * n)
        var alpha: [Float]? = channels == 4 ? [Float](repeating: 0, count: n) : nil
        // Interleaved (H, W, C) integers -> planar (3, H, W) floats plus an (H, W) alpha plane.
        // Division (not multiplication by 1/255) so each value is the correctly rounded v/255.
        func deinterleave<T: BinaryInteger>(_ src: UnsafePointer<T>, top: Float) {
            planes.withUnsafeMutableBufferPointer { dst in
                for i in 0..<n {
                    let s = src + i * channels
                    dst[i] = Float(s[0]) / top
                    dst[n + i] = Float(s[1]) / top
                    dst[2 * n + i] = Float(s[2]) / top
                }
            }
            if channels == 4 {
                alpha!.withUnsafeMutableBufferPointer { a in
                    for i in 0..<n { a[i] = Float(src[i * 4 + 3]) / top }
                }
            }
        }
        if raw.bit_depth == 16 {
            deinterleave(pixels.assumingMemoryBound(to: UInt16.self), top: 65535)
        } else {
            deinterleave(pixels.assumingMemoryBound(to: UInt8.self), top: 255)
        }
        return RGBImage(width: w, height: h, pixels: planes, alpha: alpha, bitDepth: Int(raw.bit_depth))
    }

    /// Encodes `image` to `path` (created or truncated) at `bitDepth` (8 or 16; default the
    /// image's own). Writes in place: go through `SafeFile` (or `save`) for user-facing outputs.
    public static func write(_ image: RGBImage, to path: String, bitDepth: Int? = nil) throws {
        let depth = bitDepth ?? image.bitDepth
        guard depth == 8 || depth == 16 else {
            throw ImagingError(.unsupported, path: path, detail: "PNG bit depth must be 8 or 16, got \(depth)",
                               reading: false)
        }
        guard image.width > 0 && image.height > 0 else {
            throw ImagingError(.unsupported, path: path,
                               detail: "cannot encode an empty \(image.width)x\(image.height) image", reading: false)
        }
        let channels = image.alpha == nil ? 3 : 4
        var message = [CChar](repeating: 0, count: 256)
        let codes = interleave(image, channels: channels, top: depth == 16 ? 65535 : 255)
        let status: pngc_status
        if depth == 16 {
            var samples = codes
            status = encode(&samples, image, channels: channels, depth: 16, path: path, message: &message)
        } else {
            var samples = codes.map { UInt8(truncatingIfNeeded: $0) }
            status = encode(&samples, image, channels: channels, depth: 8, path: path, message: &message)
        }
        guard status == PNGC_OK else {
            throw error(status, path: path, detail: string(message), reading: false, width: 0, height: 0, limit: 0)
        }
    }

    /// Writes `image` to `path` the safe way: never over an existing file unless `force`,
    /// never onto one of `inputs`, through a temporary file renamed into place.
    public static func save(_ image: RGBImage, to path: String, force: Bool, inputs: [String] = [],
                            bitDepth: Int? = nil) throws {
        try SafeFile.write(to: path, force: force, inputs: inputs) { temporary in
            do {
                try write(image, to: temporary, bitDepth: bitDepth)
            } catch let e as ImagingError {
                // Report the path the user asked for, not the temporary name.
                throw ImagingError(e.kind, path: path, detail: e.detail, reading: false)
            }
        }
    }

    // MARK: - Helpers

    /// The code a sample is stored as, 0...top: clamp to [0, 1], round to nearest; NaN becomes
    /// 0, so a broken restoration still produces a viewable file. `RGBImage.quantized(bits:)`
    /// uses the same rule.
    @inline(__always)
    static func codeValue(_ v: Float, top: Float) -> Float {
        v.isNaN ? 0 : (min(max(v, 0), 1) * top).rounded()
    }

    /// Planar floats -> interleaved (H, W, C) code values in 0...top (`codeValue`).
    private static func interleave(_ image: RGBImage, channels: Int, top: Float) -> [UInt16] {
        let n = image.width * image.height
        @inline(__always) func code(_ v: Float) -> UInt16 { UInt16(codeValue(v, top: top)) }
        var out = [UInt16](repeating: 0, count: n * channels)
        out.withUnsafeMutableBufferPointer { dst in
            image.pixels.withUnsafeBufferPointer { src in
                for i in 0..<n {
                    dst[i * channels] = code(src[i])
                    dst[i * channels + 1] = code(src[n + i])
                    dst[i * channels + 2] = code(src[2 * n + i])
                }
            }
            image.alpha?.withUnsafeBufferPointer { alpha in
                for i in 0..<n { dst[i * 4 + 3] = code(alpha[i]) }
            }
        }
        return out
    }

    private static func encode<T>(
        _ samples: inout [T], _ image: RGBImage, channels: Int, depth: Int, path: String, message: inout [CChar]
    ) -> pngc_status {
        samples.withUnsafeMutableBytes { bytes in
            var raw = pngc_image(width: UInt32(image.width), height: UInt32(image.height),
                                 channels: Int32(channels), bit_depth: Int32(depth), pixels: bytes.baseAddress)
            return pngc_write(path, &raw, &message, message.count)
        }
    }

    private static func error(
        _ status: pngc_status, path: String, detail: String, reading: Bool, width: Int, height: Int, limit: Int
    ) -> ImagingError {
        let kind: ImagingError.Kind
        switch status {
        case PNGC_ERR_OPEN: kind = .cannotOpen
        case PNGC_ERR_NOT_PNG: kind = .notPNG
        case PNGC_ERR_EMPTY: kind = .emptyImage
        case PNGC_ERR_TOO_LARGE: kind = .tooLarge(width: width, height: height, limit: limit)
        case PNGC_ERR_TRUNCATED: kind = .truncated
        case PNGC_ERR_NOMEM: kind = .outOfMemory
        case PNGC_ERR_WRITE: kind = .writeFailed
        case PNGC_ERR_ARGUMENT: kind = .unsupported
        default: kind = reading ? .corrupt : .writeFailed
        }
        return ImagingError(kind, path: path, detail: detail, reading: reading)
    }
}
