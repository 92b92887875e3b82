import CTurboJPEG

/// Encodes 8-bit images as JPEG (TurboJPEG), to make test fixtures and synthetic benchmark
/// folders. (PNG files are written by the Reports module's `PNGFile`.)
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
}
