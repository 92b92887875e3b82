import Tensors
import Foundation
import Support

/// A safetensors file opened for reading without loading it: the file is mapped, the
/// header validated (`SafeTensors.parseHeader`), and each tensor is copied on request
/// straight into a tensor of any backend (`load`) or into a host array (`values`).
public final class SafeTensorsFile {
    public let path: String
    public let header: SafeTensors.Header
    private let data: Data
    private let index: [String: SafeTensors.Entry]

    public init(contentsOf url: URL) throws {
        path = url.path
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw SafeTensorsError(path: url.path, problem: "no such file")
        }
        data = try FileContents.read(url, options: .alwaysMapped) { SafeTensorsError(path: url.path, problem: $0) }
        let p = url.path
        header = try data.withUnsafeBytes { try SafeTensors.parseHeader($0, path: p) }
        index = Dictionary(uniqueKeysWithValues: header.entries.map { ($0.name, $0) })
    }

    public var metadata: [String: String] { header.metadata }
    /// Tensor names in file order.
    public var names: [String] { header.entries.map(\.name) }
    public func entry(_ name: String) -> SafeTensors.Entry? { index[name] }

    private func require(_ name: String) throws -> SafeTensors.Entry {
        guard let e = index[name] else { throw SafeTensorsError(path: path, problem: "no tensor '\(name)'") }
        return e
    }

    /// The values of one tensor on the host (converted to Float).
    public func values(_ name: String) throws -> [Float] {
        let e = try require(name)
        return data.withUnsafeBytes { SafeTensors.decode($0, at: header.dataStart + e.begin, count: e.count, dtype: e.dtype) }
    }

    /// Copies one tensor into `tensor` (same element count; F32 directly, other types converted).
    public func load(_ name: String, into tensor: Tensor) throws {
        let e = try require(name)
        guard e.count == tensor.count else {
            throw SafeTensorsError(path: path, problem: "tensor '\(name)' has \(e.count) values (shape \(e.shape)), the destination needs \(tensor.count) (shape \(tensor.shape))")
        }
        guard e.count > 0 else { return }
        #if _endian(little)
        if e.dtype == .f32 {
            data.withUnsafeBytes { raw in
                tensor.memory.copy(fromHost: raw.baseAddress! + header.dataStart + e.begin, to: tensor.storage,
                                   offset: tensor.offset, count: e.count)
            }
            return
        }
        #endif
        tensor.copy(from: try values(name))
    }

    /// Whether the CRC-32 stored under `key` in the metadata matches the file (computed as
    /// `SafeTensorsWriter` does, with "00000000" in the checksum's place). Nil when the file has none.
    public func verifyChecksum(key: String) -> Bool? {
        guard let stored = metadata[key] else { return nil }
        let needle = Array((SafeTensors.jsonString(key) + ":" + SafeTensors.jsonString(stored)).utf8)
        return data.withUnsafeBytes { raw -> Bool in
            let headerBytes = Array(raw[8..<header.dataStart])
            guard let i = SafeTensorsWriter.firstIndex(of: needle, in: headerBytes) else { return false }
            var copy = Array(raw[0..<header.dataStart])
            let digits = 8 + i + needle.count - 1 - stored.utf8.count
            for k in 0..<stored.utf8.count { copy[digits + k] = UInt8(ascii: "0") }
            var crc = CRC32()
            crc.update(copy)
            crc.update(UnsafeRawBufferPointer(rebasing: raw[header.dataStart...]))
            return crc.hex == stored
        }
    }
}
