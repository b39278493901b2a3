/// A dense float32 tensor in (C, H, W) layout, batch 1: element (c, y, x) lives at
/// `data[(c * height + y) * width + x]`. Channel planes are contiguous, so a (C, H·W)
/// matrix view is free and pointwise convolutions map onto one sgemm.
public struct Tensor: Sendable, Equatable {
    public private(set) var channels: Int
    public private(set) var height: Int
    public private(set) var width: Int
    public var data: [Float]

    public init(channels: Int, height: Int, width: Int, repeating value: Float = 0) {
        precondition(channels >= 0 && height >= 0 && width >= 0, "negative tensor dimension")
        self.channels = channels
        self.height = height
        self.width = width
        self.data = [Float](repeating: value, count: channels * height * width)
    }

    public init(channels: Int, height: Int, width: Int, data: [Float]) {
        precondition(data.count == channels * height * width, "data count \(data.count) != \(channels)x\(height)x\(width)")
        self.channels = channels
        self.height = height
        self.width = width
        self.data = data
    }

    /// Pixels per channel plane.
    @inlinable public var plane: Int { height * width }
    @inlinable public var count: Int { channels * height * width }
    public var shape: [Int] { [channels, height, width] }

    @inlinable public subscript(c: Int, y: Int, x: Int) -> Float {
        get { data[(c * height + y) * width + x] }
        set { data[(c * height + y) * width + x] = newValue }
    }

    /// Changes the shape, keeping the storage (and its capacity) when it is large enough.
    /// Contents are unspecified afterwards; used by workspaces to avoid reallocating.
    public mutating func reshape(channels: Int, height: Int, width: Int) {
        let n = channels * height * width
        if data.count < n {
            data.reserveCapacity(n)
            data.append(contentsOf: repeatElement(0, count: n - data.count))
        } else if data.count > n {
            data.removeLast(data.count - n)  // keeps capacity
        }
        self.channels = channels
        self.height = height
        self.width = width
    }

    /// Becomes a copy of `other`, reusing this tensor's storage (no allocation once it is
    /// large enough), unlike `self = other`, which shares and later copies on write.
    public mutating func assign(_ other: Tensor) {
        reshape(channels: other.channels, height: other.height, width: other.width)
        data.withUnsafeMutableBufferPointer { d in
            other.data.withUnsafeBufferPointer { s in
                if s.count > 0 { d.baseAddress!.update(from: s.baseAddress!, count: s.count) }
            }
        }
    }

    /// Channels [from, from + count) as a new tensor.
    public func channelSlice(_ from: Int, _ count: Int) -> Tensor {
        precondition(from >= 0 && count >= 0 && from + count <= channels)
        let p = plane
        return Tensor(channels: count, height: height, width: width, data: Array(data[(from * p)..<((from + count) * p)]))
    }

    /// Largest |a - b| over all elements; shapes must agree.
    public func maxAbsDifference(_ other: Tensor) -> Float {
        precondition(shape == other.shape, "shape \(shape) != \(other.shape)")
        var m: Float = 0
        for i in 0..<data.count { m = max(m, abs(data[i] - other.data[i])) }
        return m
    }
}
