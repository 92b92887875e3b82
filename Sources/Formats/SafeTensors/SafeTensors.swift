import Tensors
import Foundation
import Support

// Reader and writer for the safetensors format (https://github.com/huggingface/safetensors):
//
//   [8 bytes: little-endian UInt64 N] [N bytes: JSON header] [data section]
//
// The header is a JSON object mapping each tensor name to
// {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]} (offsets relative to the start
// of the data section), plus an optional "__metadata__" object of string → string.
// The data section must be covered exactly by the tensors' byte ranges: no gaps, no overlaps,
// no trailing bytes. This file depends on Foundation only.

/// Reading and writing the safetensors format: whole files of host values (`read`,
/// `encode`, `write`), the header alone (`parseHeader`, for `SafeTensorsFile`), and the
/// helpers `SafeTensorsWriter` streams tensors with.
public enum SafeTensors {
    /// Headers larger than this are refused (the Python/Rust library uses the same limit).
    static let maxHeaderBytes = 100_000_000

    /// Element types of the format; `bytes` is the size of one element. Every type can be
    /// read (values converted to Float); F32, F16, BF16 and I64 can also be written.
    public enum DType: String, CaseIterable, Sendable {
        case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
        case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8"
        case u64 = "U64", u32 = "U32", u16 = "U16", u8 = "U8"
        case bool = "BOOL"

        public var bytes: Int {
            switch self {
            case .f64, .i64, .u64: return 8
            case .f32, .i32, .u32: return 4
            case .f16, .bf16, .i16, .u16: return 2
            case .i8, .u8, .bool: return 1
            }
        }

        /// The types `write` and `encode` accept.
        public static let writable: [DType] = [.f32, .f16, .bf16, .i64]

        /// Rank in the Rust library's `Dtype` enum (declaration order). Its writer lays tensors
        /// out by this rank, highest first, then by name; mirroring it keeps files byte-identical.
        var layoutRank: Int {
            switch self {
            case .bool: return 0
            case .u8: return 1
            case .i8: return 2
            case .i16: return 5
            case .u16: return 6
            case .f16: return 7
            case .bf16: return 8
            case .i32: return 9
            case .u32: return 10
            case .f32: return 11
            case .f64: return 12
            case .i64: return 13
            case .u64: return 14
            }
        }
    }

    // MARK: Reading

    /// Reads every tensor (F32; F16 and BF16 converted to Float; I64/I32 also converted to Float,
    /// for num_batches_tracked and labels; F64, I16, I8, U8..U64 and BOOL likewise), validating
    /// the header and the byte layout completely.
    public static func read(contentsOf url: URL) throws -> (tensors: [String: SafeTensor], metadata: [String: String]) {
        let data = try FileContents.read(url, options: .mappedIfSafe) { SafeTensorsError(path: url.path, problem: $0) }
        return try read(data: data, path: url.path)
    }

    /// Parses the bytes of a safetensors file; `path` only names the file in errors.
    public static func read(data: Data, path: String) throws -> (tensors: [String: SafeTensor], metadata: [String: String]) {
        try data.withUnsafeBytes { try parse($0, path: path) }
    }

    /// One tensor of a file: name, element type, shape and byte range in the data section.
    public struct Entry: Equatable, Sendable {
        public let name: String
        public let dtype: DType
        public let shape: [Int]
        public let begin: Int
        public let end: Int
        public var count: Int { shape.reduce(1, *) }
    }

    /// A validated header: the entries in file order, the metadata, and where the data begins.
    public struct Header: Sendable {
        public let entries: [Entry]
        public let metadata: [String: String]
        /// Offset of the data section from the start of the file.
        public let dataStart: Int
        /// Length of the JSON header (without the 8-byte length in front of it).
        public let headerLength: Int
    }

