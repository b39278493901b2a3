import Foundation

/// Reading and writing the safetensors format: an 8-byte little-endian header length N,
/// N bytes of JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}`,
/// then the raw little-endian data; offsets are relative to the start of the data section.
///
/// The reader is strict and never traps on a malformed file: every problem becomes a
/// `SafetensorsError` naming the tensor and what is wrong.
public enum Safetensors {
    public enum DType: String, Sendable, Codable {
        case f32 = "F32", f16 = "F16", bf16 = "BF16", i64 = "I64"
        public var size: Int {
            switch self {
            case .f32: 4
            case .f16, .bf16: 2
            case .i64: 8
            }
        }
    }

    /// One tensor as read: its declared dtype and shape, values converted to Float.
    public struct Entry: Sendable {
        public var dtype: DType
        public var shape: [Int]
        public var values: [Float]
    }

    public struct File: Sendable {
        public var tensors: [String: Entry]
        public var metadata: [String: String]
    }

    public struct Error: ExitStatusError, Equatable {
        public var description: String
        /// `.noInput` for a file that does not exist, `.dataError` for everything else.
        public var exitStatus: ExitStatus
        public init(_ d: String, exitStatus: ExitStatus = .dataError) {
            description = d
            self.exitStatus = exitStatus
        }
    }

    /// Headers larger than this are refused before being read (the format's own limit is 100 MB).
    public static let maxHeaderBytes = 100_000_000

    public static func read(path: String) throws -> File {
        guard let data = FileManager.default.contents(atPath: path) else {
            if !FileManager.default.fileExists(atPath: path) {
                throw Error("weights file \(path) does not exist", exitStatus: .noInput)
            }
            throw Error("cannot read weights file \(path)")
        }
        do { return try parse(data) } catch let e as Error { throw Error("\(path): \(e.description)", exitStatus: e.exitStatus) }
    }

