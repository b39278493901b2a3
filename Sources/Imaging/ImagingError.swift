import Foundation
import TensorCore

/// A failure reading or writing an image file, worded for the person who ran the command:
/// it names the file and, where there is one, the remedy.
///
///     cannot read photo.png: not a PNG file
///     cannot read big.png: declares 200000x200000 pixels (40000 MP), over the 100 MP limit; raise it with --max-megapixels
///     cannot write out.png: out.png exists; use --force to overwrite
public struct ImagingError: ExitStatusError, Equatable, Sendable {
    public enum Kind: Sendable, Equatable {
        // Reading
        case cannotOpen
        case notPNG
        case notJPEG
        /// Neither PNG nor JPEG by content (`ImageFile.read`).
        case unknownFormat
        case emptyImage
        case tooLarge(width: Int, height: Int, limit: Int)
        case truncated
        case corrupt
        case outOfMemory
        // Writing
        case writeFailed
        case outputExists
        case outputIsInput(input: String)
        case directoryMissing(directory: String)
        case directoryNotWritable(directory: String)
        case unsupported
    }

    public let kind: Kind
    /// The file as the caller named it.
    public let path: String
    /// The underlying reason in a few words (libpng's or the OS's message), possibly empty.
    public let detail: String
    /// True for a failure while reading, false while writing; picks "cannot read"/"cannot write".
    public let reading: Bool

    public init(_ kind: Kind, path: String, detail: String = "", reading: Bool) {
        self.kind = kind
        self.path = path
        self.detail = detail
        self.reading = reading
    }

    /// Writing: 73 (cannot create); a file to read that does not exist: 66; any other reading
    /// failure: 65 (bad data).
    public var exitStatus: ExitStatus {
        if !reading { return .cantCreate }
        if kind == .cannotOpen, !FileManager.default.fileExists(atPath: path) { return .noInput }
        return .dataError
    }

    public var description: String {
        let verb = reading ? "cannot read" : "cannot write"
        return "\(verb) \(path): \(reason)"
    }

    private var reason: String {
        switch kind {
        case .cannotOpen: return detail.isEmpty ? "cannot open the file" : "cannot open the file (\(detail))"
        case .notPNG: return detail.isEmpty ? "not a PNG file" : detail
        case .notJPEG: return detail.isEmpty ? "not a JPEG file" : detail
        case .unknownFormat: return detail.isEmpty ? "not a PNG or JPEG file" : detail
        case .emptyImage: return detail.isEmpty ? "the image has no pixels" : detail
        case .tooLarge(let w, let h, let limit):
            let mp = Self.megapixels(w * h), lim = Self.megapixels(limit)
            return "declares \(w)x\(h) pixels (\(mp) MP), over the \(lim) MP limit; raise it with --max-megapixels"
        case .truncated: return "the file is truncated (\(detail))"
        case .corrupt: return "the file is corrupt (\(detail))"
        case .outOfMemory: return "out of memory (\(detail))"
        case .writeFailed: return detail.isEmpty ? "write failed" : "write failed (\(detail))"
        case .outputExists: return "\(path) exists; use --force to overwrite"
        case .outputIsInput(let input):
            return input == path
                ? "it is also an input; choose another output file"
                : "it is the same file as the input \(input); choose another output file"
        case .directoryMissing(let dir):
            return detail.isEmpty ? "directory \(dir) does not exist" : "directory \(dir) does not exist (\(detail))"
        case .directoryNotWritable(let dir):
            return detail.isEmpty ? "directory \(dir) is not writable" : "directory \(dir) is not writable (\(detail))"
        case .unsupported: return detail
        }
    }

    /// Pixel counts in megapixels, whole when large and with one decimal when small ("40000", "0.3").
    static func megapixels(_ pixels: Int) -> String {
        let tenths = (pixels + 50_000) / 100_000
        if tenths >= 100 || tenths % 10 == 0 { return String((pixels + 500_000) / 1_000_000) }
        return "\(tenths / 10).\(tenths % 10)"
    }
}

/// The text a C codec wrote into a message buffer (up to its first NUL).
func string(_ message: [CChar]) -> String {
    String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
