import Foundation
import TerminalUI
import Testing

/// Whole-screen snapshots of a `CellBuffer`, glyphs and colours, as reviewable text (ratatui's
/// buffer assertions, written to a file):
///
///     glyphs            the rows as text
///     styles            one character per cell naming its (fg, bg, bold); '.' is the default
///     palette           what each style character means: fg and bg as #rrggbb or "-", bold
///
/// Snapshots live in Tests/Snapshots/Viewer (outside the test target, whose folder may only hold
/// sources). A missing one is recorded and the test
/// fails once (look at it, commit it); RAM_UPDATE_SNAPSHOTS=1 re-records all of them.
enum Snapshot {
    static let directory = Fixtures.packageRoot.appendingPathComponent("Tests/Snapshots/Viewer")

    /// Style names: ASCII letters and digits, then Latin-1, Greek and Cyrillic letters (all one
    /// column wide, so the style grid lines up with the glyph grid).
    static let alphabet: [Character] = {
        var a = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        a += (0xC0...0xFF).filter { $0 != 0xD7 && $0 != 0xF7 }.compactMap { Unicode.Scalar($0).map(Character.init) }
        a += (0x391...0x3A9).filter { $0 != 0x3A2 }.compactMap { Unicode.Scalar($0).map(Character.init) }
        a += (0x3B1...0x3C9).compactMap { Unicode.Scalar($0).map(Character.init) }
        a += (0x410...0x44F).compactMap { Unicode.Scalar($0).map(Character.init) }
        return a
    }()

    static func text(_ buffer: CellBuffer) -> String {
        var keys: [Style: Character] = [Style.plain: "."]
        var palette: [String] = []
        var styleRows: [String] = []
        for y in 0..<buffer.height {
            var row = ""
            for x in 0..<buffer.width {
                let style = buffer[x, y].style
                if keys[style] == nil {
                    let i = keys.count - 1
                    let k: Character = i < alphabet.count ? alphabet[i] : "?"
                    keys[style] = k
                    palette.append("\(k) fg \(hex(style.fg)) bg \(hex(style.bg))\(style.bold ? " bold" : "")")
                }
                row.append(keys[style]!)
            }
            styleRows.append(row)
        }
        return (["glyphs"] + buffer.lines() + ["styles"] + styleRows + ["palette"] + palette).joined(separator: "\n") + "\n"
    }

    static func hex(_ c: RGB?) -> String {
        guard let c else { return "-" }
        return String(format: "#%02x%02x%02x", c.r, c.g, c.b)
    }

    /// Compares `buffer` with the stored snapshot `name`, recording it when missing.
    static func assert(_ buffer: CellBuffer, named name: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let actual = text(buffer)
        let file = directory.appendingPathComponent(name + ".txt")
        let update = ProcessInfo.processInfo.environment["RAM_UPDATE_SNAPSHOTS"] == "1"
        guard !update, let expected = try? String(contentsOf: file, encoding: .utf8) else {
            try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try? actual.write(to: file, atomically: true, encoding: .utf8)
            if !update {
                Issue.record("recorded a new snapshot at \(file.path); check it and run again", sourceLocation: sourceLocation)
            }
            return
        }
        guard expected != actual else { return }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("\(name).actual.txt")
        try? actual.write(to: out, atomically: true, encoding: .utf8)
        let e = expected.components(separatedBy: "\n"), a = actual.components(separatedBy: "\n")
        let first = zip(e, a).enumerated().first { $0.element.0 != $0.element.1 }
        let detail =
            first.map { "line \($0.offset + 1):\n  expected \($0.element.0)\n  actual   \($0.element.1)" } ?? "lengths differ"
        Issue.record("snapshot \(name) differs (actual written to \(out.path)); \(detail)", sourceLocation: sourceLocation)
    }
}