    static func parse(_ bytes: UnsafeRawBufferPointer, path: String) throws -> (tensors: [String: SafeTensor], metadata: [String: String]) {
        let header = try parseHeader(bytes, path: path)
        var tensors: [String: SafeTensor] = [:]
        tensors.reserveCapacity(header.entries.count)
        for e in header.entries {
            let n = (e.end - e.begin) / e.dtype.bytes
            tensors[e.name] = SafeTensor(shape: e.shape, values: decode(bytes, at: header.dataStart + e.begin, count: n, dtype: e.dtype))
        }
        return (tensors, header.metadata)
    }

    /// Parses and validates the header of a whole file's bytes: every entry's type, shape and
    /// byte range, and that the ranges tile the data section exactly.
    public static func parseHeader(_ bytes: UnsafeRawBufferPointer, path: String) throws -> Header {
        func fail(_ problem: String) -> SafeTensorsError { SafeTensorsError(path: path, problem: problem) }

        guard bytes.count >= 8 else {
            throw fail("file is \(bytes.count) bytes long, shorter than the 8-byte header length")
        }
        var headerLength64: UInt64 = 0
        for i in 0..<8 { headerLength64 |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard headerLength64 <= UInt64(maxHeaderBytes) else {
            throw fail("header length \(headerLength64) is absurdly large (limit \(maxHeaderBytes))")
        }
        let headerLength = Int(headerLength64)
        guard headerLength <= bytes.count - 8 else {
            throw fail("header length \(headerLength) runs past the end of the file (\(bytes.count - 8) bytes after the length)")
        }
        guard headerLength > 0 else { throw fail("header is empty (expected a JSON object)") }

        let headerBytes = Data(bytes[8..<(8 + headerLength)])   // copy of the header only
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: headerBytes, options: [])
        } catch {
            throw fail("header is not valid JSON")
        }
        guard let header = json as? [String: Any] else { throw fail("header is not a JSON object") }

        let dataStart = 8 + headerLength
        let dataCount = bytes.count - dataStart

        var metadata: [String: String] = [:]
        var entries: [Entry] = []
        entries.reserveCapacity(header.count)

        for (name, value) in header {
            if name == "__metadata__" {
                guard let object = value as? [String: Any] else { throw fail("__metadata__ is not a JSON object") }
                for (key, v) in object {
                    guard let s = v as? String else { throw fail("__metadata__ value for '\(key)' is not a string") }
                    metadata[key] = s
                }
                continue
            }
            guard let info = value as? [String: Any] else { throw fail("entry '\(name)' is not a JSON object") }
            guard let dtypeName = info["dtype"] as? String else { throw fail("tensor '\(name)' has no string dtype") }
            guard let dtype = DType(rawValue: dtypeName) else { throw fail("tensor '\(name)' has unknown or unsupported dtype '\(dtypeName)'") }
            guard let shapeArray = info["shape"] as? [Any] else { throw fail("tensor '\(name)' has no shape array") }
            var shape: [Int] = []
            shape.reserveCapacity(shapeArray.count)
            for d in shapeArray {
                guard let dim = integer(d) else { throw fail("tensor '\(name)' has a non-integer dimension in shape \(shapeArray)") }
                guard dim >= 0 else { throw fail("tensor '\(name)' has a negative dimension in shape \(shape + [dim])") }
                shape.append(dim)
            }
            guard let offsets = info["data_offsets"] as? [Any], offsets.count == 2,
                  let begin = integer(offsets[0]), let end = integer(offsets[1]) else {
                throw fail("tensor '\(name)' has no data_offsets pair of integers")
            }
            guard begin >= 0, end >= 0 else { throw fail("tensor '\(name)' has negative data_offsets [\(begin), \(end)]") }
            guard begin <= end else { throw fail("tensor '\(name)' has data_offsets begin \(begin) > end \(end)") }
            guard end <= dataCount else {
                throw fail("tensor '\(name)' data_offsets [\(begin), \(end)] run past the data section (\(dataCount) bytes)")
            }
            var count = 1
            for dim in shape {
                let (p, overflow) = count.multipliedReportingOverflow(by: dim)
                guard !overflow else { throw fail("tensor '\(name)' shape \(shape) has too many elements") }
                count = p
            }
            let (byteCount, overflow) = count.multipliedReportingOverflow(by: dtype.bytes)
            guard !overflow, byteCount == end - begin else {
                throw fail("tensor '\(name)' has \(end - begin) bytes but shape \(shape) of \(dtype.rawValue) needs \(overflow ? "too many" : String(byteCount))")
            }
            entries.append(Entry(name: name, dtype: dtype, shape: shape, begin: begin, end: end))
        }