    public static func parse(_ data: Data) throws -> File {
        let bytes = [UInt8](data)
        guard bytes.count >= 8 else {
            throw Error("file is \(bytes.count) bytes, too short for a safetensors header (needs 8-byte length)")
        }
        var n: UInt64 = 0
        for i in 0..<8 { n |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard n <= UInt64(maxHeaderBytes) else { throw Error("header length \(n) is implausible (corrupt header)") }
        let headerLen = Int(n)
        guard 8 + headerLen <= bytes.count else {
            throw Error(
                "header declares \(headerLen) bytes but the file has only \(bytes.count - 8) after the length (truncated or corrupt header)"
            )
        }
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + headerLen)]), options: [])
        } catch {
            throw Error("header is not valid JSON (corrupt header)")
        }
        guard let obj = json as? [String: Any] else { throw Error("header JSON is not an object") }
        let dataStart = 8 + headerLen
        let dataSize = bytes.count - dataStart
        var metadata: [String: String] = [:]
        var tensors: [String: Entry] = [:]
        var spans: [(begin: Int, end: Int, name: String)] = []
        for (name, value) in obj {
            if name == "__metadata__" {
                guard let m = value as? [String: Any] else { throw Error("__metadata__ is not an object") }
                for (k, v) in m {
                    guard let s = v as? String else { throw Error("__metadata__ value for \"\(k)\" is not a string") }
                    metadata[k] = s
                }
                continue
            }
            guard let t = value as? [String: Any] else { throw Error("tensor `\(name)`: header entry is not an object") }
            guard let ds = t["dtype"] as? String else { throw Error("tensor `\(name)`: missing dtype") }
            guard let dtype = DType(rawValue: ds) else {
                throw Error("tensor `\(name)`: unsupported dtype \(ds) (expected F32, F16 or BF16)")
            }
            guard let shapeAny = t["shape"] as? [Any], let shape = intArray(shapeAny), shape.allSatisfy({ $0 >= 0 })
            else { throw Error("tensor `\(name)`: shape is not a list of non-negative integers") }
            guard let offAny = t["data_offsets"] as? [Any], let off = intArray(offAny), off.count == 2 else {
                throw Error("tensor `\(name)`: data_offsets is not [begin, end]")
            }
            let (begin, end) = (off[0], off[1])
            guard begin >= 0, begin <= end else {
                throw Error("tensor `\(name)`: data_offsets [\(begin), \(end)] are reversed or negative")
            }
            var elements = 1
            for d in shape {
                let (p, o) = elements.multipliedReportingOverflow(by: d)
                guard !o else { throw Error("tensor `\(name)`: shape \(shape) overflows") }
                elements = p
            }
            let (need, o) = elements.multipliedReportingOverflow(by: dtype.size)
            guard !o else { throw Error("tensor `\(name)`: shape \(shape) overflows") }
            guard end - begin == need else {
                throw Error(
                    "tensor `\(name)`: shape \(shape) × \(dtype.rawValue) needs \(need) bytes but data_offsets span \(end - begin)"
                )
            }
            guard end <= dataSize else {
                throw Error(
                    "file is truncated: tensor `\(name)` needs bytes \(begin)..<\(end) of the data section, which has \(dataSize)"
                )
            }
            spans.append((begin, end, name))
            if dtype == .i64 {
                // Only bookkeeping tensors (e.g. num_batches_tracked) are integer; keep a float copy.
                var vals = [Float](repeating: 0, count: elements)
                for i in 0..<elements {
                    var v: UInt64 = 0
                    for b in 0..<8 { v |= UInt64(bytes[dataStart + begin + i * 8 + b]) << (8 * UInt64(b)) }
                    vals[i] = Float(Int64(bitPattern: v))
                }
                tensors[name] = Entry(dtype: dtype, shape: shape, values: vals)
            } else {
                tensors[name] = Entry(
                    dtype: dtype, shape: shape,
                    values: decode(bytes, from: dataStart + begin, count: elements, dtype: dtype))
            }
        }
        spans.sort { $0.begin < $1.begin || ($0.begin == $1.begin && $0.end < $1.end) }
        for i in spans.indices.dropFirst() where spans[i].begin < spans[i - 1].end {
            throw Error("tensors `\(spans[i - 1].name)` and `\(spans[i].name)` overlap in the data section (corrupt header)")
        }
        return File(tensors: tensors, metadata: metadata)
    }

    private static func intArray(_ a: [Any]) -> [Int]? {
        var out: [Int] = []
        for v in a {
            guard let n = v as? NSNumber else { return nil }
            let d = n.doubleValue
            guard d.isFinite, d == d.rounded(), abs(d) < 9e15 else { return nil }
            out.append(Int(d))
        }
        return out
    }

    private static func decode(_ bytes: [UInt8], from start: Int, count: Int, dtype: DType) -> [Float] {
        var out = [Float](repeating: 0, count: count)
        bytes.withUnsafeBufferPointer { bp in
            let p = bp.baseAddress! + start
            switch dtype {
            case .f32:
                for i in 0..<count {
                    let u = UInt32(p[4 * i]) | UInt32(p[4 * i + 1]) << 8 | UInt32(p[4 * i + 2]) << 16 | UInt32(p[4 * i + 3]) << 24
                    out[i] = Float(bitPattern: u)
                }
            case .f16:
                for i in 0..<count {
                    let u = UInt16(p[2 * i]) | UInt16(p[2 * i + 1]) << 8
                    out[i] = Float(Float16(bitPattern: u))
                }
            case .bf16:
                for i in 0..<count {
                    let u = UInt32(p[2 * i]) | UInt32(p[2 * i + 1]) << 8
                    out[i] = Float(bitPattern: u << 16)
                }
            case .i64:
                break
            }
        }
        return out
    }

    /// The bfloat16 bit pattern nearest to `v` (round to nearest, ties to even; NaN stays NaN).
    public static func bfloat16Bits(_ v: Float) -> UInt16 {
        let u = v.bitPattern
        if v.isNaN { return UInt16(u >> 16) | 0x40 }
        return UInt16((u &+ 0x7fff &+ (u >> 16 & 1)) >> 16)
    }

    /// Serialises tensors (sorted by name) as F32, F16 or BF16 with string metadata.
    public static func serialize(
        _ tensors: [(name: String, shape: [Int], values: [Float])], dtype: DType = .f32,
        metadata: [String: String] = [:]
    ) throws -> Data {
        precondition(dtype != .i64, "write supports F32, F16 and BF16")
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var body = [UInt8]()
        for t in tensors.sorted(by: { $0.name < $1.name }) {
            precondition(t.shape.reduce(1, *) == t.values.count, "tensor \(t.name): shape/value count mismatch")
            let begin = body.count
            switch dtype {
            case .f32:
                for v in t.values {
                    let u = v.bitPattern; body += [UInt8(u & 0xff), UInt8(u >> 8 & 0xff), UInt8(u >> 16 & 0xff), UInt8(u >> 24)]
                }
            case .bf16:
                for v in t.values { let u = bfloat16Bits(v); body += [UInt8(u & 0xff), UInt8(u >> 8)] }
            default:
                for v in t.values { let u = Float16(v).bitPattern; body += [UInt8(u & 0xff), UInt8(u >> 8)] }
            }
            header[t.name] = ["dtype": dtype.rawValue, "shape": t.shape, "data_offsets": [begin, body.count]] as [String: Any]
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }  // pad with spaces to keep data 8-byte aligned
        var out = Data()
        var n = UInt64(json.count)
        for _ in 0..<8 { out.append(UInt8(n & 0xff)); n >>= 8 }
        out.append(json)
        out.append(contentsOf: body)
        return out
    }
}
