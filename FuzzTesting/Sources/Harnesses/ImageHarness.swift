import CTurboJPEG
import Data
import Foundation
import Support

/// Image decoding as the image-folder data sets do it (`ImageDecoder`, to 8-bit RGB) and as
/// reports read pictures back (`PNGCodec.decode` onto a background).
enum ImageHarness {
    /// The harnesses refuse images above this many pixels (256×256; the decoders' real limit,
    /// `ImageDecoder.defaultMaxPixels`, is checked by the XCTests): the same code runs, and
    /// mutated headers claiming large images do not slow fuzzing down to a few inputs a second.
    static let maxPixels = 1 << 16

    static func runJPEG(_ bytes: [UInt8]) {
        do { check(try ImageDecoder.decodeJPEG(bytes, source: "input.jpg", maxPixels: maxPixels)) } catch {
            FuzzCheck.namesFile(error, "input.jpg")
        }
    }

    static func runPNG(_ bytes: [UInt8]) {
        do { check(try ImageDecoder.decodePNG(bytes, source: "input.png", maxPixels: maxPixels)) } catch {
            FuzzCheck.namesFile(error, "input.png")
        }
        if let image = try? PNGCodec.decode(bytes, background: (255, 255, 255), maxPixels: maxPixels) {
            FuzzCheck.expect(image.channels == 3 && image.pixels.count == image.width * image.height * 3, "composited PNG shape")
        }
    }

    private static func check(_ image: DecodedImage) {
        FuzzCheck.expect(image.channels == 3, "\(image.channels) channels")
        FuzzCheck.expect(image.width > 0 && image.height > 0 && image.width * image.height <= maxPixels, "size \(image.width)x\(image.height)")
        FuzzCheck.expect(image.pixels.count == image.width * image.height * 3, "pixel count")
    }

    // MARK: seeds

    static func jpegSeeds() throws -> [(name: String, bytes: [UInt8])] {
        func pattern(_ w: Int, _ h: Int, _ c: Int) -> DecodedImage {
            DecodedImage(width: w, height: h, channels: c, pixels: (0..<(w * h * c)).map { UInt8(truncatingIfNeeded: $0 * 29 + $0 / 7) })
        }
        var out: [(String, [UInt8])] = [
            ("gray-8x8.jpg", try ImageEncoder.jpeg(pattern(8, 8, 1))),
            ("rgb420-17x9.jpg", try ImageEncoder.jpeg(pattern(17, 9, 3), quality: 75)),
            ("cmyk-8x8.jpg", try ImageEncoder.jpeg(pattern(8, 8, 4))),
        ]
        out.append(("rgb444-9x5.jpg", try turbo(pattern(9, 5, 3), TJSAMP_444, flags: 0)))
        out.append(("rgb422-16x16.jpg", try turbo(pattern(16, 16, 3), TJSAMP_422, flags: 0)))
        out.append(("rgb440-7x7.jpg", try turbo(pattern(7, 7, 3), TJSAMP_440, flags: 0)))
        out.append(("rgb411-33x3.jpg", try turbo(pattern(33, 3, 3), TJSAMP_411, flags: 0)))
        out.append(("progressive-rgb-16x12.jpg", try turbo(pattern(16, 12, 3), TJSAMP_420, flags: TJFLAG_PROGRESSIVE)))
        out.append(("progressive-gray-9x9.jpg", try turbo(pattern(9, 9, 1), TJSAMP_GRAY, flags: TJFLAG_PROGRESSIVE)))
        out.append(("progressive-cmyk-8x8.jpg", try turbo(pattern(8, 8, 4), TJSAMP_444, flags: TJFLAG_PROGRESSIVE)))
        let whole = out[1].1
        out.append(("truncated.jpg", Array(whole.prefix(whole.count * 2 / 3))))
        out.append(("header-only.jpg", Array(whole.prefix(whole.count / 3))))
        out.append(("huge-65500x65500.jpg", try resized(whole, width: 65500, height: 65500)))
        out.append(("wide-4096x4096.jpg", try resized(whole, width: 4096, height: 4096)))
        out.append(("zero-height.jpg", try resized(whole, width: 17, height: 0)))
        return out
    }