        // The byte ranges must tile the data section exactly.
        entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var covered = 0
        var previous: String? = nil
        for e in entries {
            if e.begin > covered {
                throw fail("hole in the data section: bytes \(covered)..<\(e.begin) belong to no tensor (before '\(e.name)')")
            }
            if e.begin < covered {
                throw fail("tensor '\(e.name)' data_offsets [\(e.begin), \(e.end)] overlap tensor '\(previous ?? "?")'")
            }
            covered = e.end
            previous = e.name
        }
        if covered != dataCount {
            throw fail("data section has \(dataCount) bytes but the tensors cover only \(covered) (trailing bytes)")
        }

        return Header(entries: entries, metadata: metadata, dataStart: dataStart, headerLength: headerLength)
    }

    /// A JSON integer (not a Bool, not a fraction or exponent form) as Int.
    static func integer(_ any: Any) -> Int? {
        guard let number = any as? NSNumber else { return nil }
        let type = String(cString: number.objCType)
        guard ["i", "s", "l", "q", "I", "S", "L", "Q"].contains(type) else { return nil }
        return any as? Int
    }

    /// `n` little-endian values of `dtype` from `raw` at byte `base`, widened to Float (also
    /// the decoding of PyTorch's storages).
    public static func decode(_ raw: UnsafeRawBufferPointer, at base: Int, count n: Int, dtype: DType) -> [Float] {
        [Float](unsafeUninitializedCapacity: n) { out, initialized in
            switch dtype {
            case .f32:
                #if _endian(little)
                if n > 0 { UnsafeMutableRawPointer(out.baseAddress!).copyMemory(from: raw.baseAddress! + base, byteCount: 4 * n) }
                #else
                for i in 0..<n { out[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: base + 4 * i, as: UInt32.self))) }
                #endif
            case .f16:
                for i in 0..<n { out[i] = floatFromHalf(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: base + 2 * i, as: UInt16.self))) }
            case .bf16:
                for i in 0..<n { out[i] = Float(bitPattern: UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: base + 2 * i, as: UInt16.self))) << 16) }
            case .f64:
                for i in 0..<n { out[i] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: base + 8 * i, as: UInt64.self)))) }
            case .i64:
                for i in 0..<n { out[i] = Float(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: base + 8 * i, as: Int64.self))) }
            case .i32:
                for i in 0..<n { out[i] = Float(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: base + 4 * i, as: Int32.self))) }
            case .i16:
                for i in 0..<n { out[i] = Float(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: base + 2 * i, as: Int16.self))) }
            case .i8:
                for i in 0..<n { out[i] = Float(Int8(bitPattern: raw[base + i])) }
            case .u64:
                for i in 0..<n { out[i] = Float(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: base + 8 * i, as: UInt64.self))) }
            case .u32:
                for i in 0..<n { out[i] = Float(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: base + 4 * i, as: UInt32.self))) }
            case .u16:
                for i in 0..<n { out[i] = Float(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: base + 2 * i, as: UInt16.self))) }
            case .u8:
                for i in 0..<n { out[i] = Float(raw[base + i]) }
            case .bool:
                for i in 0..<n { out[i] = raw[base + i] != 0 ? 1 : 0 }
            }
            initialized = n
        }
    }

    /// IEEE 754 binary16 bits → Float (exact: every half value is representable).
    static func floatFromHalf(_ h: UInt16) -> Float {
        let negative = h & 0x8000 != 0
        let exponent = Int((h >> 10) & 0x1F)
        let mantissa = UInt32(h & 0x3FF)
        let magnitude: Float
        switch exponent {
        case 0:
            magnitude = Float(mantissa) * 0x1p-24                     // zero and subnormals
        case 31:
            magnitude = Float(bitPattern: 0x7F80_0000 | (mantissa << 13)) // inf and NaN (payload kept)
        default:
            magnitude = Float(bitPattern: UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
        }
        return negative ? -magnitude : magnitude
    }

    // MARK: Writing

    /// Writes F32 tensors atomically (a temporary file in the same directory, then rename).
    /// Like the Python library, the tensors are laid out sorted by name (all share dtype F32,
    /// so the library's dtype-alignment key does not reorder them), contiguously from offset 0,
    /// and the header is padded with spaces to a multiple of 8 bytes.
    public static func write(_ tensors: [(name: String, tensor: SafeTensor)], metadata: [String: String], to url: URL) throws {
        try write(tensors.map { ($0.name, $0.tensor, DType.f32) }, metadata: metadata, to: url)
    }

    /// Writes tensors, each stored as its own dtype (one of `DType.writable`), atomically.
    /// F16 and BF16 round to nearest even (overflow becomes ±inf); I64 needs integral values
    /// (e.g. torchvision's `num_batches_tracked`, an I64 scalar of shape []), exact up to 2^24.
    /// The layout is the Python/Rust library's: by dtype (I64 before F32 before BF16 before F16),
    /// then by name.
    @_disfavoredOverload  // `[]` picks the F32 overload
    public static func write(_ tensors: [(name: String, tensor: SafeTensor, dtype: DType)], metadata: [String: String], to url: URL) throws {
        let data = try encode(tensors, metadata: metadata, path: url.path)
        do { try AtomicFile.write(data, to: url) } catch let e as AtomicFileError {
            throw SafeTensorsError(path: url.path, problem: "not saved (\(e.reason)); the previous file is unchanged")
        }
    }

    /// The bytes of a safetensors file holding `tensors` as F32 (see `write`).
    public static func encode(_ tensors: [(name: String, tensor: SafeTensor)], metadata: [String: String]) throws -> Data {
        try encode(tensors.map { ($0.name, $0.tensor, DType.f32) }, metadata: metadata, path: "<memory>")
    }

    /// The bytes of a safetensors file holding `tensors`, each as its dtype (see `write`).
    @_disfavoredOverload  // `[]` picks the F32 overload
    public static func encode(_ tensors: [(name: String, tensor: SafeTensor, dtype: DType)], metadata: [String: String]) throws -> Data {
        try encode(tensors, metadata: metadata, path: "<memory>")
    }

    static func encode(_ tensors: [(name: String, tensor: SafeTensor, dtype: DType)], metadata: [String: String], path: String) throws -> Data {
        func fail(_ problem: String) -> SafeTensorsError { SafeTensorsError(path: path, problem: problem) }

        var seen = Set<String>()
        for (name, tensor, dtype) in tensors {
            guard name != "__metadata__" else { throw fail("'__metadata__' cannot name a tensor") }
            guard seen.insert(name).inserted else { throw fail("tensor name '\(name)' appears twice") }
            guard DType.writable.contains(dtype) else {
                throw fail("tensor '\(name)': writing dtype \(dtype.rawValue) is not supported (only \(DType.writable.map(\.rawValue).joined(separator: ", ")))")
            }
            var count = 1
            for dim in tensor.shape {
                guard dim >= 0 else { throw fail("tensor '\(name)' has a negative dimension in shape \(tensor.shape)") }
                let (p, overflow) = count.multipliedReportingOverflow(by: dim)
                guard !overflow else { throw fail("tensor '\(name)' shape \(tensor.shape) has too many elements") }
                count = p
            }
            guard count == tensor.values.count else {
                throw fail("tensor '\(name)' has \(tensor.values.count) values but shape \(tensor.shape) needs \(count)")
            }
            if dtype == .i64, let bad = tensor.values.first(where: { !$0.isFinite || $0.rounded(.towardZero) != $0 || abs($0) >= 0x1p63 }) {
                throw fail("tensor '\(name)' cannot be stored as I64: value \(bad) is not an integer in range")
            }
        }
        // By the Rust library's dtype rank (highest first), then byte-wise name order.
        let ordered = tensors.sorted {
            if $0.dtype != $1.dtype { return $0.dtype.layoutRank > $1.dtype.layoutRank }
            return Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8))
        }

        let headerBytes = header(ordered.map { ($0.name, $0.dtype, $0.tensor.shape, $0.tensor.values.count) }, metadata: metadata)
        let offset = ordered.reduce(0) { $0 + $1.dtype.bytes * $1.tensor.values.count }

        var out = [UInt8]()
        out.reserveCapacity(8 + headerBytes.count + offset)
        var n = UInt64(headerBytes.count)
        for _ in 0..<8 { out.append(UInt8(truncatingIfNeeded: n)); n >>= 8 }
        out.append(contentsOf: headerBytes)
        func append<T: FixedWidthInteger>(_ value: T) {
            var bits = value.littleEndian
            withUnsafeBytes(of: &bits) { out.append(contentsOf: $0) }
        }
        for (_, tensor, dtype) in ordered {
            switch dtype {
            case .f32:
                #if _endian(little)
                tensor.values.withUnsafeBytes { out.append(contentsOf: $0) }
                #else
                for v in tensor.values { append(v.bitPattern) }
                #endif
            case .f16:
                for v in tensor.values { append(halfFromFloat(v)) }
            case .bf16:
                for v in tensor.values { append(BFloat16.bits(v)) }
            case .i64:
                for v in tensor.values { append(Int64(v)) }
            default:
                preconditionFailure("unwritable dtype \(dtype) passed validation")
            }
        }
        return Data(out)
    }

    /// The JSON header for tensors laid out back to back in this order, with the metadata
    /// first, padded with spaces to a multiple of 8 bytes (without the 8-byte length).
    static func header(_ tensors: [(name: String, dtype: DType, shape: [Int], count: Int)], metadata: [String: String]) -> [UInt8] {
        var header = "{"
        var first = true
        if !metadata.isEmpty {
            header += "\"__metadata__\":{"
            let keys = metadata.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            header += keys.map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }.joined(separator: ",")
            header += "}"
            first = false
        }
        var offset = 0
        for (name, dtype, shape, count) in tensors {
            let end = offset + dtype.bytes * count
            if !first { header += "," }
            first = false
            header += "\(jsonString(name)):{\"dtype\":\"\(dtype.rawValue)\",\"shape\":[\(shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(end)]}"
            offset = end
        }
        header += "}"
        var bytes = Array(header.utf8)
        while bytes.count % 8 != 0 { bytes.append(0x20) }
        return bytes
    }

    /// Float → IEEE 754 binary16 bits, rounding to nearest even; overflow gives ±inf, NaN stays NaN.
    static func halfFromFloat(_ f: Float) -> UInt16 {
        let bits = f.bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        let exponent = Int((bits >> 23) & 0xFF)
        let mantissa = bits & 0x7F_FFFF
        if exponent == 0xFF {                                   // inf, NaN (quiet, top payload bits kept)
            return sign | 0x7C00 | (mantissa == 0 ? 0 : UInt16(0x200 | (mantissa >> 13)))
        }
        let e = exponent - 127 + 15
        if e >= 31 { return sign | 0x7C00 }                     // too large: inf
        if e <= 0 {                                             // subnormal half or zero
            guard e >= -10 else { return sign }                 // below half the smallest subnormal
            let m = mantissa | 0x80_0000                        // implicit leading 1
            let shift = UInt32(14 - e)
            var half = m >> shift
            let rest = m & ((1 << shift) - 1), halfway = UInt32(1) << (shift - 1)
            if rest > halfway || (rest == halfway && half & 1 == 1) { half += 1 }
            return sign | UInt16(half)
        }
        var half = UInt32(e) << 10 | (mantissa >> 13)
        let rest = mantissa & 0x1FFF
        if rest > 0x1000 || (rest == 0x1000 && half & 1 == 1) { half += 1 }  // may carry into the exponent (→ inf): correct
        return sign | UInt16(half)
    }

    /// A JSON string literal for `s`.
    static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
