/// A value with a version number that stands in for it in comparisons: two `Versioned`
/// values are equal when their versions are. The viewer's state holds images and tap
/// tensors this way, so "did the state change?" (redraw or not) and the encoded-image cache
/// key cost an integer comparison instead of a pass over the pixels. Whoever changes the
/// value must give it a new version (`ViewerState.nextVersion()`).
public struct Versioned<Value>: Equatable {
    public let version: Int
    public var value: Value

    public init(_ value: Value, version: Int) {
        self.value = value
        self.version = version
    }

    public static func == (a: Versioned, b: Versioned) -> Bool { a.version == b.version }
}

extension Versioned: Sendable where Value: Sendable {}
