import Support

/// The packed form of a `torch.save` file the `pth` harness mutates: a byte with the number
/// of storages (low 4 bits, at most 8) and the byte order (bit 7: big-endian), one 16-bit
/// little-endian byte count per storage, then `data.pkl`. `archive(packed:)` turns it into the
/// zip archive PyTorch writes (stored entries `archive/data.pkl`, `archive/byteorder`,
/// `archive/version`, `archive/data/0`, …, with correct CRCs; storage bytes a fixed pattern).
enum PyTorchSeed {
    static func pack(pickle: [UInt8], storageBytes: [Int], bigEndian: Bool) -> [UInt8] {
        var out: [UInt8] = [UInt8(storageBytes.count) | (bigEndian ? 0x80 : 0)]
        for n in storageBytes { out += [UInt8(truncatingIfNeeded: n), UInt8(truncatingIfNeeded: n >> 8)] }
        return out + pickle
    }

    /// The bytes of every storage: a fixed pattern, made once (computing it per input in the
    /// unoptimised, instrumented build took half of the harness's time).
    static let storagePattern: [UInt8] = (0..<(0x10000 + 64)).map { UInt8(truncatingIfNeeded: $0 &* 37) }

    static func archive(packed: [UInt8]) -> [UInt8] {
        let head = packed.first ?? 0
        let count = min(Int(head & 0x0F), 8, max(0, (packed.count - 1) / 2))
        var sizes: [Int] = []
        for i in 0..<count { sizes.append(Int(packed[1 + 2 * i]) | Int(packed[2 + 2 * i]) << 8) }
        let pickle = Array(packed.dropFirst(1 + 2 * count))
        var entries: [(String, [UInt8])] = [
            ("archive/data.pkl", pickle),
            ("archive/byteorder", Array((head & 0x80 != 0 ? "big" : "little").utf8)),
            ("archive/version", Array("3\n".utf8)),
        ]
        for (i, n) in sizes.enumerated() {
            entries.append(("archive/data/\(i)", Array(storagePattern[(8 * i)..<(8 * i + n)])))
        }
        return zip(entries)
    }

    /// A zip archive of stored entries.
    static func zip(_ entries: [(name: String, bytes: [UInt8])]) -> [UInt8] {
        var out: [UInt8] = [], directory: [UInt8] = []
        func u16(_ v: Int, _ into: inout [UInt8]) { into += [UInt8(truncatingIfNeeded: v), UInt8(truncatingIfNeeded: v >> 8)] }
        func u32(_ v: Int, _ into: inout [UInt8]) { u16(v & 0xFFFF, &into); u16(v >> 16, &into) }
        for (name, bytes) in entries {
            var crc = CRC32()
            crc.update(bytes)
            let offset = out.count, n = Array(name.utf8)
            u32(0x0403_4B50, &out); u16(20, &out); u16(0, &out); u16(0, &out); u16(0, &out); u16(0, &out)
            u32(Int(crc.value), &out); u32(bytes.count, &out); u32(bytes.count, &out); u16(n.count, &out); u16(0, &out)
            out += n + bytes
            u32(0x0201_4B50, &directory); u16(20, &directory); u16(20, &directory); u16(0, &directory); u16(0, &directory)
            u16(0, &directory); u16(0, &directory); u32(Int(crc.value), &directory); u32(bytes.count, &directory)
            u32(bytes.count, &directory); u16(n.count, &directory); u16(0, &directory); u16(0, &directory); u16(0, &directory)
            u16(0, &directory); u32(0, &directory); u32(offset, &directory)
            directory += n
        }
        let start = out.count
        out += directory
        u32(0x0605_4B50, &out); u16(0, &out); u16(0, &out); u16(entries.count, &out); u16(entries.count, &out)
        u32(directory.count, &out); u32(start, &out); u16(0, &out)
        return out
    }
}