    /// JPEG through TurboJPEG with a chosen subsampling and flags (progressive).
    private static func turbo(_ image: DecodedImage, _ samp: TJSAMP, flags: Int32) throws -> [UInt8] {
        guard let handle = tjInitCompress() else { throw DataError(.io, "tjInitCompress failed") }
        defer { tjDestroy(handle) }
        let pf = image.channels == 1 ? TJPF_GRAY : image.channels == 4 ? TJPF_CMYK : TJPF_RGB
        var buffer: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        let rc = image.pixels.withUnsafeBufferPointer {
            tjCompress2(handle, $0.baseAddress, Int32(image.width), 0, Int32(image.height), Int32(pf.rawValue),
                        &buffer, &size, Int32(samp.rawValue), 80, flags)
        }
        defer { if let buffer { tjFree(buffer) } }
        guard rc == 0 else { throw DataError(.io, "tjCompress2: \(String(cString: tjGetErrorStr2(handle)))") }
        return Array(UnsafeBufferPointer(start: buffer, count: Int(size)))
    }

    /// The same JPEG with other dimensions written into its SOF marker.
    private static func resized(_ jpeg: [UInt8], width: Int, height: Int) throws -> [UInt8] {
        var b = jpeg
        var i = 2
        while i + 9 < b.count {
            guard b[i] == 0xFF else { break }
            let marker = b[i + 1], length = Int(b[i + 2]) << 8 | Int(b[i + 3])
            if (0xC0...0xC2).contains(marker) {
                b[i + 5] = UInt8(height >> 8); b[i + 6] = UInt8(height & 0xFF)
                b[i + 7] = UInt8(width >> 8); b[i + 8] = UInt8(width & 0xFF)
                return b
            }
            i += 2 + length
        }
        throw DataError(.format, "no SOF marker in the seed JPEG")
    }

    static func pngSeeds() throws -> [(name: String, bytes: [UInt8])] {
        func pattern(_ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: $0 * 53 + 11) } }
        var out: [(String, [UInt8])] = []
        for c in 1...4 {  // the toolkit's own encoder: gray, gray + alpha, RGB, RGBA
            out.append(("codec-\(c)ch-7x5.png", try PNGCodec.encode(width: 7, height: 5, channels: c, pixels: pattern(7 * 5 * c))))
        }
        // Hand-built files for what the encoder does not write.
        for depth in [1, 2, 4, 8, 16] {
            out.append(("gray\(depth)-9x3.png", PNGSeed.make(width: 9, height: 3, colorType: 0, bitDepth: depth)))
            if depth <= 8 {
                out.append(("palette\(depth)-tRNS-9x3.png", PNGSeed.make(width: 9, height: 3, colorType: 3, bitDepth: depth, palette: 1 << depth, transparency: true)))
            }
        }
        out.append(("rgb16-5x4.png", PNGSeed.make(width: 5, height: 4, colorType: 2, bitDepth: 16)))
        out.append(("gray-alpha16-5x4.png", PNGSeed.make(width: 5, height: 4, colorType: 4, bitDepth: 16)))
        out.append(("rgba16-5x4.png", PNGSeed.make(width: 5, height: 4, colorType: 6, bitDepth: 16)))
        out.append(("gray8-tRNS-4x4.png", PNGSeed.make(width: 4, height: 4, colorType: 0, bitDepth: 8, transparency: true)))
        out.append(("rgb8-tRNS-4x4.png", PNGSeed.make(width: 4, height: 4, colorType: 2, bitDepth: 8, transparency: true)))
        out.append(("interlaced-rgb8-9x9.png", PNGSeed.make(width: 9, height: 9, colorType: 2, bitDepth: 8, interlaced: true)))
        out.append(("interlaced-gray-alpha16-5x3.png", PNGSeed.make(width: 5, height: 3, colorType: 4, bitDepth: 16, interlaced: true)))
        out.append(("interlaced-palette2-3x2.png", PNGSeed.make(width: 3, height: 2, colorType: 3, bitDepth: 2, palette: 4, interlaced: true)))
        out.append(("gamma-rgba8-3x3.png", PNGSeed.make(width: 3, height: 3, colorType: 6, bitDepth: 8, gamma: 45455)))
        let valid = out[2].1
        out.append(("truncated.png", Array(valid.prefix(valid.count - 20))))
        out.append(("signature-only.png", Array(valid.prefix(8))))
        out.append(("huge-1000000x1000000.png", PNGSeed.make(width: 1_000_000, height: 1_000_000, colorType: 0, bitDepth: 8, rows: 0)))
        out.append(("large-20000x20000.png", PNGSeed.make(width: 20000, height: 20000, colorType: 6, bitDepth: 16, rows: 0)))
        out.append(("bad-crc.png", Array(valid.prefix(29)) + [0, 0, 0, 0] + Array(valid.dropFirst(33))))
        return out
    }
}
