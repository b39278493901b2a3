import Foundation
import Testing

@testable import Imaging

@Suite struct SafeFileTests {
    private func writeText(_ text: String, to path: String) throws {
        try text.write(toFile: path, atomically: false, encoding: .utf8)
    }

    private func readText(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

    private func safeWriteError(_ path: String, force: Bool = false, inputs: [String] = []) -> ImagingError? {
        #expect(throws: ImagingError.self) {
            try SafeFile.write(to: path, force: force, inputs: inputs) { try writeText("new", to: $0) }
        }
    }

    @Test func writesThroughATemporaryFileInTheSameDirectory() throws {
        let dir = ScratchDirectory()
        var seen = ""
        try SafeFile.write(to: dir.file("out.txt"), force: false) { temp in
            seen = temp
            try writeText("hello", to: temp)
            #expect(!FileManager.default.fileExists(atPath: dir.file("out.txt")), "not in place before the body ends")
        }
        #expect(seen.hasPrefix(dir.path + "/.out.txt."))
        #expect(readText(dir.file("out.txt")) == "hello")
        #expect(dir.contents() == ["out.txt"])
    }

    @Test func refusesExistingFileWithoutForce() throws {
        let dir = ScratchDirectory()
        let out = dir.file("out.txt")
        try writeText("old", to: out)
        let error = safeWriteError(out)
        #expect(error?.kind == .outputExists)
        #expect(error?.description == "cannot write \(out): \(out) exists; use --force to overwrite")
        #expect(readText(out) == "old")
        #expect(dir.contents() == ["out.txt"])

        try SafeFile.write(to: out, force: true) { try writeText("new", to: $0) }
        #expect(readText(out) == "new")
    }

    @Test func refusesToWriteAnInputEvenWithForce() throws {
        let dir = ScratchDirectory()
        let input = dir.file("in.txt")
        try writeText("input", to: input)
        #expect(safeWriteError(input, force: true, inputs: [input])?.kind == .outputIsInput(input: input))
        // The same file under another name: a relative alias, a symlink, a hard link.
        let alias = dir.path + "/./in.txt"
        #expect(safeWriteError(alias, force: true, inputs: [input])?.kind == .outputIsInput(input: input))
        try FileManager.default.createSymbolicLink(atPath: dir.file("sym.txt"), withDestinationPath: input)
        #expect(safeWriteError(dir.file("sym.txt"), force: true, inputs: [input])?.kind == .outputIsInput(input: input))
        #expect(link(input, dir.file("hard.txt")) == 0)
        #expect(safeWriteError(dir.file("hard.txt"), force: true, inputs: [input])?.kind == .outputIsInput(input: input))
        #expect(readText(input) == "input")
    }

    @Test func missingDirectory() {
        let dir = ScratchDirectory()
        let error = safeWriteError(dir.file("no/such/out.txt"))
        #expect(error?.kind == .directoryMissing(directory: dir.file("no/such")))
        #expect(error?.description.contains("does not exist") == true)
    }

    @Test func parentIsAFile() throws {
        let dir = ScratchDirectory()
        try writeText("x", to: dir.file("f"))
        #expect(safeWriteError(dir.file("f/out.txt"))?.kind == .directoryMissing(directory: dir.file("f")))
    }

    @Test func unwritableDirectory() throws {
        // Root ignores permission bits, but nobody may create files in sysfs.
        let dir = ScratchDirectory()
        let target: String
        if geteuid() == 0 {
            target = "/sys"
        } else {
            target = dir.file("ro")
            #expect(mkdir(target, 0o555) == 0)
        }
        let error = safeWriteError(target + "/out.txt")
        #expect(error?.kind == .directoryNotWritable(directory: target))
        #expect(error?.description.contains("is not writable") == true)
    }

    @Test func temporaryFileIsRemovedWhenTheBodyFails() throws {
        struct Boom: Error {}
        let dir = ScratchDirectory()
        #expect(throws: Boom.self) {
            try SafeFile.write(to: dir.file("out.txt"), force: false) { temp in
                try writeText("partial", to: temp)
                throw Boom()
            }
        }
        #expect(dir.contents().isEmpty)
    }

    @Test func temporaryFileIsRemovedWhenTheCodecFails() throws {
        let dir = ScratchDirectory()
        let empty = RGBImage(width: 0, height: 0)
        let error = #expect(throws: ImagingError.self) { try PNGCodec.save(empty, to: dir.file("out.png"), force: false) }
        #expect(error?.path == dir.file("out.png"), "errors name the requested path, not the temporary one")
        #expect(dir.contents().isEmpty)
    }

    @Test func splitsPaths() {
        #expect(SafeFile.split("a/b/c.png") == ("a/b", "c.png"))
        #expect(SafeFile.split("c.png") == (".", "c.png"))
        #expect(SafeFile.split("/c.png") == ("/", "c.png"))
    }
}
