import CZlibShim
import Support

/// Hand-built PNG files for the seeds, covering what the toolkit's encoder never writes:
/// bit depths 1, 2, 4 and 16, palettes, tRNS transparency, gAMA and Adam7 interlacing.
/// Pixel bytes are an arbitrary pattern under a per-row filter type cycling through 0…4.
enum PNGSeed {
    /// `colorType`: 0 gray, 2 RGB, 3 palette, 4 gray + alpha, 6 RGBA. `rows` limits how many
    /// rows of image data are written (fewer than `height`: a truncated file that still parses).
    static func make(width: Int, height: Int, colorType: UInt8, bitDepth: Int, palette: Int = 0,
                     transparency: Bool = false, interlaced: Bool = false, gamma: UInt32? = nil, rows: Int? = nil) -> [UInt8] {
        let channels = [0: 1, 2: 3, 3: 1, 4: 2, 6: 4][Int(colorType)]!
        let bitsPerPixel = channels * bitDepth
        var raw: [UInt8] = []
        var seed: UInt32 = 12345
        func next() -> UInt8 { seed = seed &* 1_103_515_245 &+ 12345; return UInt8(truncatingIfNeeded: seed >> 16) }
        func scanlines(_ w: Int, _ h: Int) {
            guard w > 0 else { return }
            for y in 0..<h {
                raw.append(UInt8(y % 5))
                for _ in 0..<((w * bitsPerPixel + 7) / 8) { raw.append(colorType == 3 ? next() % UInt8(max(1, min(palette, 255))) : next()) }
            }
        }
        let limit = min(height, rows ?? height)
        if interlaced {
            let passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
            for (x0, y0, dx, dy) in passes {
                scanlines((width - x0 + dx - 1) / dx, (limit - y0 + dy - 1) / dy)
            }
        } else {
            scanlines(width, limit)
        }
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        func chunk(_ type: String, _ data: [UInt8]) {
            png += be32(UInt32(data.count))
            var crc = CRC32()
            crc.update(Array(type.utf8) + data)
            png += Array(type.utf8) + data + be32(crc.value)
        }
        chunk("IHDR", be32(UInt32(width)) + be32(UInt32(height)) + [UInt8(bitDepth), colorType, 0, 0, interlaced ? 1 : 0])
        if let gamma { chunk("gAMA", be32(gamma)) }
        if colorType == 3 { chunk("PLTE", (0..<(palette * 3)).map { UInt8(truncatingIfNeeded: $0 * 41) }) }
        if transparency {
            switch colorType {
            case 3: chunk("tRNS", (0..<palette).map { UInt8(truncatingIfNeeded: $0 * 97) })
            case 0: chunk("tRNS", [0, 7])
            default: chunk("tRNS", [0, 7, 0, 8, 0, 9])
            }
        }
        chunk("IDAT", deflate(raw))
        chunk("IEND", [])
        return png
    }

    private static func be32(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)]
    }

    private static func deflate(_ bytes: [UInt8]) -> [UInt8] {
        var size = compressBound(UInt(bytes.count))
        var out = [UInt8](repeating: 0, count: Int(size))
        let rc = out.withUnsafeMutableBufferPointer { dst in
            bytes.withUnsafeBufferPointer { compress2(dst.baseAddress, &size, $0.baseAddress, UInt(bytes.count), 9) }
        }
        precondition(rc == Z_OK, "compress2 failed")
        return Array(out.prefix(Int(size)))
    }
}
