import CTurboJPEG
import CPNG

/// Encodes 8-bit images as JPEG (TurboJPEG) or PNG (libpng simplified API). Used to make
/// test fixtures and synthetic benchmark folders.
public enum ImageEncoder {
    /// JPEG-encodes a 1-channel (gray), 3-channel (RGB) or 4-channel (CMYK) image.
    public static func jpeg(_ image: DecodedImage, quality: Int = 90) throws -> [UInt8] {
        guard let handle = tjInitCompress() else { throw DataError(.io, "tjInitCompress failed") }
        defer { tjDestroy(handle) }
        let pf: TJPF, samp: TJSAMP
        switch image.channels {
        case 1: pf = TJPF_GRAY; samp = TJSAMP_GRAY
        case 3: pf = TJPF_RGB; samp = TJSAMP_420
        case 4: pf = TJPF_CMYK; samp = TJSAMP_444
        default: throw DataError(.invalidArgument, "cannot JPEG-encode \(image.channels) channels")
        }
        var buffer: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        let rc = image.pixels.withUnsafeBufferPointer { src in
            tjCompress2(handle, src.baseAddress, Int32(image.width), 0, Int32(image.height), Int32(pf.rawValue),
                        &buffer, &size, Int32(samp.rawValue), Int32(quality), 0)
        }
        defer { if let buffer { tjFree(buffer) } }
        if rc != 0 { throw DataError(.io, "JPEG encoding failed: \(String(cString: tjGetErrorStr2(handle)))") }
        return Array(UnsafeBufferPointer(start: buffer, count: Int(size)))
    }

    /// PNG-encodes a gray, gray+alpha, RGB or RGBA image.
    public static func png(_ image: DecodedImage) throws -> [UInt8] {
        var img = png_image()
        img.version = UInt32(PNG_IMAGE_VERSION)
        img.width = UInt32(image.width)
        img.height = UInt32(image.height)
        switch image.channels {
        case 1: img.format = UInt32(PNG_FORMAT_GRAY)
        case 2: img.format = (UInt32(PNG_FORMAT_GRAY) | UInt32(PNG_FORMAT_FLAG_ALPHA))
        case 3: img.format = UInt32(PNG_FORMAT_RGB)
        case 4: img.format = (UInt32(PNG_FORMAT_RGB) | UInt32(PNG_FORMAT_FLAG_ALPHA))
        default: throw DataError(.invalidArgument, "cannot PNG-encode \(image.channels) channels")
        }
        defer { png_image_free(&img) }
        var size = 0
        let ok1 = image.pixels.withUnsafeBytes { src in
            png_image_write_to_memory(&img, nil, &size, 0, src.baseAddress, 0, nil)
        }
        guard ok1 != 0, size > 0 else { throw DataError(.io, "PNG encoding failed (size query)") }
        var out = [UInt8](repeating: 0, count: size)
        let ok2 = image.pixels.withUnsafeBytes { src in
            out.withUnsafeMutableBytes { dst in
                png_image_write_to_memory(&img, dst.baseAddress, &size, 0, src.baseAddress, 0, nil)
            }
        }
        guard ok2 != 0 else { throw DataError(.io, "PNG encoding failed") }
        return Array(out[0..<size])
    }

    /// Writes `bytes` to `path`.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        try FileIO.write(bytes, to: path)
    }
}
