#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The image file formats `ram` reads and writes.
public enum ImageFormat: String, Sendable, CaseIterable {
    case png, jpeg

    /// The format of the file at `path`, from its first bytes (never from its name).
    /// Throws `cannotOpen` when it cannot be read, `unknownFormat` for anything else.
    public static func sniff(path: String) throws -> ImageFormat {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ImagingError(.cannotOpen, path: path, detail: errorText(errno), reading: true) }
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: 8)
        var got = 0
        while got < head.count {
            let n = head.withUnsafeMutableBytes { read(fd, $0.baseAddress! + got, $0.count - got) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ImagingError(.cannotOpen, path: path, detail: errorText(errno), reading: true)
            }
            if n == 0 { break }
            got += n
        }
        if let format = detect(head.prefix(got)) { return format }
        throw ImagingError(.unknownFormat, path: path,
                           detail: got == 0 ? "the file is empty, not a PNG or JPEG file" : "not a PNG or JPEG file",
                           reading: true)
    }

    /// PNG: the 8-byte signature; JPEG: SOI followed by a marker (FF D8 FF).
    public static func detect<C: Collection>(_ head: C) -> ImageFormat? where C.Element == UInt8 {
        let b = Array(head.prefix(8))
        if b == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] { return .png }
        if b.count >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF { return .jpeg }
        return nil
    }

    /// The format an output path asks for by its extension: `.png` or none -> PNG,
    /// `.jpg`/`.jpeg` -> JPEG (any case); any other extension is refused rather than
    /// written as a file its name misdescribes.
    public init(outputPath path: String) throws {
        let name = SafeFile.split(path).name
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else {
            self = .png
            return
        }
        switch name[name.index(after: dot)...].lowercased() {
        case "png": self = .png
        case "jpg", "jpeg": self = .jpeg
        default:
            throw ImagingError(.unsupported, path: path,
                               detail: "cannot write .\(name[name.index(after: dot)...]) files; name the output .png or .jpg/.jpeg",
                               reading: false)
        }
    }

    /// Whether `name` ends in an extension of a format `ram` reads (.png, .jpg, .jpeg).
    public static func hasImageExtension(_ name: String) -> Bool {
        guard let dot = name.lastIndex(of: ".") else { return false }
        return ["png", "jpg", "jpeg"].contains(name[name.index(after: dot)...].lowercased())
    }
}

/// The one way `ram` reads and writes image files: the format is found from the content when
/// reading (PNG or JPEG; a JPEG's EXIF orientation is applied) and from the extension when
/// writing; user-facing outputs go through `SafeFile`.
public enum ImageFile {
    /// Decodes `path` (PNG or JPEG by content). The size limit is checked from the header
    /// before any pixel memory is allocated.
    public static func read(path: String, maxPixels: Int = PNGCodec.defaultMaxPixels) throws -> RGBImage {
        switch try ImageFormat.sniff(path: path) {
        case .png: return try PNGCodec.read(path: path, maxPixels: maxPixels)
        case .jpeg: return try JPEGCodec.read(path: path, maxPixels: maxPixels)
        }
    }

    /// Encodes `image` to `path` in place, as `format`: PNG at `bitDepth` (8 or 16; default the
    /// image's own) or JPEG at `quality` (8-bit; alpha dropped). Use `save` for user-facing outputs.
    public static func write(_ image: RGBImage, to path: String, format: ImageFormat, bitDepth: Int? = nil,
                             quality: Int = JPEGCodec.defaultQuality) throws {
        switch format {
        case .png: try PNGCodec.write(image, to: path, bitDepth: bitDepth)
        case .jpeg:
            if let bitDepth, bitDepth != 8 {
                throw ImagingError(.unsupported, path: path, detail: "JPEG is 8-bit; \(bitDepth)-bit output needs a .png name",
                                   reading: false)
            }
            try JPEGCodec.write(image, to: path, quality: quality)
        }
    }

    /// Writes `image` to `path` in the format its extension names, the safe way: never over an
    /// existing file unless `force`, never onto one of `inputs`, through a temporary file
    /// renamed into place.
    public static func save(_ image: RGBImage, to path: String, force: Bool, inputs: [String] = [],
                            bitDepth: Int? = nil, quality: Int = JPEGCodec.defaultQuality) throws {
        let format = try ImageFormat(outputPath: path)
        try SafeFile.write(to: path, force: force, inputs: inputs) { temporary in
            do {
                try write(image, to: temporary, format: format, bitDepth: bitDepth, quality: quality)
            } catch let e as ImagingError {
                // Report the path the user asked for, not the temporary name.
                throw ImagingError(e.kind, path: path, detail: e.detail, reading: false)
            }
        }
    }

    /// The inputs `paths` name, in order: files as given; for a directory, the files directly
    /// in it (not below) that are PNG or JPEG by content or by extension (so a damaged
    /// photo.jpg is listed and reported, not silently skipped), sorted by name, hidden files
    /// left out. A path named twice (or through a directory and by itself) is listed once.
    public static func expand(_ paths: [String]) throws -> [String] {
        var out: [String] = []
        var seen = Set<String>()
        func add(_ p: String) {
            var st = stat()
            let key = stat(p, &st) == 0 ? "\(st.st_dev):\(st.st_ino)" : "path:" + p
            if seen.insert(key).inserted { out.append(p) }
        }
        for p in paths {
            var st = stat()
            if stat(p, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR {
                for name in try listDirectory(p) {
                    let full = p.hasSuffix("/") ? p + name : p + "/" + name
                    var fs = stat()
                    guard !name.hasPrefix("."), stat(full, &fs) == 0, (fs.st_mode & S_IFMT) == S_IFREG else { continue }
                    if ImageFormat.hasImageExtension(name) || (try? ImageFormat.sniff(path: full)) != nil { add(full) }
                }
            } else {
                add(p)
            }
        }
        return out
    }

    /// Names in `directory` (without "." and ".."), sorted.
    static func listDirectory(_ directory: String) throws -> [String] {
        guard let dir = opendir(directory) else {
            throw ImagingError(.cannotOpen, path: directory, detail: errorText(errno), reading: true)
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }
}

private func errorText(_ code: Int32) -> String {
    guard let s = strerror(code) else { return "errno \(code)" }
    return String(cString: s)
}
