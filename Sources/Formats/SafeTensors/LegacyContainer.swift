import Foundation
import Support

/// The container of vgg-swift's first checkpoint format (version 1), read for old
/// checkpoints: magic `VGGSWIFT`, format version (u32 LE), JSON header length (u64 LE), the
/// JSON header, float32 tensors back to back in the order the header lists them, then an
/// 8-byte checksum (FNV-1a over 8-byte words) of everything before it.
public struct LegacyContainer {
    public static let magic = Array("VGGSWIFT".utf8)

    /// The format version stored after the magic.
    public let version: UInt32
    /// The JSON header's bytes.
    public let header: Data
    private let data: Data

    /// Whether the file starts with the magic.
    public static func isLegacy(_ url: URL) -> Bool {
        guard let h = FileHandle(forReadingAtPath: url.path) else { return false }
        defer { try? h.close() }
        return (try? h.read(upToCount: 8)).map(Array.init) == magic
    }

    /// Maps the file and checks magic, lengths and checksum; `fail` names a problem.
    public init(contentsOf url: URL, fail: (String) -> Error) throws {
        data = try FileContents.read(url, options: .alwaysMapped, fail: fail)
        guard data.count >= 28, Array(data.prefix(8)) == Self.magic else { throw fail("not a vgg-swift checkpoint (bad magic)") }
        let d = data
        func u64(_ o: Int) -> UInt64 { d.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: o, as: UInt64.self) }.littleEndian }
        version = d.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 8, as: UInt32.self) }.littleEndian
        guard Self.checksum(d.prefix(d.count - 8)) == u64(d.count - 8) else { throw fail("corrupt or truncated (checksum mismatch)") }
        let jsonLength = u64(12)
        guard jsonLength > 0, jsonLength <= UInt64(d.count - 28) else {
            throw fail("header length \(jsonLength) runs past the end of the file (\(d.count) bytes)")
        }
        header = d.subdata(in: 20..<(20 + Int(jsonLength)))
    }

    /// The tensors, given their (name, element count) in file order; checks that they fill
    /// the file exactly. Each count is checked against the bytes left before anything is
    /// allocated for it.
    public func tensors(_ entries: [(name: String, count: Int)], fail: (String) -> Error) throws -> [String: [Float]] {
        var offset = 20 + header.count
        var out: [String: [Float]] = [:]
        for (name, count) in entries {
            guard count >= 0, count <= (data.count - 8 - offset) / 4 else {
                throw fail("tensor \(name) of \(count) values runs past the end of the file (\(data.count - 8 - offset) bytes left)")
            }
            let bytes = count * 4
            var values = [Float](repeating: 0, count: count)
            _ = values.withUnsafeMutableBytes { dst in data.copyBytes(to: dst, from: offset..<(offset + bytes)) }
            out[name] = values
            offset += bytes
        }
        guard offset == data.count - 8 else { throw fail("\(data.count - 8 - offset) unexpected bytes after the tensors") }
        return out
    }

    static func checksum<D: DataProtocol>(_ data: D) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        let bytes = Data(data)
        bytes.withUnsafeBytes { raw in
            let n = raw.count / 8
            for i in 0..<n {
                h ^= raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)
                h = h &* 0x100_0000_01b3
                h ^= h >> 29
            }
            for i in (n * 8)..<raw.count { h ^= UInt64(raw[i]); h = h &* 0x100_0000_01b3 }
        }
        return h
    }
}
