import CJPEGShim

/// JPEG files <-> `RGBImage`. The only Swift file that talks to libjpeg (through the C shim
/// `CJPEGShim`, which keeps libjpeg's error longjmp out of Swift and never lets it `exit()`).
///
/// Reading accepts 8-bit baseline and progressive JPEG, greyscale or YCbCr (or RGB), and
/// returns RGB planes in [0, 1] (code / 255), `bitDepth` 8, no alpha, with the EXIF
/// orientation applied (`decode` gives the stored pixels and the tag). CMYK/YCCK and 12-bit
/// files are refused with a message that says so; damaged files (truncated, bad entropy data)
/// are errors, not grey-padded images. Writing clamps to [0, 1], rounds to 8 bits, drops alpha,
/// and writes no EXIF block (the pixels are already upright).
public enum JPEGCodec {
    /// The JPEG quality `ram` writes unless told otherwise.
    public static let defaultQuality = 95

    /// Decodes `path` upright (EXIF orientation applied). Refuses files whose frame header
    /// declares more than `maxPixels` pixels before allocating anything for them.
    public static func read(path: String, maxPixels: Int = PNGCodec.defaultMaxPixels) throws -> RGBImage {
        let (image, orientation) = try decode(path: path, maxPixels: maxPixels)
        return orientation.apply(to: image)
    }

    /// The pixels as stored in the file, and the file's EXIF orientation (`.up` without one).
    public static func decode(path: String, maxPixels: Int = PNGCodec.defaultMaxPixels)
        throws -> (image: RGBImage, orientation: ExifOrientation)
    {
        var raw = jpgc_image()
        var message = [CChar](repeating: 0, count: 256)
        let status = jpgc_read(path, UInt64(max(maxPixels, 0)), &raw, &message, message.count)
        defer { jpgc_free(&raw) }
        guard status == JPGC_OK, let pixels = raw.pixels else {
            throw error(status, path: path, detail: string(message), reading: true,
                        width: Int(raw.width), height: Int(raw.height), limit: maxPixels)
        }
        let w = Int(raw.width), h = Int(raw.height), n = w * h
        var planes = [Float](repeating: 0, count: 3 * n)
        planes.withUnsafeMutableBufferPointer { dst in
            for i in 0..<n {
                dst[i] = Float(pixels[3 * i]) / 255
                dst[n + i] = Float(pixels[3 * i + 1]) / 255
                dst[2 * n + i] = Float(pixels[3 * i + 2]) / 255
            }
        }
        var orientation = ExifOrientation.up
        if let exif = raw.exif, raw.exif_len > 0 {
            orientation = ExifOrientation(exif: UnsafeBufferPointer(start: exif, count: raw.exif_len))
        }
        return (RGBImage(width: w, height: h, pixels: planes, bitDepth: 8), orientation)
    }

    /// Encodes `image` to `path` (created or truncated) at `quality` 1...100. Writes in place:
    /// go through `SafeFile` (or `ImageFile.save`) for user-facing outputs.
    public static func write(_ image: RGBImage, to path: String, quality: Int = defaultQuality) throws {
        guard (1...100).contains(quality) else {
            throw ImagingError(.unsupported, path: path, detail: "JPEG quality must be 1...100, got \(quality)",
                               reading: false)
        }
        guard image.width > 0 && image.height > 0 else {
            throw ImagingError(.unsupported, path: path,
                               detail: "cannot encode an empty \(image.width)x\(image.height) image", reading: false)
        }
        let n = image.width * image.height
        var bytes = [UInt8](repeating: 0, count: 3 * n)
        bytes.withUnsafeMutableBufferPointer { dst in
            image.pixels.withUnsafeBufferPointer { src in
                for i in 0..<n {
                    for c in 0..<3 { dst[3 * i + c] = UInt8(PNGCodec.codeValue(src[c * n + i], top: 255)) }
                }
            }
        }
        var message = [CChar](repeating: 0, count: 256)
        let status = jpgc_write(path, bytes, UInt32(image.width), UInt32(image.height), Int32(quality),
                                &message, message.count)
        guard status == JPGC_OK else {
            throw error(status, path: path, detail: string(message), reading: false, width: 0, height: 0, limit: 0)
        }
    }

    private static func error(
        _ status: jpgc_status, path: String, detail: String, reading: Bool, width: Int, height: Int, limit: Int
    ) -> ImagingError {
        let kind: ImagingError.Kind
        switch status {
        case JPGC_ERR_OPEN: kind = .cannotOpen
        case JPGC_ERR_NOT_JPEG: kind = .notJPEG
        case JPGC_ERR_EMPTY: kind = .emptyImage
        case JPGC_ERR_TOO_LARGE: kind = .tooLarge(width: width, height: height, limit: limit)
        case JPGC_ERR_TRUNCATED: kind = .truncated
        case JPGC_ERR_NOMEM: kind = .outOfMemory
        case JPGC_ERR_WRITE: kind = .writeFailed
        case JPGC_ERR_ARGUMENT, JPGC_ERR_UNSUPPORTED: kind = .unsupported
        default: kind = reading ? .corrupt : .writeFailed
        }
        return ImagingError(kind, path: path, detail: detail, reading: reading)
    }
}
