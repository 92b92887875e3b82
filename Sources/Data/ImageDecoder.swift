import Support
import Foundation
import CTurboJPEG

/// Decodes JPEG (libjpeg-turbo's TurboJPEG API) and PNG (libpng's simplified API) images
/// to 8-bit RGB. Grayscale is replicated to three channels, alpha is dropped (as PIL's
/// `convert("RGB")` does), CMYK/YCCK JPEGs are converted assuming Adobe's inverted CMYK.
public enum ImageDecoder {
    /// Images with more pixels than this are refused from their header, before any pixel
    /// memory is allocated: 8192×8192 (192 MiB as RGB bytes, 768 MiB once converted to floats).
    public static let defaultMaxPixels = 1 << 26

    /// The container format, sniffed from the first bytes.
    public enum Format: Sendable { case jpeg, png, unknown }

    public static func sniff(_ bytes: [UInt8]) -> Format {
        if bytes.count >= 3, bytes[0] == 0xFF, bytes[1] == 0xD8, bytes[2] == 0xFF { return .jpeg }
        if bytes.count >= 8, bytes[0] == 0x89, bytes[1] == 0x50, bytes[2] == 0x4E, bytes[3] == 0x47 { return .png }
        return .unknown
    }

    /// Reads and decodes an image file to RGB.
    /// A file that cannot be opened (no permission, a symbolic link loop), or larger than
    /// `ImageFileScreen.maxFileBytes` (not read), fails with `DataError.Kind.badImage`, so
    /// the loader may skip it like an undecodable one.
    public static func decodeFile(_ path: String, maxPixels: Int = defaultMaxPixels) throws -> DecodedImage {
        var info = stat()
        if stat(path, &info) == 0, Int(info.st_size) > ImageFileScreen.maxFileBytes {
            throw DataError(.badImage, path: path, "file of \(info.st_size) bytes is larger than the limit of \(ImageFileScreen.maxFileBytes) bytes")
        }
        let bytes: [UInt8]
        do { bytes = try FileIO.read(path) } catch let e as DataError where e.kind == .io {
            throw DataError(.badImage, path: path, e.message)
        }
        return try decode(bytes, source: path, maxPixels: maxPixels)
    }

    /// Decodes JPEG or PNG bytes to RGB; `source` names the origin in error messages.
    public static func decode(_ bytes: [UInt8], source: String, maxPixels: Int = defaultMaxPixels) throws -> DecodedImage {
        switch sniff(bytes) {
        case .jpeg: return try decodeJPEG(bytes, source: source, maxPixels: maxPixels)
        case .png: return try decodePNG(bytes, source: source, maxPixels: maxPixels)
        case .unknown:
            if bytes.isEmpty { throw DataError(.badImage, path: source, "empty image file") }
            throw DataError(.badImage, path: source, "not a JPEG or PNG file (unrecognised signature)")
        }
    }

    /// Decodes a JPEG to RGB. The size in its header is checked against `maxPixels` before
    /// anything is allocated; progressive files of unreasonably many scans, which can take
    /// minutes to decode, are refused (libjpeg-turbo's `TJFLAG_LIMITSCANS`).
    public static func decodeJPEG(_ bytes: [UInt8], source: String, maxPixels: Int = defaultMaxPixels) throws -> DecodedImage {
        guard let handle = tjInitDecompress() else {
            throw DataError(.io, path: source, "tjInitDecompress failed")
        }
        defer { tjDestroy(handle) }
        var width: Int32 = 0, height: Int32 = 0, subsamp: Int32 = 0, colorspace: Int32 = 0
        let headerOK = bytes.withUnsafeBufferPointer { buf in
            tjDecompressHeader3(handle, buf.baseAddress, UInt(buf.count), &width, &height, &subsamp, &colorspace)
        }
        if headerOK != 0 {
            throw DataError(.badImage, path: source, "corrupt JPEG header: \(String(cString: tjGetErrorStr2(handle)))")
        }
        guard width > 0, height > 0 else {
            throw DataError(.badImage, path: source, "corrupt JPEG header (image size \(width)x\(height))")
        }
        guard Int(width) * Int(height) <= maxPixels else {
            throw DataError(.badImage, path: source, "JPEG of \(width)x\(height) pixels is larger than the limit of \(maxPixels) pixels")
        }
        let w = Int(width), h = Int(height)
        let cmyk = colorspace == Int32(TJCS_CMYK.rawValue) || colorspace == Int32(TJCS_YCCK.rawValue)
        let pf = cmyk ? TJPF_CMYK : TJPF_RGB
        let ps = cmyk ? 4 : 3
        var out = [UInt8](repeating: 0, count: w * h * ps)
        let rc = bytes.withUnsafeBufferPointer { buf in
            out.withUnsafeMutableBufferPointer { dst in
                tjDecompress2(handle, buf.baseAddress, UInt(buf.count), dst.baseAddress,
                              width, 0, height, Int32(pf.rawValue), TJFLAG_LIMITSCANS)
            }
        }
        if rc != 0 {
            // Warnings (extraneous bytes, a bad restart marker) leave a usable image, as other
            // decoders accept; a premature end leaves the rest of it gray: refused as truncated.
            let reason = String(cString: tjGetErrorStr2(handle))
            if tjGetErrorCode(handle) != Int32(TJERR_WARNING.rawValue) {
                throw DataError(.badImage, path: source, "JPEG decoding failed: \(reason)")
            }
            if reason.lowercased().contains("premature end") {
                throw DataError(.badImage, path: source, "truncated JPEG (\(bytes.count) bytes: \(reason))")
            }
        }
        if cmyk {
            var rgb = [UInt8](repeating: 0, count: w * h * 3)
            for i in 0..<(w * h) {
                let k = UInt32(out[4 * i + 3])
                for c in 0..<3 { rgb[3 * i + c] = UInt8((UInt32(out[4 * i + c]) * k + 127) / 255) }
            }
            out = rgb
        }
        return DecodedImage(width: w, height: h, channels: 3, pixels: out)
    }

    /// Decodes a PNG (any bit depth, palette, gray, alpha) to 8-bit RGB (`PNGCodec`;
    /// transparency dropped as `DecodedImage.rgb()` does). The size in its header is checked
    /// against `maxPixels` before anything is allocated.
    public static func decodePNG(_ bytes: [UInt8], source: String, maxPixels: Int = defaultMaxPixels) throws -> DecodedImage {
        let image: PNGCodec.Image
        do { image = try PNGCodec.decode(bytes, maxPixels: maxPixels) } catch let e as PNGCodec.Failure {
            if e.tooLarge { throw DataError(.badImage, path: source, "PNG \(e.reason)") }
            if e.reason.contains("beyond end of data") || e.reason.contains("Not enough image data") {
                throw DataError(.badImage, path: source, "truncated PNG (\(bytes.count) bytes: \(e.reason))")
            }
            throw DataError(.badImage, path: source, "corrupt PNG: \(e.reason)")
        }
        let decoded = DecodedImage(width: image.width, height: image.height, channels: image.channels, pixels: image.pixels)
        return decoded.channels == 4 ? decoded.rgb() : decoded
    }
}
