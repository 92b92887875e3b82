import Tensors
import Foundation
import Support

/// Streams tensors from a backend's memory into a safetensors file, written atomically
/// (`AtomicFileWriter`): the header first, then each tensor's bytes in order, straight
/// from host memory or through a small bounce buffer from a device. No tensor is copied
/// whole, so saving costs a few MiB whatever the model's size.
///
/// With a `checksumKey`, the metadata holds under that key the CRC-32 (8 hex digits) of the
/// whole file as written with "00000000" in its place; `SafeTensorsFile.verifyChecksum`
/// checks it.
public enum SafeTensorsWriter {
    /// What one entry holds.
    public enum Source {
        /// A tensor's elements as F32, under the given shape (its own when nil).
        case tensor(Tensor, shape: [Int]? = nil)
        /// One integer as an I64 of shape `[]` (torchvision's `num_batches_tracked`).
        case integer(Int64)
    }

    /// Bytes moved from a device per copy.
    static let bounceBytes = 4 << 20

    public static func write(_ entries: [(name: String, source: Source)], metadata: [String: String],
                             checksumKey: String? = nil, to path: String) throws {
        var seen = Set<String>()
        var layout: [(name: String, dtype: SafeTensors.DType, shape: [Int], count: Int)] = []
        for (name, source) in entries {
            guard name != "__metadata__", seen.insert(name).inserted else {
                throw SafeTensorsError(path: path, problem: "tensor name '\(name)' is reserved or appears twice")
            }
            switch source {
            case let .tensor(t, shape):
                let s = shape ?? t.shape
                precondition(s.reduce(1, *) == t.count, "shape \(s) for a tensor of \(t.count) elements")
                layout.append((name, .f32, s, t.count))
            case .integer:
                layout.append((name, .i64, [], 1))
            }
        }
        var meta = metadata
        let placeholder = "00000000"
        if let checksumKey { meta[checksumKey] = placeholder }
        let header = SafeTensors.header(layout, metadata: meta)
        var checksumAt: Int?
        if let checksumKey {
            let needle = Array((SafeTensors.jsonString(checksumKey) + ":" + SafeTensors.jsonString(placeholder)).utf8)
            guard let i = firstIndex(of: needle, in: header) else { preconditionFailure("checksum placeholder not in the header") }
            checksumAt = 8 + i + needle.count - 1 - placeholder.utf8.count
        }

        let file: AtomicFileWriter
        do { file = try AtomicFileWriter(path: path) } catch let e as AtomicFileError {
            throw SafeTensorsError(path: path, problem: "not saved (\(e.reason)); the previous file is unchanged")
        }
        var crc = CRC32()
        func emit(_ bytes: UnsafeRawBufferPointer) throws {
            crc.update(bytes)
            try file.write(bytes)
        }
        do {
            var length = UInt64(header.count).littleEndian
            try withUnsafeBytes(of: &length) { try emit($0) }
            try header.withUnsafeBytes { try emit($0) }
            var bounce: UnsafeMutableRawPointer?
            defer { bounce?.deallocate() }
            for (_, source) in entries {
                switch source {
                case let .integer(v):
                    var bits = v.littleEndian
                    try withUnsafeBytes(of: &bits) { try emit($0) }
                case let .tensor(t, _):
                    guard t.count > 0 else { continue }
                    #if !_endian(little)
                    preconditionFailure("safetensors are little-endian: write on a little-endian host")
                    #endif
                    // Through a bounce buffer on every device: this module sees tensors only
                    // through the seam's public copies.
                    let buffer = bounce ?? UnsafeMutableRawPointer.allocate(byteCount: bounceBytes, alignment: 64)
                    bounce = buffer
                    var done = 0
                    while done < t.count {
                        let n = min(t.count - done, bounceBytes / 4)
                        t.memory.copy(from: t.storage, offset: t.offset + done, toHost: buffer, count: n)
                        try emit(UnsafeRawBufferPointer(start: buffer, count: 4 * n))
                        done += n
                    }
                }
            }
            if let checksumAt { try file.overwrite(Array(crc.hex.utf8), at: checksumAt) }
            try file.commit()
        } catch let e as AtomicFileError {
            throw SafeTensorsError(path: path, problem: "not saved (\(e.reason)); the previous file is unchanged")
        }
    }

    static func firstIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if Array(haystack[i..<(i + needle.count)]) == needle { return i }
        }
        return nil
    }
}
