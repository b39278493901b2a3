import Foundation

/// A fresh directory under the system temp directory for one test; removed on deinit.
final class ScratchDirectory {
    let path: String

    init() {
        var template = Array((NSTemporaryDirectory() + "ram-imaging-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        path = String(cString: template)
    }

    deinit {
        // Restore write permission first in case a test made the directory read-only.
        chmod(path, 0o755)
        try? FileManager.default.removeItem(atPath: path)
    }

    func file(_ name: String) -> String { path + "/" + name }

    /// Names in the directory, sorted.
    func contents() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }
}

/// The committed PNG fixtures (see Fixtures/make_png_fixtures.py), found beside this file.
enum PNGFixtures {
    static func path(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
            .appendingPathComponent(name).path
    }
}
