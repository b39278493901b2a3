import TensorCore

/// Why a degradation spelling was rejected, in words a CLI user can act on.
public struct DegradationParseError: ExitStatusError, Equatable, Sendable {
    public var message: String
    public var description: String { message }
    public var exitStatus: ExitStatus { .usage }
}

extension Degradation {
    /// Reads the CLI spelling: `noise:25`, `rain:light|medium|heavy` or `rain:0.5`, `haze:1.2`,
    /// `blur:15,30` (length px, angle degrees), `blur:15` (seeded angle), `blur` (seeded
    /// camera shake), `lowlight:0.5`. Names are case-insensitive; spaces around parts are
    /// ignored. `description` round-trips through this.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingSpaces
        let parts = trimmed.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let name = String(parts[0]).trimmingSpaces.lowercased()
        let value: String? = parts.count > 1 ? String(parts[1]).trimmingSpaces : nil
        func fail(_ message: String) -> DegradationParseError { DegradationParseError(message: message) }

        /// A number within `range`; `usage` is the spelling to suggest, e.g. "noise:SIGMA, e.g. noise:25".
        func number(_ field: String, _ text: String?, range: ClosedRange<Float>, usage: String) throws -> Float {
            guard let text, !text.isEmpty else {
                throw fail("\(name): missing \(field); expected \(usage)")
            }
            guard let v = Float(text), v.isFinite else {
                throw fail("\(name): \(field) '\(text)' is not a number; expected \(usage)")
            }
            guard range.contains(v) else {
                throw fail(
                    "\(name): \(field) \(text) is out of range \(Degradation.format(range.lowerBound))...\(Degradation.format(range.upperBound))"
                )
            }
            return v
        }

        switch name {
        case "noise":
            self = .noise(sigma: try number("sigma", value, range: 0...255, usage: "noise:SIGMA, e.g. noise:25"))
        case "rain":
            if let value, let named = RainRecipe.namedLevels.first(where: { $0.name == value.lowercased() }) {
                self = .rain(level: named.level)
            } else if let value, !value.isEmpty, Float(value) == nil {
                throw fail("rain: '\(value)' is neither light, medium, heavy nor a level in 0...1")
            } else {
                self = .rain(
                    level: try number("level", value, range: 0...1, usage: "rain:light|medium|heavy or rain:LEVEL, e.g. rain:0.5")
                )
            }
        case "haze":
            self = .haze(beta: try number("beta", value, range: 0...10, usage: "haze:BETA, e.g. haze:1.2"))
        case "blur":
            guard let value, value.lowercased() != "shake" else {
                self = .blur(length: nil, angle: nil)
                return
            }
            let fields = value.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingSpaces }
            guard fields.count <= 2 else {
                throw fail("blur: expected blur, blur:LENGTH or blur:LENGTH,ANGLE, got '\(trimmed)'")
            }
            let usage = "blur:LENGTH,ANGLE, e.g. blur:15,30"
            let length = try number("length", fields[0], range: 1...255, usage: usage)
            let angle = fields.count == 2 ? try number("angle", fields[1], range: -360...360, usage: usage) : nil
            self = .blur(length: length, angle: angle)
        case "lowlight":
            self = .lowlight(level: try number("level", value, range: 0...1, usage: "lowlight:LEVEL, e.g. lowlight:0.5"))
        case "":
            throw fail("empty degradation; expected one of \(Degradation.names.joined(separator: ", "))")
        default:
            throw fail("unknown degradation '\(name)'; expected one of \(Degradation.names.joined(separator: ", "))")
        }
    }
}

extension String {
    /// Without leading and trailing spaces and tabs (no Foundation needed).
    fileprivate var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
