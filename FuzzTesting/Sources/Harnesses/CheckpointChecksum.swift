import Support

/// Recomputes the checksum of a checkpoint in place, so that mutated files get past the
/// integrity check to the code behind it: the CRC-32 in a safetensors checkpoint's metadata
/// (`"vgg-swift.crc32":"xxxxxxxx"`, computed with "00000000" in its place), or the trailing
/// FNV-1a-style checksum of a `VGGSWIFT` file. Files without either are left as they are.
enum CheckpointChecksum {
    static func patch(_ bytes: inout [UInt8]) {
        if bytes.starts(with: Array("VGGSWIFT".utf8)) { patchLegacy(&bytes) } else { patchCRC(&bytes) }
    }

    private static func patchCRC(_ bytes: inout [UInt8]) {
        let needle = Array(#""vgg-swift.crc32":""#.utf8)
        guard bytes.count > needle.count + 9, let i = firstIndex(of: needle, in: bytes) else { return }
        let digits = i + needle.count
        guard digits + 8 < bytes.count, bytes[digits + 8] == UInt8(ascii: "\"") else { return }
        for k in 0..<8 { bytes[digits + k] = UInt8(ascii: "0") }
        var crc = CRC32()
        crc.update(bytes)
        for (k, c) in crc.hex.utf8.enumerated() { bytes[digits + k] = c }
    }

    private static func patchLegacy(_ bytes: inout [UInt8]) {
        guard bytes.count >= 16 else { return }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        let n = (bytes.count - 8) / 8
        bytes.withUnsafeBytes { raw in
            for i in 0..<n {
                h ^= raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)
                h = h &* 0x100_0000_01b3
                h ^= h >> 29
            }
            for i in (n * 8)..<(raw.count - 8) { h ^= UInt64(raw[i]); h = h &* 0x100_0000_01b3 }
        }
        for k in 0..<8 { bytes[bytes.count - 8 + k] = UInt8(truncatingIfNeeded: h.littleEndian >> (8 * UInt64(k))) }
    }

    private static func firstIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
        }
        return nil
    }
}
