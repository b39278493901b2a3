#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes an output file so that a failure never leaves a half-written file behind, an
/// existing file is never replaced without `--force`, and an input is never written to.
///
/// The body writes a temporary file in the output's directory (same filesystem, so the
/// final step is an atomic rename); on any error the temporary file is removed.
///
///     try SafeFile.write(to: "out.png", force: false, inputs: ["in.png"]) { temp in
///         try PNGCodec.write(image, to: temp)
///     }
public enum SafeFile {
    public static func write(
        to path: String, force: Bool, inputs: [String] = [], _ body: (String) throws -> Void
    ) throws {
        func fail(_ kind: ImagingError.Kind, _ detail: String = "") -> ImagingError {
            ImagingError(kind, path: path, detail: detail, reading: false)
        }
        guard !path.isEmpty else { throw fail(.unsupported, "the output path is empty") }
        let (directory, name) = split(path)

        // The directory must exist and be a directory we can create files in.
        var dirStat = stat()
        if stat(directory, &dirStat) != 0 {
            let e = errno
            if e == ENOENT { throw fail(.directoryMissing(directory: directory)) }
            if e == ENOTDIR { throw fail(.directoryMissing(directory: directory), "a parent is not a directory") }
            throw fail(.directoryNotWritable(directory: directory), errorText(e))
        }
        guard (dirStat.st_mode & S_IFMT) == S_IFDIR else {
            throw fail(.directoryMissing(directory: directory), "\(directory) is not a directory")
        }

        // The output may not be one of the inputs, force or not (compared by device and inode,
        // which also catches symlinks and hard links), nor an existing file without force.
        var outStat = stat()
        let outputExists = stat(path, &outStat) == 0
        if outputExists {
            for input in inputs {
                var inStat = stat()
                if stat(input, &inStat) == 0 && inStat.st_dev == outStat.st_dev && inStat.st_ino == outStat.st_ino {
                    throw fail(.outputIsInput(input: input))
                }
            }
            if (outStat.st_mode & S_IFMT) == S_IFDIR { throw fail(.unsupported, "\(path) is a directory") }
            if !force { throw fail(.outputExists) }
        } else {
            var linkStat = stat()
            if lstat(path, &linkStat) == 0 && !force { throw fail(.outputExists, "dangling symbolic link") }
        }

        let temporary = try createTemporary(directory: directory, name: name, fail: fail)
        do {
            try body(temporary)
            try install(temporary, at: path, force: force, fail: fail)
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// Moves the finished temporary file into place. Without force, link(2) refuses to replace
    /// a file that appeared meanwhile (rename would silently overwrite it).
    private static func install(
        _ temporary: String, at path: String, force: Bool, fail: (ImagingError.Kind, String) -> ImagingError
    ) throws {
        if !force {
            if link(temporary, path) == 0 {
                unlink(temporary)
                return
            }
            let e = errno
            if e == EEXIST { throw fail(.outputExists, "") }
            // Filesystems without hard links (EPERM, ENOSYS, ...) fall back to rename below.
        }
        if rename(temporary, path) != 0 {
            throw fail(.writeFailed, "cannot rename the temporary file into place: \(errorText(errno))")
        }
    }

    /// Creates `.<name>.<random>.tmp` beside the output with O_EXCL (mode 0666 less the umask,
    /// so the final file gets the same permissions as any newly created file).
    private static func createTemporary(
        directory: String, name: String, fail: (ImagingError.Kind, String) -> ImagingError
    ) throws -> String {
        let prefix = directory == "." ? "" : (directory.hasSuffix("/") ? directory : directory + "/")
        for _ in 0..<100 {
            let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 36)
            let temporary = "\(prefix).\(name).\(suffix).tmp"
            let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
            if fd >= 0 {
                close(fd)
                return temporary
            }
            let e = errno
            if e == EEXIST { continue }
            if e == EACCES || e == EPERM || e == EROFS {
                throw fail(.directoryNotWritable(directory: directory), errorText(e))
            }
            throw fail(.writeFailed, "cannot create a temporary file in \(directory): \(errorText(e))")
        }
        throw fail(.writeFailed, "cannot find a free temporary file name")
    }

    /// "a/b/c.png" -> ("a/b", "c.png"); "c.png" -> (".", "c.png"); "/c.png" -> ("/", "c.png").
    static func split(_ path: String) -> (directory: String, name: String) {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return (".", String(trimmed)) }
        let name = String(trimmed[trimmed.index(after: slash)...])
        let dir = trimmed[..<slash]
        return (dir.isEmpty ? "/" : String(dir), name)
    }

    private static func errorText(_ code: Int32) -> String {
        guard let s = strerror(code) else { return "errno \(code)" }
        return String(cString: s)
    }
}
